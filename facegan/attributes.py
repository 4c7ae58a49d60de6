"""An age and gender predictor for 64×64 faces, trained on UTKFace's own labels.

Face editing needs a judge: something that says how old a generated face looks
and whether it reads as female, so that latent directions can be fitted and their
effect measured. UTKFace file names carry the labels (`{age}_{gender}_{race}_{datetime}.jpg`,
gender 0 = male, 1 = female as annotated); the race label is never used.

    python -m facegan.attributes train --data data/utkface64

The held-out split is a pure function of the file name (15% by a hash), so it is
the same on every machine and no held-out face is ever trained on.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from torch import nn

from . import __version__
from .cli import Parser, UsageError, run
from .data import DataError, find_images
from .export import CheckpointError, save_safetensors
from .images import load_image
from .sampling import from_uint8

METADATA_KEY = "facegan_attributes"
IN_CHECKPOINTS = Path("attributes") / "age-gender.safetensors"  # where a checkpoints folder keeps the judge
DEFAULT_PATH = Path("checkpoints") / IN_CHECKPOINTS  # the command lines' default, from the working directory
HELD_OUT_PERCENT = 15
AGE_BANDS = ((0, 12), (13, 25), (26, 45), (46, 65), (66, 200))
IMAGE_SIZE = 64


def parse_label(name: str) -> tuple[int, int] | None:
    """(age, gender) from a UTKFace file name, or None when a field is missing or odd."""
    fields = name.split(".")[0].split("_")
    if len(fields) != 4 or not all(f.isdigit() for f in fields):
        return None
    age, gender = int(fields[0]), int(fields[1])
    return (age, gender) if 0 < age < 120 and gender in (0, 1) else None


def is_held_out(name: str) -> bool:
    """The fixed evaluation split: the same 15% of file names everywhere."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


@dataclass
class LabelledFaces:
    images: torch.Tensor  # N×3×64×64 uint8
    age: torch.Tensor  # N float, years
    female: torch.Tensor  # N float, 0 or 1
    held_out: torch.Tensor  # N bool

    def split(self, held_out: bool) -> LabelledFaces:
        keep = self.held_out == held_out
        return LabelledFaces(self.images[keep], self.age[keep], self.female[keep], self.held_out[keep])


def load_labelled(root: str | Path) -> tuple[LabelledFaces, int]:
    """The UTKFace images under root with their labels, and how many names had no usable label."""
    files = find_images(root)
    labelled = [(f, parse_label(f.name)) for f in files]
    usable = [(f, label) for f, label in labelled if label is not None]
    if not usable:
        raise DataError(f"no UTKFace-labelled images ({{age}}_{{gender}}_{{race}}_{{datetime}}.jpg) in {root}")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        arrays = list(pool.map(partial(load_image, size=IMAGE_SIZE), [f for f, _ in usable], chunksize=64))
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    faces = LabelledFaces(images,
                          torch.tensor([float(a) for _, (a, _) in usable]),
                          torch.tensor([float(g) for _, (_, g) in usable]),
                          torch.tensor([is_held_out(f.name) for f, _ in usable]))
    return faces, len(files) - len(usable)


@dataclass(frozen=True)
class PredictorConfig:
    """Enough to rebuild the network; it travels in the weights file."""

    widths: tuple[int, ...] = (16, 32, 64, 128, 256)
    convs: tuple[int, ...] = (1, 1, 1, 2, 2)  # 3×3 convolutions per stage: few at full size, where they cost most
    image_size: int = IMAGE_SIZE

    def to_dict(self) -> dict:
        return asdict(self)


