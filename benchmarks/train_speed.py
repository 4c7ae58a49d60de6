"""Training throughput: every mode, eager and CUDA-graphed, against the tutorial's DCGAN loop, one device, one run.

    python benchmarks/train_speed.py --data data/utkface64 [--device cuda] [--batch-sizes 128 512]
                                     [--modes dcgan wgan wgan-gp] [--workers 8] [--profile profile.txt]

Baseline, the PyTorch DCGAN tutorial's loop: a PIL Dataset behind a DataLoader, ImageNet
mean/std normalisation, fp32, a Sigmoid layer with BCELoss, the same architecture, a `.item()`
per step; timed as the tutorial wrote it (`num_workers=0`) and with --workers workers.
FaceGAN: the real Trainer (device-resident uint8 data, channels_last, bf16 autocast) and, on
CUDA, the GraphedTrainer that replays the whole step as a CUDA graph. Printed per mode and
batch size: generator steps/s and real images/s (WGANs use 5 real batches per generator step),
and the ratios. Only timed steps after warm-up (and, for the graph, after its capture) count.
--profile adds, per mode and step kind, a torch.profiler summary of --profile-steps steps: wall time and
kernel time per step, kernels per step, and the top kernels (full tables appended to the file).
Last, what TensorBoard events cost (--events-rounds; --events-only for nothing else): whole DCGAN runs through
Trainer.run without and with events, interleaved round by round, with rows 5× as often as a run's default
(--events-log-every; --events-sample-every for grids), timed by the wall clock and by the process's CPU time,
beside the time spent inside the event writer's calls; and the CPU cost of one row and one grid as a share of a
step at a run's default cadence.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from facegan import training  # noqa: E402
from facegan.cudagraph import WARMUP_STEPS, GraphedTrainer  # noqa: E402
from facegan.data import ImageBank, find_images, load_folder  # noqa: E402
from facegan.events import RunEvents  # noqa: E402
from facegan.losses import MODES  # noqa: E402
from facegan.models import Discriminator, Generator, ModelConfig  # noqa: E402
from facegan.sampling import bf16_is_fast  # noqa: E402
from facegan.stats import read_metrics  # noqa: E402
from facegan.training import TrainConfig, Trainer  # noqa: E402


class TutorialDataset(Dataset):
    def __init__(self, root: Path) -> None:
        self.files = find_images(root)
        self.transform = transforms.Compose([
            transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),  # the tutorial's bug
        ])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.transform(Image.open(self.files[i]).convert("RGB"))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def tutorial_loop(data: Path, device: torch.device, batch: int, warmup: int, steps: int, workers: int) -> float:
    config = ModelConfig()
    netG = Generator(config).to(device)
    netD = nn.Sequential(Discriminator(config), nn.Sigmoid()).to(device)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(TutorialDataset(data), batch_size=batch, shuffle=True, num_workers=workers,
                        drop_last=True, persistent_workers=workers > 0)
    done, start = 0, 0.0
    while done < warmup + steps:
        for real in loader:
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            real = real.to(device)
            netD.zero_grad()
            output = netD(real)
            errD_real = criterion(output, torch.full_like(output, 1.0))
            errD_real.backward()
            fake = netG(torch.randn(batch, config.nz, device=device))
            output = netD(fake.detach())
            errD_fake = criterion(output, torch.zeros_like(output))
            errD_fake.backward()
            optD.step()
            netG.zero_grad()
            output = netD(fake)
            errG = criterion(output, torch.ones_like(output))
            errG.backward()
            optG.step()
            errD_real.item(), errD_fake.item(), errG.item()  # the tutorial logs every step
            done += 1
            if done == warmup + steps:
                break
    sync(device)
    return steps * batch / (time.perf_counter() - start)


def make_trainer(mode: str, images: torch.Tensor, batch: int, device: torch.device, graphed: bool,
                 amp: bool = True, compile: bool = False) -> Trainer:
    config = TrainConfig.for_mode(mode, batch_size=batch, amp=amp, compile=compile)
    return (GraphedTrainer if graphed else Trainer)(config, ImageBank(images, batch, 0, device), device)


def facegan_loop(trainer: Trainer, warmup: int, steps: int) -> tuple[float, float]:
    """(generator steps/s, real images/s) of trainer.train_step."""
    for _ in range(warmup):
        trainer.train_step()
    sync(trainer.device)
    start, batches = time.perf_counter(), trainer.batches
    for _ in range(steps):
        trainer.train_step()
    sync(trainer.device)
    elapsed = time.perf_counter() - start
    return steps / elapsed, (trainer.batches - batches) * trainer.config.batch_size / elapsed


def profile(trainer: Trainer, steps: int, out: Path, name: str) -> str:
    """One line: wall and kernel time per step, kernels per step, top kernels; the full table is appended to out."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as profiler

    cuda = trainer.device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    sync(trainer.device)
    start = time.perf_counter()
    with profiler(activities=activities) as prof:
        for _ in range(steps):
            trainer.train_step()
        sync(trainer.device)
    wall_ms = (time.perf_counter() - start) * 1e3 / steps
    sort = "self_device_time_total" if cuda else "self_cpu_time_total"
    averages = prof.key_averages()
    with open(out, "a") as f:
        f.write(f"== {name}, {steps} steps ==\n{averages.table(sort_by=sort, row_limit=30)}\n")
    if not cuda:
        return f"{name}: {wall_ms:.1f} ms/step (CPU: no kernel figures; top ops in {out})"
    kernels = [e for e in prof.events() if e.device_type == DeviceType.CUDA]
    busy_ms = sum(e.time_range.elapsed_us() for e in kernels) / 1e3 / steps
    top = sorted(averages, key=lambda e: -e.self_device_time_total)[:3]
    names = "; ".join(f"{e.key[:60]} {e.self_device_time_total / 1e3 / steps:.2f} ms" for e in top)
    return (f"{name}: {wall_ms:.2f} ms/step, kernels {busy_ms:.2f} ms ({100 * busy_ms / wall_ms:.0f}% busy), "
            f"{len(kernels) / steps:.0f} kernels/step; top: {names}")


