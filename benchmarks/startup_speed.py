"""Start-up: seconds from `python app.py` to a served page, beside a bare Gradio app started the same way.

    flock /tmp/facegan-timing.lock python benchmarks/startup_speed.py [--checkpoints checkpoints] [--repeats 3]

Both are fresh interpreters with the same environment, timed until GET / answers with the page; the two
alternate, so a busy machine slows both alike. The bare app (one Markdown block, queued and launched) is the
floor that Python, Gradio and the server cost before the studio does anything; the ratio is what to compare
across machines. The target is ≤ 10 s for the studio on a 2-core AVX2 CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.app_speed import free_port  # noqa: E402

BARE_APP = """
import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("bare")
demo.queue().launch()
"""


def seconds_to_page(command: list[str], checkpoints: Path, timeout: float = 300) -> float:
    """Wall seconds from starting command to its first served page."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_ANALYTICS_ENABLED": "False", "FACEGAN_CHECKPOINTS": str(checkpoints)}
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"{' '.join(command)} exited with {proc.returncode} before serving a page")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    if page.status == 200 and b"<html" in page.read(4096).lower():
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"{' '.join(command)} served no page in {timeout:.0f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    runs: dict[str, list[float]] = {"bare": [], "studio": []}
    for _ in range(args.repeats):
        runs["bare"].append(seconds_to_page([sys.executable, "-c", BARE_APP], args.checkpoints))
        runs["studio"].append(seconds_to_page([sys.executable, "app.py"], args.checkpoints))
    bare, studio = (statistics.median(runs[k]) for k in ("bare", "studio"))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.repeats} runs each")
    for name, times in runs.items():
        print(f"{name:>6}: median {statistics.median(times):.1f} s  ({', '.join(f'{t:.1f}' for t in times)})")
    print(f"python app.py → page: {studio:.1f} s = bare Gradio {bare:.1f} s + {studio - bare:.1f} s "
          f"({studio / bare:.2f}x)   (target ≤ 10 s on a 2-core AVX2 CPU)")


if __name__ == "__main__":
    main()
