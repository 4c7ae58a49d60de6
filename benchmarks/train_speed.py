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
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from facegan.cudagraph import WARMUP_STEPS, GraphedTrainer  # noqa: E402
from facegan.data import ImageBank, find_images, load_folder  # noqa: E402
from facegan.losses import MODES  # noqa: E402
from facegan.models import Discriminator, Generator, ModelConfig  # noqa: E402
from facegan.sampling import bf16_is_fast  # noqa: E402
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


if __name__ == "__main__":
    main()
