"""Training throughput: the tutorial's DCGAN loop against facegan's, same device, same run.

    python benchmarks/train_speed.py --data ../shared/data/utkface64 [--device cuda] [--steps 20]

Baseline (a), as the tutorial wrote it: a PIL Dataset behind a DataLoader, ImageNet
mean/std normalisation, fp32, a Sigmoid layer with BCELoss, the same architecture.
FaceGAN (b): the real Trainer (device-resident uint8 data, channels_last, bf16
autocast). Both run DCGAN at batch 128; only timed steps after warm-up count.
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
from facegan.data import ImageBank, find_images, load_folder  # noqa: E402
from facegan.models import Discriminator, Generator, ModelConfig  # noqa: E402
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


def facegan_loop(data: Path, device: torch.device, batch: int, warmup: int, steps: int, compile: bool) -> float:
    config = TrainConfig.for_mode("dcgan", batch_size=batch, compile=compile)
    trainer = Trainer(config, ImageBank(load_folder(data, 64), batch, 0, device), device)
    for _ in range(warmup):
        trainer.train_step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    sync(device)
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data/utkface64"))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--workers", type=int, default=2, help="tutorial DataLoader workers")
    p.add_argument("--compile", action="store_true", help="also time facegan with torch.compile")
    args = p.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        print(f"device: {torch.cuda.get_device_name(device)}")
    else:
        print(f"device: cpu, {torch.get_num_threads()} threads")
    load_folder(args.data, 64)  # build the cache outside the timed region
    base = tutorial_loop(args.data, device, args.batch_size, args.warmup, args.steps, args.workers)
    ours = facegan_loop(args.data, device, args.batch_size, args.warmup, args.steps, compile=False)
    print(f"tutorial loop: {base:9.1f} images/s")
    print(f"facegan loop:  {ours:9.1f} images/s   ({ours / base:.2f}x)")
    if args.compile:
        compiled = facegan_loop(args.data, device, args.batch_size, args.warmup * 3, args.steps, compile=True)
        print(f"facegan+compile: {compiled:7.1f} images/s   ({compiled / base:.2f}x)")


if __name__ == "__main__":
    main()
