"""Data-parallel training under torchrun: the process group and the few collectives the loop needs.

A plain `python train.py` never touches torch.distributed: `World()` is one rank.
Under `torchrun`, every rank draws the random numbers of the *global* batch from an
identically seeded generator and keeps its own slice, so N ranks of batch B see the
same images, noise and flips as one process with batch N×B.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def my_slice(self, batch_size: int) -> slice:
        return slice(self.rank * batch_size, (self.rank + 1) * batch_size)


def init(device: torch.device) -> tuple[World, torch.device]:
    """Join torchrun's process group (NCCL on CUDA, gloo on CPU); one GPU per local rank."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return World(), device
    world = World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return world, device


def shutdown(world: World) -> None:
    if world.enabled and dist.is_initialized():
        dist.destroy_process_group()


def mean(tensor: torch.Tensor, world: World) -> torch.Tensor:
    """The average of tensor over ranks (in place)."""
    if world.enabled:
        dist.all_reduce(tensor)
        tensor /= world.size
    return tensor


def any_rank(flag: bool, world: World, device: torch.device) -> bool:
    """True on every rank if it is true on any: how a signal to one rank stops them all."""
    if not world.enabled:
        return flag
    t = torch.tensor([float(flag)], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def broadcast_buffers(modules: list[torch.nn.Module], world: World) -> None:
    """Rank 0's BatchNorm running statistics everywhere, as DDP does before each forward.

    With per-rank BatchNorm the last forward of each rank leaves its own statistics.
    """
    if world.enabled:
        for module in modules:
            for buffer in module.buffers():
                dist.broadcast(buffer, src=0)


def check_in_sync(modules: list[torch.nn.Module], world: World) -> None:
    """Raise unless every rank holds bit-identical parameters and buffers."""
    if not world.enabled:
        return
    for module in modules:
        for name, t in module.state_dict().items():
            mine = t.detach().reshape(-1).to(torch.float64)
            reference = mine.clone()
            dist.broadcast(reference, src=0)
            if not torch.equal(mine, reference):
                raise RuntimeError(f"rank {world.rank} diverged from rank 0 in {name}")