class TimedEvents(RunEvents):
    """RunEvents that add up the seconds spent in their calls."""

    seconds = 0.0


def timed(method: Callable) -> Callable:
    def call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            TimedEvents.seconds += time.perf_counter() - start
    return call


for _name in ("__init__", "scalars", "grid", "flush", "close"):
    setattr(TimedEvents, _name, timed(getattr(RunEvents, _name)))


def record_costs(run_dir: Path, out: Path, count: int = 20) -> tuple[float, float]:
    """CPU seconds (the writer's own thread included: a flush waits for it) to write one metrics row and one
    fixed-noise grid of a finished run, as TensorBoard events."""
    row = read_metrics(run_dir / "metrics.jsonl")[-1]
    grid = torch.from_numpy(np.array(Image.open(run_dir / "samples_final.png"))).permute(2, 0, 1)
    writer = RunEvents(out, {}, 0, resumed=False)
    costs = []
    for write in (lambda step: writer.scalars({**row, "step": step}), lambda step: writer.grid(grid, step)):
        start = time.process_time()
        for step in range(count):
            write(step)
        writer.flush()
        costs.append((time.process_time() - start) / count)
    writer.close()
    return costs[0], costs[1]


def events_overhead(images: torch.Tensor, device: torch.device, amp: bool, args: argparse.Namespace) -> None:
    """DCGAN runs through Trainer.run without and with events, interleaved (the order alternating each round, so
    drift in the machine's speed falls on both), timed by the wall clock and by the process's CPU time (the
    writer's own thread included), and the time spent inside the writer's calls. Then what one row and one grid
    cost, as a share of a step at a run's default cadence.

    On the CPU the runs use one compute thread: its CPU time stays steady while other programs share the
    machine, where two threads' waiting for each other does not.
    """
    training.RunEvents = TimedEvents  # what Trainer.run opens
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    config = TrainConfig.for_mode("dcgan", batch_size=args.events_batch, amp=amp, log_every=args.events_log_every,
                                  sample_every=args.events_sample_every)
    timings: dict[bool, list[tuple[float, float]]] = {False: [], True: []}  # (wall, CPU) seconds of each run
    with tempfile.TemporaryDirectory() as work:
        for i in range(args.events_rounds):
            for events in ((False, True) if i % 2 == 0 else (True, False)):
                trainer = Trainer(config, ImageBank(images, args.events_batch, 0, device), device)
                wall, cpu = time.perf_counter(), time.process_time()
                trainer.run(args.events_steps, Path(work) / f"{i}-{events}", progress=False, events=events)
                timings[events].append((time.perf_counter() - wall, time.process_time() - cpu))
        row_s, grid_s = record_costs(Path(work) / "0-True", Path(work) / "costs")
    step_s = 1 / facegan_loop(Trainer(config, ImageBank(images, args.events_batch, 0, device), device),
                              args.warmup, args.steps)[0]
    torch.set_num_threads(threads)
    print(f"TensorBoard events, dcgan batch {args.events_batch}, {args.events_steps} steps a run, a row every "
          f"{args.events_log_every} steps and a grid every {args.events_sample_every}, {args.events_rounds} rounds "
          f"interleaved{', one compute thread' if device.type == 'cpu' else ''}:")
    for clock, name in ((0, "wall clock"), (1, "CPU time")):
        off, on = ([t[clock] for t in timings[flag]] for flag in (False, True))
        ratios = sorted(b / a for a, b in zip(off, on, strict=True))
        print(f"  {name}: {statistics.median(off):.2f} s a run without, {statistics.median(on):.2f} s with "
              f"(with/without {statistics.median(on) / statistics.median(off):.3f}); each round's with/without: "
              f"median {statistics.median(ratios):.3f}, {ratios[0]:.3f} to {ratios[-1]:.3f}")
    inside = TimedEvents.seconds / args.events_rounds
    print(f"  inside the writer's calls: {inside * 1e3:.0f} ms a run "
          f"({100 * inside / statistics.median(t[0] for t in timings[True]):.2f}% of its wall time)")
    default = TrainConfig()
    share = (row_s / default.log_every + grid_s / default.sample_every) / step_s
    print(f"  one row {row_s * 1e3:.2f} ms and one grid {grid_s * 1e3:.0f} ms of CPU; at a run's default cadence "
          f"(a row every {default.log_every} steps, a grid every {default.sample_every}) and this step "
          f"({step_s:.3f} s): {100 * share:.3f}% of a step")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("data/utkface64"))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[128])
    p.add_argument("--steps", type=int, default=20, help="timed generator steps per measurement")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--workers", type=int, default=2, help="tutorial DataLoader workers for its second timing")
    p.add_argument("--tutorial-steps", type=int, help="timed tutorial steps (default --steps)")
    p.add_argument("--compile", action="store_true", help="also time the eager step with torch.compile (CPU only)")
    p.add_argument("--no-amp", dest="amp", action="store_false", default=None,
                   help="FaceGAN in fp32 (the default where bf16 is slow: CPUs without bf16 units, as train.py does)")
    p.add_argument("--profile-steps", type=int, default=10)
    p.add_argument("--profile", type=Path, help="text file for torch.profiler tables (per mode and step kind)")
    p.add_argument("--events-rounds", type=int, default=10, help="rounds of the events comparison (0: none)")
    p.add_argument("--events-only", action="store_true", help="the events comparison only")
    p.add_argument("--events-steps", type=int, default=60, help="generator steps of each run it times")
    p.add_argument("--events-batch", type=int, default=16)
    p.add_argument("--events-log-every", type=int, default=10, help="steps between rows (a run's default: 50)")
    p.add_argument("--events-sample-every", type=int, default=500,
                   help="steps between grids (a run's default: sampling one costs far more than logging it)")
    args = p.parse_args()
    device = torch.device(args.device)
    args.amp = bf16_is_fast(device) if args.amp is None else args.amp
    print(f"FaceGAN precision: {'bf16 autocast' if args.amp else 'fp32'}")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        print(f"device: {torch.cuda.get_device_name(device)}, torch {torch.__version__}")
    else:
        print(f"device: cpu, {torch.get_num_threads()} threads, torch {torch.__version__}")
    images = load_folder(args.data, 64)  # the cache is built outside the timed region
    if args.events_only:
        events_overhead(images, device, args.amp, args)
        return
    batch = args.batch_sizes[0]
    tutorial_steps = args.tutorial_steps or args.steps
    as_written = tutorial_loop(args.data, device, batch, args.warmup, tutorial_steps, 0)
    with_workers = tutorial_loop(args.data, device, batch, args.warmup, tutorial_steps, args.workers)
    print(f"tutorial DCGAN loop, batch {batch}: {as_written:.0f} images/s as written (num_workers=0), "
          f"{with_workers:.0f} with {args.workers} workers")

    graphs = device.type == "cuda"
    print(f"{'mode':8} {'batch':>5} | {'eager steps/s':>13} {'images/s':>9} | {'graphed steps/s':>15} "
          f"{'images/s':>9} | graphed/eager")
    dcgan_rates = {}
    for mode in args.modes:
        for size in args.batch_sizes:
            eager = facegan_loop(make_trainer(mode, images, size, device, False, args.amp), args.warmup, args.steps)
            row = f"{mode:8} {size:5} | {eager[0]:13.1f} {eager[1]:9.0f} | "
            graphed = None
            if graphs:
                trainer = make_trainer(mode, images, size, device, True, args.amp)
                graphed = facegan_loop(trainer, max(args.warmup, WARMUP_STEPS + 2), args.steps)
                if trainer.graph is None:
                    print(f"{mode}: no graph ({trainer.failure}); the graphed column is the eager step")
                row += f"{graphed[0]:15.1f} {graphed[1]:9.0f} | {graphed[0] / eager[0]:.2f}x"
            else:
                row += f"{'n/a':>15} {'n/a':>9} | n/a (CUDA only)"
            print(row)
            if mode == "dcgan" and size == batch:
                dcgan_rates = {"eager": eager[1], **({"graphed": graphed[1]} if graphed else {})}
    for kind, rate in dcgan_rates.items():
        print(f"DCGAN {kind} vs the tutorial loop: {rate / as_written:.1f}x as written, "
              f"{rate / with_workers:.1f}x with {args.workers} workers")
    if args.compile:
        if graphs:
            print("--compile: refused on CUDA by train.py (see README); not timed")
        else:
            for mode in args.modes:
                rate = facegan_loop(make_trainer(mode, images, batch, device, False, args.amp, compile=True),
                                    args.warmup * 3, args.steps)
                print(f"{mode} eager + torch.compile, batch {batch}: {rate[0]:.1f} steps/s, {rate[1]:.0f} images/s")
    if args.profile:
        args.profile.unlink(missing_ok=True)
        for mode in args.modes:
            for graphed in ([False, True] if graphs else [False]):
                trainer = make_trainer(mode, images, batch, device, graphed, args.amp)
                facegan_loop(trainer, max(args.warmup, WARMUP_STEPS + 2), 1)
                name = f"{mode}-{'graphed' if graphed else 'eager'}-{batch}"
                print(profile(trainer, args.profile_steps, args.profile, name))
    if args.events_rounds:
        events_overhead(images, device, args.amp, args)


if __name__ == "__main__":
    main()
