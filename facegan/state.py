"""A run's resumable state as safetensors parts of bounded size plus one small JSON index.

state.pt (G, D, EMA, both optimisers, counters, RNG states, config) is ~90 MB for the Adam
modes, one pickle-based file. To move a run between machines or through storage that caps
file sizes, it can also be kept as parts of bounded size:

    python -m facegan.state split runs/wgan-gp            # → runs/wgan-gp/state-parts/
    python train.py --resume --out runs/wgan-gp            # resumes from state.pt or state-parts/

state-parts/ holds state.json (counters, config, optimiser settings, and each part's size
and SHA-256) and part-I-of-N.safetensors files, each at most --max-mib. No pickles: every
tensor, the RNG states included, is a safetensors tensor; everything else is JSON. Resuming
from the parts gives bit-identical weights to resuming from state.pt.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from .cli import Parser, UsageError, run
from .export import file_sha256, save_safetensors
from .files import atomic_write

STATE_FILE = "state.pt"  # a run's whole resumable state, as torch.save writes it
PARTS_DIR = "state-parts"
INDEX = "state.json"
FORMAT = 1
DEFAULT_PART_MIB = 15  # four parts and the index fit one 64 MiB transfer
HEADER_ROOM = 64 << 10  # bytes kept free in each part for its safetensors header
NETWORKS = ("G", "D", "G_ema")
OPTIMIZER_KEYS = ("opt_g", "opt_d")  # the optimisers' states in a saved run


class StateError(ValueError):
    """A state that cannot be resumed from; the message says why."""


def flat_tensors(nets: dict[str, dict], optimizers: dict[str, dict]) -> dict[str, torch.Tensor]:
    """Networks' state dicts and optimisers' states as one flat dict of tensors: net/name, opt/param_id/key."""
    tensors = {f"{net}/{name}": t for net, state in nets.items() for name, t in state.items()}
    for opt, state in optimizers.items():
        for param_id, values in state["state"].items():
            tensors.update({f"{opt}/{param_id}/{key}": value for key, value in values.items()})
    return tensors


def nested_states(tensors: dict[str, torch.Tensor], nets: Sequence[str],
                  param_groups: dict[str, list]) -> tuple[dict[str, dict], dict[str, dict]]:
    """flat_tensors' inverse: each net's state dict, and each optimiser's state with its param_groups."""
    net_states = {net: {name.split("/", 1)[1]: t for name, t in tensors.items() if name.startswith(f"{net}/")}
                  for net in nets}
    opt_states = {}
    for opt, groups in param_groups.items():
        per_param: dict[int, dict[str, torch.Tensor]] = {}
        for name, t in tensors.items():
            if name.startswith(f"{opt}/"):
                _, param_id, key = name.split("/")
                per_param.setdefault(int(param_id), {})[key] = t
        opt_states[opt] = {"state": dict(sorted(per_param.items())), "param_groups": groups}
    return net_states, opt_states


def _tensors(state: dict) -> dict[str, torch.Tensor]:
    """Every tensor of a Trainer.state_dict(), under a flat name."""
    tensors = flat_tensors({net: state[net] for net in NETWORKS}, {opt: state[opt] for opt in OPTIMIZER_KEYS})
    tensors.update({key: state[key] for key in ("rng_cpu", "rng_cuda") if key in state})
    return tensors


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def _pieces(tensors: dict[str, torch.Tensor], limit: int) -> list[tuple[str, torch.Tensor]]:
    """(name, tensor) to store, CPU and contiguous; a tensor over limit bytes goes flat in chunks name#k."""
    pieces = []
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if _nbytes(t) <= limit:
            pieces.append((name, t))
        else:
            chunks = t.reshape(-1).chunk(math.ceil(_nbytes(t) / limit))
            pieces += [(f"{name}#{k}", c.clone()) for k, c in enumerate(chunks)]
    return pieces


def save_parts(state: dict, folder: Path, max_bytes: int = DEFAULT_PART_MIB << 20) -> list[Path]:
    """Write state (a Trainer.state_dict()) as folder/state.json plus parts of at most max_bytes each.

    Parts are written first and the index last, each atomically, so an interrupted save leaves
    the previous index, which then finds its parts changed and says so instead of resuming wrong.
    """
    limit = max_bytes - HEADER_ROOM
    if limit <= 0:
        raise StateError(f"parts of {max_bytes} bytes leave no room for tensors")
    tensors = _tensors(state)
    groups: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, t in _pieces(tensors, limit):
        if groups[-1] and size + _nbytes(t) > limit:
            groups.append({})
            size = 0
        groups[-1][name] = t
        size += _nbytes(t)
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, group in enumerate(groups, 1):
        path = folder / f"part-{i}-of-{len(groups)}.safetensors"
        save_safetensors(group, {}, path)
        parts.append({"file": path.name, "bytes": path.stat().st_size, "sha256": file_sha256(path)})
    index = {
        "format": FORMAT,
        "config": json.loads(state["config"]),
        **{key: state[key] for key in ("step", "batches", "wall_time", "best_fid")},
        "param_groups": {opt: state[opt]["param_groups"] for opt in OPTIMIZER_KEYS},
        "shapes": {name: list(t.shape) for name, t in tensors.items()},
        "parts": parts,
    }
    with atomic_write(folder / INDEX) as tmp:
        tmp.write_text(json.dumps(index, indent=1))
    for stale in set(folder.glob("part-*.safetensors")) - {folder / p["file"] for p in parts}:
        stale.unlink()
    return [folder / INDEX] + [folder / p["file"] for p in parts]


