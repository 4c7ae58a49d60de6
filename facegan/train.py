"""Train a DCGAN, WGAN or WGAN-GP face generator and export it as safetensors.

    python train.py --mode dcgan --data data/utkface64 --steps 5000   (installed: facegan-train …)

Outputs go to --out (default runs/MODE): metrics.jsonl, TensorBoard events, sample
grids, curves.png, config.json and the resumable state.pt; the EMA generator is
exported to --export (default checkpoints/NAME.safetensors, NAME being the run
folder's name).
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import torch

from . import distributed
from .cli import Parser, UsageError, run
from .cudagraph import GraphedTrainer, graph_refusal
from .data import DataError, ImageBank, load_folder
from .distributed import World
from .export import EXPORT_DTYPES, export_generator
from .losses import MODES
from .metrics import MIN_SAMPLES, GeneratorScorer, MetricsError, inception_available
from .models import CRITIC_NORMS, IMAGE_SIZES, ModelConfig
from .optim import MODE_DEFAULTS, resolve_device
from .record import export_training_record
from .sampling import bf16_is_fast
from .state import StateError, has_state, load_run_state
from .training import TrainConfig, Trainer

DEFAULT_DATA = Path("data")
COMPILE_ON_CUDA = ("--compile is refused on CUDA: inductor's convolution_backward fails on the channels_last "
                   "512×4×4 layer (torch 2.11, H100); --cuda-graph is the fast path meant for CUDA")


def number(kind: type = float, positive: bool = True):
    """An argparse type: a finite int or float, > 0 (positive) or ≥ 0."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'a whole' if kind is int else 'a'} number: {text!r}") from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(
                f"must be a {'positive' if positive else 'finite, non-negative'} number: {text!r}")
        return value
    return parse


# Flags that set one config field each: what the flag means. Its default is read from the configs (ModelConfig,
# TrainConfig, or the mode's recipe in MODE_DEFAULTS), never written here.
MODEL_FLAGS = {
    "image_size": dict(type=int, choices=IMAGE_SIZES, help="image side in pixels"),
    "nz": dict(type=number(int), help="latent size"),
    "ngf": dict(type=number(int), help="generator width"),
    "ndf": dict(type=number(int), help="discriminator width"),
    "critic_norm": dict(choices=CRITIC_NORMS, help="critic normalisation"),
    "generator_norm": dict(choices=("batch", "none"), help="generator normalisation"),
}
RUN_FLAGS = {
    "batch_size": dict(type=number(int), help="images per batch"),
    "seed": dict(type=int, help="seed for weights, noise and data order"),
}
HYPER_FLAGS = {
    "optimizer": dict(choices=("adam", "rmsprop"), help="optimiser of both networks"),
    "lr_g": dict(type=number(float), help="generator learning rate"),
    "lr_d": dict(type=number(float), help="discriminator / critic learning rate"),
    "beta1": dict(type=number(float, positive=False), help="Adam β1"),
    "beta2": dict(type=number(float, positive=False), help="Adam β2"),
    "n_critic": dict(type=number(int), help="critic updates per generator update"),
    "clip": dict(type=number(float), help="wgan: critic weight clip"),
    "gp_lambda": dict(type=number(float, positive=False), help="wgan-gp: gradient-penalty weight"),
    "critic_warmup": dict(action="store_true", default=None,
                          help="wgan: 100 critic steps for the first 25 generator steps and every 500th (Arjovsky)"),
    "ema_decay": dict(type=number(float, positive=False), help="generator EMA decay"),
    "log_every": dict(type=number(int), help="steps between metrics rows"),
    "sample_every": dict(type=number(int), help="steps between sample grids"),
    "eval_num": dict(type=number(int), help="samples per FID/KID measurement"),
    "checkpoint_every": dict(type=number(int), help="steps between saved states"),
}
EVAL_EVERY_ON_CUDA = 2000  # --eval-every's default on CUDA when the Inception weights are installed


def default_of(name: str) -> str:
    """A config field's default as help shows it: one value, or the value per mode where the recipes differ."""
    per_mode = {mode: recipe[name] for mode, recipe in MODE_DEFAULTS.items()
                if name in recipe and (recipe["optimizer"] == "adam" or not name.startswith("beta"))}  # Adam's only
    if len(set(per_mode.values())) > 1:
        return ", ".join(f"{mode} {value:g}" if isinstance(value, float) else f"{mode} {value}"
                         for mode, value in per_mode.items())
    config = ModelConfig() if name in MODEL_FLAGS else TrainConfig()
    value = per_mode.popitem()[1] if per_mode else getattr(config, name)
    return "off" if value is False else f"{value:g}" if isinstance(value, float) else str(value)


def add_flags(group: argparse._ActionsContainer, flags: dict[str, dict]) -> None:
    for name, options in flags.items():
        group.add_argument(f"--{name.replace('_', '-')}", **{**options, "help": f"{options['help']} "
                                                              f"(default {default_of(name)})"})


