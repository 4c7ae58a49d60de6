"""A crowd on the studio: many visitors' mixed requests at once while others stream the Lab.

    python benchmarks/crowd.py [--visitors 16 --requests 8 --streams 2] [--photos DIR] [--repo PATH]

Starts `app.py` from --repo (default: this checkout; name an older checkout to measure a baseline in the same
sitting) on a free port, then runs, all at once:
- --visitors gradio_client visitors, each sending --requests requests in turn from a mix of every face tab's
  endpoints: 16-face grids, interpolation frames and strips, compares, edits and age walks, photos through
  /photo_project (real faces from --photos, else the generators' own faces enlarged into photos), and bad input
  (a text file named like a photo, a seed that is not a number), which must be refused by name;
- --streams visitors streaming the Lab (/lab_stream) for as long as the face requests last.
Prints, per kind of request, the count, median and p95 latency; over all requests the same; the Lab's pictures
per second per stream; refused inputs and unexpected errors. Nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks.app_speed import free_port  # noqa: E402

MODELS = ("dcgan", "wgan", "wgan-gp")
# The Lab run each stream trains: the tab's WGAN-GP on the ring, long enough to outlast the crowd.
LAB_SETTINGS = """
import dataclasses, json
from facegan.lab import LabConfig
from facegan.ui.lab_handlers import KNOBS
config = dataclasses.asdict(LabConfig.for_objective("wgan-gp", distribution="ring", steps=200_000))
config["strokes"] = "[]"
print(json.dumps([config[name] for name in KNOBS]))
"""


def lab_settings(repo: Path) -> list:
    """The settings in the tab's order, as the served checkout names and orders them."""
    found = subprocess.run([sys.executable, "-c", LAB_SETTINGS], cwd=repo, capture_output=True, text=True, check=True)
    return json.loads(found.stdout)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def generated_photos(folder: Path, count: int = 8) -> list[Path]:
    """The shipped DCGAN's own faces, each enlarged onto a 640×480 grey photo: those whose face the studio's
    detector finds, as a visitor's photo would have one."""
    from facegan.export import load_generator
    from facegan.faces import FaceError, frame
    from facegan.sampling import render, seeded_noise

    generator = load_generator(ROOT / "checkpoints" / "dcgan.safetensors")[0]
    paths = []
    for i, face in enumerate(render(generator, seeded_noise(64, generator.config.nz, 0), fast=False)):
        photo = Image.new("RGB", (640, 480), (128, 128, 128))
        photo.paste(Image.fromarray(face.permute(1, 2, 0).numpy()).resize((256, 256), Image.LANCZOS), (200, 100))
        path = folder / f"face{i}.png"
        photo.save(path)
        try:
            frame(path)
        except FaceError:
            continue
        paths.append(path)
        if len(paths) == count:
            break
    return paths