def read_index(folder: Path) -> dict:
    try:
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError) as error:
        raise StateError(f"unreadable {folder / INDEX} ({error})") from None
    if index.get("format") != FORMAT:
        raise StateError(f"{folder / INDEX} is not a FaceGAN state (format {index.get('format')!r})")
    return index


def load_parts(folder: Path) -> dict:
    """The Trainer.state_dict() that save_parts wrote into folder, on the CPU; checks every part first."""
    index = read_index(folder)
    stored: dict[str, torch.Tensor] = {}
    for part in index["parts"]:
        path = folder / part["file"]
        if not path.is_file():
            raise StateError(f"{path} is missing: bring all {len(index['parts'])} parts of the state")
        if path.stat().st_size != part["bytes"] or file_sha256(path) != part["sha256"]:
            raise StateError(f"{path} is damaged or from another save (size or SHA-256 differ)")
        try:
            with safe_open(path, "pt") as f:
                stored.update({name: f.get_tensor(name) for name in f.keys()})
        except (SafetensorError, OSError) as error:
            raise StateError(f"{path} is not readable ({error})") from None
    tensors = {}
    for name, shape in index["shapes"].items():
        if name in stored:
            tensors[name] = stored[name]
        else:  # stored flat, in chunks name#0, name#1, …
            chunks = [stored[f"{name}#{k}"] for k in range(sum(key.startswith(f"{name}#") for key in stored))]
            tensors[name] = torch.cat(chunks).reshape(shape)
    state = {key: index[key] for key in ("step", "batches", "wall_time", "best_fid")}
    state["config"] = json.dumps(index["config"])
    nets, optimizers = nested_states(tensors, NETWORKS, {opt: index["param_groups"][opt] for opt in OPTIMIZER_KEYS})
    state.update(nets)
    state.update(optimizers)
    state.update({key: tensors[key] for key in ("rng_cpu", "rng_cuda") if key in tensors})
    return state


def has_state(run_dir: Path) -> bool:
    return (run_dir / STATE_FILE).is_file() or (run_dir / PARTS_DIR / INDEX).is_file()


def load_run_state(run_dir: Path, device: torch.device) -> dict:
    """The run's resumable state: state.pt or state-parts/, whichever is further along (state.pt on a tie)."""
    candidates = []
    if (run_dir / STATE_FILE).is_file():
        candidates.append(torch.load(run_dir / STATE_FILE, map_location=device, weights_only=True))
    if (run_dir / PARTS_DIR / INDEX).is_file():
        candidates.append(load_parts(run_dir / PARTS_DIR))
    if not candidates:
        raise StateError(f"no {STATE_FILE} or {PARTS_DIR}/ in {run_dir} to continue from")
    return max(candidates, key=lambda state: state["step"])  # max keeps the first of equals


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m facegan.state", description=__doc__)
    commands = p.add_subparsers(dest="command", required=True)
    split = commands.add_parser("split", help="write RUN's state as safetensors parts + state.json")
    split.add_argument("run", type=Path, help="run folder holding state.pt or state-parts/ (re-split to other sizes)")
    split.add_argument("--to", type=Path, help=f"output folder (default RUN/{PARTS_DIR})")
    split.add_argument("--max-mib", type=float, default=DEFAULT_PART_MIB, help="largest part, MiB (default 15)")
    args = p.parse_args(argv)
    if not 1 <= args.max_mib <= 1 << 20:
        raise UsageError(f"--max-mib must be between 1 and {1 << 20}: {args.max_mib}")
    state = load_run_state(args.run, torch.device("cpu"))
    files = save_parts(state, args.to or args.run / PARTS_DIR, int(args.max_mib * (1 << 20)))
    for path in files:
        print(f"{path}  {path.stat().st_size / (1 << 20):.1f} MiB")
    return 0


def cli(argv: list[str] | None = None) -> int:
    """main() with bad input turned into one line on stderr and exit code 2."""
    return run(main, argv, "python -m facegan.state", expected=(StateError,))


if __name__ == "__main__":
    sys.exit(cli())