def build_parser() -> argparse.ArgumentParser:
    p = Parser(description=__doc__)
    p.add_argument("--mode", choices=MODES, default=None,
                   help=f"GAN family (default {TrainConfig.mode}; on --resume, the run's)")
    p.add_argument("--data", help=f"folder of images, searched recursively (default ./{DEFAULT_DATA})")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=number(int),
                        help=f"generator updates to train for, in total (default {default_of('steps')})")
    length.add_argument("--epochs", type=number(float),
                        help="passes of the critic over the data set instead of --steps")
    add_flags(p, RUN_FLAGS)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: CUDA when there is one")
    p.add_argument("--out", type=Path, help="run folder (default runs/MODE)")
    p.add_argument("--export", type=Path,
                   help="weights file (default checkpoints/NAME.safetensors, NAME = run folder name)")
    p.add_argument("--export-dtype", choices=sorted(EXPORT_DTYPES), default="fp32",
                   help="default fp32; fp16 halves the file")
    p.add_argument("--resume", action="store_true", help="continue the run in --out (its state.pt or state-parts/)")
    p.add_argument("--compile", action="store_true", help="torch.compile G and D (CPU only; ignored for wgan-gp)")
    p.add_argument("--cuda-graph", action=argparse.BooleanOptionalAction, default=None,
                   help="EXPERIMENTAL, not yet verified on a GPU (benchmarks/gpu_check.sh runs its CUDA tests): "
                        "replay the whole step as one CUDA graph (CUDA only; default off, the eager step that "
                        "trained the shipped models; on --resume, the run's choice)")
    p.add_argument("--no-amp", dest="amp", action="store_false", default=None,
                   help="fp32 instead of bf16 autocast (bf16 is the default on GPUs and on CPUs with bf16 units; "
                        "other CPUs train in fp32 anyway)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-events", dest="events", action="store_false",
                   help="no TensorBoard events in the run folder (written by default: tensorboard --logdir runs)")
    p.add_argument("--sync-bn", action="store_true", help="under torchrun on CUDA: BatchNorm over the global batch")

    h = p.add_argument_group("hyper-parameters (defaults: the mode's recipe, see README)")
    add_flags(h, MODEL_FLAGS)
    h.add_argument("--lr", type=number(float), help="one learning rate for both networks")
    add_flags(h, HYPER_FLAGS)
    h.add_argument("--eval-every", type=int, help="steps between FID/KID measurements; 0 turns them off "
                   f"(default: {EVAL_EVERY_ON_CUDA} on CUDA when the Inception weights are installed, else 0)")
    return p


def new_config(args: argparse.Namespace, data: Path) -> TrainConfig:
    if args.ema_decay is not None and args.ema_decay >= 1:
        raise UsageError("--ema-decay must be below 1")
    given = {name: getattr(args, name) for name in (*MODEL_FLAGS, *RUN_FLAGS, *HYPER_FLAGS, "steps", "eval_every")}
    model = ModelConfig(**{k: given.pop(k) for k in MODEL_FLAGS if k != "critic_norm" and given[k] is not None})
    given.update(lr_g=args.lr_g or args.lr, lr_d=args.lr_d or args.lr)
    return TrainConfig.for_mode(args.mode or TrainConfig.mode, model=model, amp=args.amp,
                                compile=args.compile or None, data=str(data), **given)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    world, device = distributed.init(resolve_device(args.device))
    try:
        return train(args, world, device)
    finally:
        distributed.shutdown(world)


def run_config(args: argparse.Namespace, out: Path,
               device: torch.device) -> tuple[TrainConfig, Path, dict | None]:
    """The run's configuration and data folder: the saved ones on --resume (with its state; --data may point
    elsewhere), else new ones from the flags."""
    if args.resume:
        state = load_run_state(out, device)
        config = TrainConfig.from_json(state["config"])
        if args.mode and args.mode != config.mode:
            raise UsageError(f"--resume: {out} is a {config.mode} run, not {args.mode}")
        return config, Path(args.data or config.data), state
    if has_state(out):
        raise UsageError(f"{out} already holds a run: pass --resume to continue it, or choose another --out")
    data = Path(args.data) if args.data else DEFAULT_DATA
    if args.data is None and not data.is_dir():
        raise UsageError(
            "no training images: pass --data DIR, a folder of face images (searched recursively), "
            "e.g. --data data/utkface64 (see docs/data.md to make it), or put them in ./data"
        )
    if args.eval_every is None:
        args.eval_every = EVAL_EVERY_ON_CUDA if device.type == "cuda" and inception_available() else 0
    if args.eval_every < 0:
        raise UsageError("--eval-every must be 0 (off) or a positive number of steps")
    if args.eval_num is not None and args.eval_num < MIN_SAMPLES:
        raise UsageError(f"--eval-num must be at least {MIN_SAMPLES} (density and coverage need 5 neighbours)")
    return new_config(args, data), data, None