class AttributePredictor(nn.Module):
    """64×64 face in [-1, 1] → (age in years, logit of "female").

    A plain VGG-style stack (3×3 convolutions, then max-pool, per stage) with global
    average pooling: about 40 M multiply-adds a face, so it trains on two AVX2 cores in minutes.
    """

    AGE_SCALE = 50.0  # the age head predicts age / 50, which keeps both losses of one size

    def __init__(self, config: PredictorConfig = PredictorConfig()) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        channels = 3
        for width, convs in zip(config.widths, config.convs, strict=True):
            for _ in range(convs):
                layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
                channels = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(channels, 2))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.head(F.adaptive_avg_pool2d(self.features(images), 1)).float()
        return out[:, 0] * self.AGE_SCALE, out[:, 1]


def to_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 N×3×H×W → the predictor's [-1, 1] input, 64×64, channels_last."""
    return from_uint8(images, IMAGE_SIZE).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def predict(model: AttributePredictor, images: torch.Tensor,
            batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """(age in years, P(female)) for uint8 faces, averaged over the face and its mirror image."""
    device = next(model.parameters()).device
    ages, females = [], []
    for chunk in images.split(batch_size):
        x = to_input(chunk.to(device))
        (a1, g1), (a2, g2) = model(x), model(x.flip(3))
        ages.append(((a1 + a2) / 2).cpu())
        females.append(torch.sigmoid((g1 + g2) / 2).cpu())
    return torch.cat(ages), torch.cat(females)


def scores(model: AttributePredictor, faces: LabelledFaces) -> dict:
    """Age MAE (overall and per band) and gender accuracy on labelled faces."""
    age, female = predict(model, faces.images)
    error = (age - faces.age).abs()
    bands = {}
    for low, high in AGE_BANDS:
        mask = (faces.age >= low) & (faces.age <= high)
        name = f"{low}+" if high >= 200 else f"{low}-{high}"
        bands[name] = {"mae": round(error[mask].mean().item(), 2), "n": int(mask.sum())}
    return {"age_mae": round(error.mean().item(), 2),
            "gender_accuracy": round(((female > 0.5).float() == faces.female).float().mean().item(), 4),
            "age_mae_by_band": bands, "n": len(faces.age)}


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flips and shifts of up to 4 px: the generated faces are not pixel-aligned like UTKFace's."""
    n = len(x)
    flip = torch.rand(n, 1, 1, 1, generator=generator) < 0.5
    x = torch.where(flip, x.flip(3), x)
    padded = F.pad(x, (4, 4, 4, 4), mode="replicate")
    dx, dy = torch.randint(0, 9, (2,), generator=generator).tolist()  # one shift per batch keeps it cheap
    return padded[:, :, dy:dy + IMAGE_SIZE, dx:dx + IMAGE_SIZE].contiguous(memory_format=torch.channels_last)


def train_predictor(faces: LabelledFaces, epochs: int = 10, batch_size: int = 128, lr: float = 3e-3,
                    seed: int = 0, config: PredictorConfig = PredictorConfig(), log=print) -> AttributePredictor:
    """AdamW with a one-cycle schedule; L1 on age (what MAE measures) plus BCE on gender.

    fp32 throughout: on a CPU without bf16 units autocast's bf16 convolutions are far
    slower than fp32 (docs/benchmarks.md).
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = AttributePredictor(config).to(memory_format=torch.channels_last)
    train = faces.split(held_out=False)
    steps_per_epoch = max(1, len(train.age) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * steps_per_epoch)
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train.age), generator=generator)
        total = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            x = augment(train.images[idx].float().div_(127.5).sub_(1.0), generator)
            age, logit = model(x)
            loss = F.l1_loss(age, train.age[idx]) / 10 + F.binary_cross_entropy_with_logits(logit, train.female[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        log(f"epoch {epoch + 1}/{epochs}: loss {total / steps_per_epoch:.3f} ({time.perf_counter() - started:.0f} s)")
    return model.eval()


def save_predictor(model: AttributePredictor, path: str | Path, info: dict) -> None:
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {**info, "config": model.config.to_dict(), "facegan_version": __version__}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_safetensors(tensors, {METADATA_KEY: json.dumps(meta)}, Path(path))


def load_predictor(path: str | Path = DEFAULT_PATH) -> tuple[AttributePredictor, dict]:
    """A ready predictor (CPU, eval mode, channels_last) and its metadata (config, held-out scores)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"attribute predictor not found: {path} (train one with python -m facegan.attributes train)")
    try:
        with safe_open(path, "pt") as f:
            meta = json.loads((f.metadata() or {})[METADATA_KEY])
            tensors = {name: f.get_tensor(name) for name in f.keys()}
        config = meta["config"]
        model = AttributePredictor(PredictorConfig(widths=tuple(config["widths"]), convs=tuple(config["convs"]),
                                                   image_size=config["image_size"]))
        model.load_state_dict(tensors)
    except (SafetensorError, OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path.name} is not a FaceGAN attribute predictor ({first_line})") from None
    return model.to(memory_format=torch.channels_last).eval(), meta


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m facegan.attributes", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train the predictor on a UTKFace-named folder and report held-out scores")
    tr.add_argument("--data", type=Path, required=True,
                    help="UTKFace images named {age}_{gender}_{race}_{datetime}.jpg")
    tr.add_argument("--out", type=Path, default=DEFAULT_PATH)
    tr.add_argument("--epochs", type=int, default=10)
    tr.add_argument("--batch-size", type=int, default=128)
    tr.add_argument("--lr", type=float, default=3e-3)
    tr.add_argument("--seed", type=int, default=0)
    ev = sub.add_parser("evaluate", help="held-out scores of a trained predictor")
    ev.add_argument("--data", type=Path, required=True)
    ev.add_argument("--predictor", type=Path, default=DEFAULT_PATH)
    args = p.parse_args(argv)
    if args.command == "train" and (args.epochs < 1 or args.batch_size < 1 or not args.lr > 0):
        raise UsageError("--epochs and --batch-size must be at least 1 and --lr positive")
    if args.command == "train" and args.out.suffix != ".safetensors":
        raise UsageError(f"--out must end in .safetensors, got {args.out}")

    started = time.perf_counter()
    faces, unlabelled = load_labelled(args.data)
    held_out = faces.split(held_out=True)
    print(f"{len(faces.age):,} labelled faces ({len(held_out.age):,} held out); "
          f"skipped {unlabelled} file name(s) not of the form {{age}}_{{gender}}_{{race}}_{{datetime}}.jpg")
    if args.command == "evaluate":
        model, _ = load_predictor(args.predictor)
        print(json.dumps(scores(model, held_out), indent=2))
        return 0
    if len(held_out.age) == len(faces.age) or len(held_out.age) == 0:
        raise DataError(f"{args.data} is too small for a held-out split ({len(faces.age)} labelled faces)")
    torch.set_num_threads(os.cpu_count() or 1)
    model = train_predictor(faces, args.epochs, args.batch_size, args.lr, args.seed)
    held = scores(model, held_out)
    seconds = time.perf_counter() - started
    save_predictor(model, args.out, {
        "dataset": Path(args.data).name, "train_size": len(faces.age) - len(held_out.age),
        "held_out": held, "held_out_rule": f"sha1(file name) % 100 < {HELD_OUT_PERCENT}",
        "skipped_unlabelled": unlabelled, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "seed": args.seed, "train_seconds": round(seconds, 1),
        "labels": "UTKFace annotations: age in years; gender 0 = male, 1 = female (binary, as annotated)"})
    print(f"held out: age MAE {held['age_mae']:.2f} years, gender accuracy {held['gender_accuracy']:.2%} "
          f"({seconds:.0f} s) → {args.out}")
    bands = held["age_mae_by_band"].items()
    print("age MAE by band: " + ", ".join(f"{k}: {v['mae']:.2f} (n={v['n']})" for k, v in bands))
    return 0


def cli(argv: list[str] | None = None) -> int:
    """main() with bad input turned into one line on stderr and exit code 2."""
    return run(main, argv, "attributes", expected=(DataError, CheckpointError))


if __name__ == "__main__":
    sys.exit(cli())
