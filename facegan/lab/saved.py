"""A Lab run in one .safetensors file: both nets, both optimisers' state and the run's random stream as
tensors, the settings and counters as JSON metadata; no pickles. Loading continues the run exactly where it
stopped: the next steps draw the same batches and make the same updates as if it had never been saved."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from safetensors import SafetensorError, safe_open

from ..export import save_safetensors
from ..optim import load_optimizer_state
from ..state import OPTIMIZER_KEYS, flat_tensors, nested_states
from .config import LabConfig
from .runs import LabRun, history_run
from .targets import LabError

METADATA_KEY, FORMAT = "facegan_lab", 1
PRESETS = Path("checkpoints") / "lab"  # the command line's default; the studio reads its checkpoints' lab/
NETS = ("G", "D")  # a Lab run has no EMA copy of G; its optimisers are saved under the face trainer's OPTIMIZER_KEYS


def save_run(run: LabRun, path: Path, history: Sequence[dict] = ()) -> Path:
    """Write run to path (atomically), with its measurements so far (its curves), and return path."""
    optimizers = {opt: getattr(run, opt).state_dict() for opt in OPTIMIZER_KEYS}
    tensors = {name: t.detach().cpu().contiguous()
               for name, t in flat_tensors({net: getattr(run, net).state_dict() for net in NETS}, optimizers).items()}
    groups = {opt: state["param_groups"] for opt, state in optimizers.items()}
    tensors["rng"] = run.gen.get_state()
    config = {**run.config.__dict__, "strokes": [list(map(list, s)) for s in run.config.strokes]}
    meta = {"format": FORMAT, "config": config, "param_groups": groups, "history": list(history),
            "counters": {"step": run.step, "d_updates": run.d_updates, "rounds": run.rounds,
                         "loss_d": run.loss_d, "loss_g": run.loss_g}}
    save_safetensors(tensors, {METADATA_KEY: json.dumps(meta)}, Path(path))
    return Path(path)


def load_run(path: str | Path) -> LabRun:
    """The run saved at path, ready to continue; a LabError saying why for a missing, damaged or foreign file."""
    return load_run_and_history(path)[0]


def load_run_and_history(path: str | Path, device: str = "cpu") -> tuple[LabRun, list[dict]]:
    """The run saved at path (on device), and the measurements saved with it."""
    path = Path(path)
    try:
        with safe_open(path, "pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
            if raw is None:
                raise LabError(f"{path.name} is a .safetensors file but not a saved Lab run (a face model?)")
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError) as error:
        raise LabError(f"{path.name} is not a readable .safetensors file ({error})") from None
    try:
        meta = json.loads(raw)
        if meta.get("format") != FORMAT:
            raise LabError(f"{path.name} is a Lab run of another format ({meta.get('format')!r})")
        run = LabRun(LabConfig(**meta["config"]), device)
        nets, optimizers = nested_states(tensors, NETS, {opt: meta["param_groups"][opt] for opt in OPTIMIZER_KEYS})
        for net, state in nets.items():
            getattr(run, net).load_state_dict(state)
        for opt, state in optimizers.items():
            load_optimizer_state(getattr(run, opt), state)
        run.gen.set_state(tensors["rng"])
        counters = meta["counters"]
        run.step, run.d_updates, run.rounds = counters["step"], counters["d_updates"], counters["rounds"]
        run.loss_d, run.loss_g = counters["loss_d"], counters["loss_g"]
        history = [dict(m) for m in meta.get("history", [])]
    except LabError:
        raise
    except (ValueError, KeyError, TypeError, RuntimeError) as error:  # edited metadata, nets of other sizes
        raise LabError(f"{path.name} does not hold a whole Lab run ({type(error).__name__}: {error})") from None
    return run, history


def presets(folder: Path | None) -> dict[str, Path]:
    """The shipped runs that open trained, by name (the file's stem), in folder (None: no presets)."""
    return {p.stem: p for p in sorted(folder.glob("*.safetensors"))} if folder and folder.is_dir() else {}


def heart(points: int = 80) -> tuple:
    """A heart as one closed stroke in the data square: the drawn preset's data."""
    ts = [2 * math.pi * i / points for i in range(points + 1)]
    return ((tuple((round(16 * math.sin(t) ** 3 / 17, 4),
                    round((13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)) / 17 + 0.1,
                          4)) for t in ts)),)


# The shipped runs: (settings, rounds trained), measured every PRESET_EVERY rounds for their curves. Each may go
# on to twice its rounds when loaded.
PRESET_EVERY = 25
PRESET_RUNS = {
    "gan-ring-collapsed": (LabConfig.for_objective("gan", distribution="ring", g_steps=3, steps=2000), 1000),
    "wgan-gp-grid": (LabConfig.for_objective("wgan-gp", distribution="grid", steps=8000), 4000),
    "drawn-heart": (LabConfig.for_objective("wgan-gp", distribution="drawn", strokes=heart(), steps=3000), 1500),
}


def make_presets(folder: Path = PRESETS, progress: Callable[[str], None] = print) -> list[Path]:
    """Train PRESET_RUNS and save each into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (config, rounds) in PRESET_RUNS.items():
        run, history = history_run(config, PRESET_EVERY, rounds=rounds)
        paths.append(save_run(run, folder / f"{name}.safetensors", history))
        metrics = history[-1]
        progress(f"{name}: {run.rounds:,} rounds, W1 {metrics['w1']:.3f}, modes {metrics['modes']}, "
                 f"{paths[-1].stat().st_size:,} bytes")
    return paths