def apply_speed_flags(args: argparse.Namespace, config: TrainConfig, world: World, device: torch.device) -> None:
    """--compile, --cuda-graph and --sync-bn, refused where they cannot work."""
    config.compile = args.compile  # a speed choice of this invocation
    if args.cuda_graph is not None:  # part of the recipe: a resumed run keeps it unless told otherwise
        config.cuda_graph = args.cuda_graph
    if args.cuda_graph and device.type != "cuda":
        raise UsageError("--cuda-graph needs a CUDA GPU, and this run is on the CPU")
    if config.compile and device.type == "cuda":
        raise UsageError(COMPILE_ON_CUDA)
    if args.sync_bn:
        config.sync_bn = True
    if config.sync_bn and not (world.enabled and device.type == "cuda"):
        raise UsageError("--sync-bn needs torchrun on CUDA GPUs (SyncBatchNorm has no CPU version); "
                         "without it BatchNorm statistics are per rank")


def set_length(args: argparse.Namespace, config: TrainConfig, bank: ImageBank, state: dict | None) -> None:
    """config.steps from --epochs (which needs the data set's size) or, on --resume, from --steps."""
    if args.epochs is not None:
        config.steps = max(1, math.ceil(args.epochs * bank.per_epoch / config.n_critic))
    elif state is not None and args.steps is not None:
        config.steps = args.steps
    if state is not None and config.steps <= state["step"]:
        raise UsageError(f"--resume: the run is already at step {state['step']}; ask for more --steps")


def summary(config: TrainConfig, data: Path, bank: ImageBank, world: World, device: torch.device, out: Path,
            slow_bf16: bool, graphed: bool, refusal: str | None) -> str:
    """The one line said before training starts."""
    batch = (f"batch {config.batch_size}" if not world.enabled else
             f"global batch {config.batch_size * world.size} = {config.batch_size} per rank × {world.size} ranks, "
             f"BatchNorm {'synchronised' if config.sync_bn else 'per rank'}")
    amp = "on" if config.amp else "off (this CPU has no bf16 units: fp32 runs ~10× faster)" if slow_bf16 else "off"
    step = ", CUDA-graph step (experimental)" if graphed else f", eager step ({refusal})" if refusal else ""
    return (f"{config.mode} on {device}: {len(bank)} images from {data}, {batch}, "
            f"{config.steps} generator steps, bf16 autocast {amp}{step} → {out}")


def train(args: argparse.Namespace, world: World, device: torch.device) -> int:
    out = args.out or Path("runs") / (args.mode or TrainConfig.mode)
    say = (lambda message: print(message, file=sys.stderr)) if world.is_main else (lambda message: None)
    slow_bf16 = not args.resume and args.amp is None and not bf16_is_fast(device)  # a resumed run keeps its recipe
    if slow_bf16:
        args.amp = False
    config, data, state = run_config(args, out, device)
    export_path = args.export or Path("checkpoints") / f"{out.name}.safetensors"
    if export_path.suffix != ".safetensors":
        raise UsageError(f"--export must end in .safetensors: {export_path}")
    apply_speed_flags(args, config, world, device)

    bank = ImageBank(load_folder(data, config.model.image_size), config.batch_size, config.seed, device, world)
    set_length(args, config, bank, state)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    refusal = graph_refusal(device, world) if config.cuda_graph else None
    graphed = config.cuda_graph and refusal is None
    trainer = (GraphedTrainer if graphed else Trainer)(config, bank, device, world)
    if state is not None:
        trainer.load_state_dict(state)
    say(summary(config, data, bank, world, device, out, slow_bf16, graphed, refusal))
    scorer = None
    if config.eval_every and world.is_main:
        scorer = GeneratorScorer(data, config.model.image_size, device, config.eval_num)
    finished = trainer.run(config.steps, out, resumed=args.resume, progress=not args.no_progress, scorer=scorer,
                           events=args.events)
    if world.enabled:
        say(f"weights identical on all {world.size} ranks")

    if world.is_main:
        export_generator(trainer.sample_generator(), export_path, trainer.export_info(), args.export_dtype)
        export_training_record(out, export_path)
    say(f"exported the EMA generator ({args.export_dtype}) to {export_path}")
    if not finished:
        say(f"stopped at step {trainer.step}; continue with --resume --out {out}")
    if world.enabled:  # torchrun stops every rank once one exits non-zero: wait until rank 0 has said all
        torch.distributed.barrier()
    return 0 if finished else 130


def cli(argv: list[str] | None = None) -> int:
    """main() with bad input turned into one line on stderr and exit code 2."""
    warnings.formatwarning = lambda message, category, *rest: f"warning: {message}\n"
    return run(main, argv, "train.py", expected=(DataError, MetricsError, StateError, ValueError))


if __name__ == "__main__":
    sys.exit(cli())
