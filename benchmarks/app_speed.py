"""App latency: server-side compute and gradio_client round trips against a launched app.

    python benchmarks/app_speed.py [--checkpoints checkpoints] [--clients 32 --requests 20]

Reports, for the 64-face grid and for one interpolation frame: milliseconds in the
handler (median of repeats, on the app's path: bf16 where the CPU has bf16 units, else
fp32; the grid handler also builds the upscaled display grid) beside the fp32 path as a
baseline in the same run, and the display upscaling alone; the client round trip; and a load
run of concurrent clients (throughput, median and 95th-percentile latency). Start-up has its own
benchmark, benchmarks/startup_speed.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import torch  # noqa: E402
from gradio_client import Client  # noqa: E402

from facegan import sampling  # noqa: E402
from facegan.ui import Studio, grid_face_px  # noqa: E402
from facegan.ui.gallery import Gallery  # noqa: E402


def median_ms(fn, repeats: int = 20) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_handlers(checkpoints: Path, model: str) -> None:
    """The handlers in this process (the studio is freed on return, before the server starts)."""
    studio = Studio(Gallery([checkpoints]))
    entry = studio.gallery.models[model]
    z64 = sampling.seeded_noise(64, entry.generator.config.nz, 0)
    fp32 = median_ms(lambda: sampling.render(entry.generator, z64, fast=False))
    bf16 = median_ms(lambda: sampling.render(entry.generator, z64))
    faces = sampling.render(entry.generator, z64)
    upscale = median_ms(lambda: sampling.display_grid(faces, grid_face_px(64)))
    grid = median_ms(lambda: studio.samples(model, 0, 64, 1.0))
    frame = median_ms(lambda: studio.frame(model, 1, 2, "slerp", 0.37, 1.0), repeats=50)
    fast_path = "bf16" if sampling.bf16_is_fast(torch.device("cpu")) else "fp32 too: this CPU has no bf16 units"
    print(f"64-face grid, generator only: fp32 {fp32:.1f} ms, the app's path ({fast_path}) {bf16:.1f} ms "
          f"({fp32 / bf16:.1f}x)")
    print(f"64-face grid, display upscaling alone (Lanczos to {grid_face_px(64)} px): {upscale:.1f} ms")
    print(f"64-face grid, whole handler (display + native PIL grids): {grid:.1f} ms   (target ≤ 60)")
    print(f"interpolation frame, whole handler: {frame:.1f} ms   (target ≤ 10)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    p.add_argument("--model", default="dcgan")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--requests", type=int, default=20)
    args = p.parse_args()
    time_handlers(args.checkpoints, args.model)

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "FACEGAN_CHECKPOINTS": str(args.checkpoints)}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url + "config").read()
                break
            except OSError:
                time.sleep(0.05)
        client = Client(url, verbose=False)
        rt_grid = median_ms(lambda: client.predict(args.model, 0, 64, 1.0, api_name="/samples"), repeats=10)
        rt_frame = median_ms(lambda: client.predict(args.model, 1, 2, "slerp", 0.37, 1.0, api_name="/frame"),
                             repeats=20)
        print(f"round trip via gradio_client: grid {rt_grid:.0f} ms, frame {rt_frame:.0f} ms")

        def visitor(i: int) -> list[float]:
            c, latencies = Client(url, verbose=False), []
            for k in range(args.requests):
                t0 = time.perf_counter()
                c.predict(args.model, i * 1000 + k, 16, 1.0, api_name="/samples")
                latencies.append((time.perf_counter() - t0) * 1000)
            return latencies

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            latencies = sorted(x for r in pool.map(visitor, range(args.clients)) for x in r)
        wall = time.perf_counter() - t0
        print(f"load: {args.clients} clients × {args.requests} requests (16-face grids), no errors: "
              f"{len(latencies) / wall:.1f} req/s, median {statistics.median(latencies):.0f} ms, "
              f"p95 {latencies[int(0.95 * len(latencies)) - 1]:.0f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