def requests_of(photos: list[Path], junk: Path) -> dict[str, tuple]:
    """Each kind of request: (api_name, args maker (visitor, k) → args, refused: whether it must be refused)."""
    return {
        "samples": ("/samples", lambda i, k: (MODELS[k % 3], i * 100 + k, 16, 1.0), False),
        "frame": ("/frame", lambda i, k: (MODELS[k % 3], i, i + 1, "slerp", random.random(), 1.0), False),
        "strip": ("/strip", lambda i, k: (MODELS[k % 3], i, i + 1, "slerp", 8, 1.0), False),
        "compare": ("/compare", lambda i, k: (i * 100 + k, 4, 1.0), False),
        "edit": ("/edit", lambda i, k: ("dcgan", i * 100 + k, 1, 0, True), False),
        "walk": ("/edit_walk", lambda i, k: ("dcgan", i * 100 + k, "age", True), False),
        "photo": ("/photo_project", lambda i, k: (handle_file(str(photos[(i + k) % len(photos)])), "detect", 20,
                                                  None, None), False),
        "bad photo": ("/photo_project", lambda i, k: (handle_file(str(junk)), "detect", 20, None, None), True),
        "bad seed": ("/samples", lambda i, k: ("dcgan", "not a number", 16, 1.0), True),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--visitors", type=int, default=16)
    p.add_argument("--requests", type=int, default=8, help="requests per visitor")
    p.add_argument("--streams", type=int, default=2, help="visitors streaming the Lab meanwhile")
    p.add_argument("--photos", type=Path, help="a folder of face photos (default: the generators' own faces)")
    p.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose app.py is served")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    random.seed(args.seed)
    work = Path(tempfile.mkdtemp(prefix="facegan-crowd-"))
    if args.photos:
        photos = sorted(f for f in args.photos.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))[:64]
    else:
        photos = generated_photos(work)
    junk = work / "not-a-photo.jpg"
    junk.write_text("a text file named like a photo")
    kinds = requests_of(photos, junk)
    settings = lab_settings(args.repo)

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "FACEGAN_CHECKPOINTS": str(args.repo / "checkpoints")}
    log = work / "app.log"  # the server's own account of any unexpected error
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=args.repo, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}/"
    latencies: dict[str, list[float]] = defaultdict(list)
    refused, unexpected = defaultdict(int), []
    faces_done = threading.Event()
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"app.py in {args.repo} exited with {proc.returncode} before serving")
            try:
                urllib.request.urlopen(url + "config").read()
                break
            except OSError:
                time.sleep(0.1)

        def visitor(i: int) -> None:
            client = Client(url, verbose=False)
            names = list(kinds)
            for k in range(args.requests):
                kind = names[(i * 3 + k) % len(names)]
                api_name, make, must_refuse = kinds[kind]
                started = time.perf_counter()
                try:
                    client.predict(*make(i, k), api_name=api_name)
                    if must_refuse:
                        unexpected.append(f"{kind}: accepted")
                except AppError as error:
                    if must_refuse:
                        refused[kind] += 1
                    else:
                        unexpected.append(f"{kind}: {str(error).splitlines()[0]}")
                except Exception as error:  # noqa: BLE001 - a benchmark counts every failure
                    unexpected.append(f"{kind}: {type(error).__name__}: {error}")
                latencies[kind].append(time.perf_counter() - started)

        def stream(j: int) -> tuple[int, float]:
            client = Client(url, verbose=False)
            job = client.submit(50, 0, *settings, api_name="/lab_stream")
            first = None
            seen = 0
            while not faces_done.is_set() and not job.done():
                count = len(job.outputs())
                if count and first is None:
                    first, seen = time.perf_counter(), count
                time.sleep(0.05)
            pictures, ended = len(job.outputs()) - seen, time.perf_counter()
            job.cancel()
            return pictures, (ended - first) if first else float("nan")

        started = time.perf_counter()
        with ThreadPoolExecutor(max(args.streams, 1)) as lab_pool:
            streams = [lab_pool.submit(stream, j) for j in range(args.streams)]
            time.sleep(2.0 if args.streams else 0.0)  # the streams are under way before the crowd arrives
            with ThreadPoolExecutor(args.visitors) as pool:
                list(pool.map(visitor, range(args.visitors)))
            faces_done.set()
            rates = [s.result() for s in streams]
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    print(f"{args.visitors} visitors × {args.requests} requests, {args.streams} Lab streams, {wall:.0f} s, "
          f"served by {args.repo}")
    print(f"{'kind':<10} {'n':>4} {'median s':>9} {'p95 s':>7}")
    for kind, values in sorted(latencies.items()):
        print(f"{kind:<10} {len(values):>4} {statistics.median(values):>9.2f} {percentile(values, 0.95):>7.2f}")
    every = [v for values in latencies.values() for v in values]
    print(f"{'all':<10} {len(every):>4} {statistics.median(every):>9.2f} {percentile(every, 0.95):>7.2f}")
    for j, (pictures, seconds) in enumerate(rates):
        print(f"Lab stream {j + 1}: {pictures} pictures in {seconds:.1f} s = {pictures / seconds:.2f} pictures/s")
    print(f"refused by name: {dict(refused)}; unexpected errors: {len(unexpected)}")
    for line in unexpected[:10]:
        print(f"  {line}")
    if unexpected:
        print(f"the server's log: {log}")


if __name__ == "__main__":
    main()
