"""The whole training step as one CUDA graph: the GPU step without its few hundred kernel launches.

Opt-in and experimental (`train.py --cuda-graph`): the shipped models were trained with the
eager step, and this path counts as verified once its CUDA tests (tests/test_cuda.py, run by
benchmarks/gpu_check.sh) pass on a GPU.

A batch-128 step is launch-bound on a GPU (a few ms of kernels in ~10 ms of Python and
launches). `GraphedTrainer` captures `Trainer.train_step`, which stays the readable
reference, once, and then replays it: critic steps, gradient penalty (its double backward
included), generator step, optimiser steps, weight clipping and EMA in one launch.

What the eager step decides on the host each step reaches the graph through static device
buffers, filled before every replay: the data set indices of the step's real batches and
the EMA decay. Random draws (noise, flips, penalty mixes) come from PyTorch's CUDA
generator, whose Philox offset every replay advances, so each replay draws new numbers —
the same ones the eager step would have drawn. Adam and RMSprop run with capturable=True,
keeping their step counters on the GPU.

Eager instead: the first WARMUP_STEPS steps (on a side stream, as PyTorch's CUDA-graph notes
ask, so cuDNN picks its kernels and the optimisers create their state before capture), the
WGAN warm-up's 100-critic steps, runs under torchrun, and everything after a failed capture.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from tqdm import tqdm

from .data import ImageBank
from .distributed import World
from .training import TrainConfig, Trainer

WARMUP_STEPS = 3


def graph_refusal(device: torch.device, world: World) -> str | None:
    """Why a run that asks for the CUDA graph gets the eager step here, or None when it can be graphed."""
    if device.type != "cuda":
        return "CUDA graphs need a CUDA device"
    if world.enabled:
        return "no CUDA graph under torchrun: DDP's gradient all-reduce is not captured"
    return None


class GraphedTrainer(Trainer):
    """A Trainer whose train_step replays a CUDA graph of Trainer.train_step."""

    def __init__(self, config: TrainConfig, bank: ImageBank, device: torch.device, world: World = World()) -> None:
        super().__init__(config, bank, device, world)
        for optimizer in (self.opt_g, self.opt_d):
            for group in optimizer.param_groups:
                group["capturable"] = True  # step counters on the GPU, updated inside the graph
        self.indices = torch.zeros(config.n_critic, config.batch_size, dtype=torch.long, device=device)
        self.decay = torch.zeros((), device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failure: str | None = None  # why capture failed, if it did
        self._stats: torch.Tensor | None = None  # the graph's output buffer
        self._eager_steps = 0
        self._capturing = False

    # While capturing, the step reads its host-decided inputs from the static buffers.
    def real_batch(self, i: int) -> torch.Tensor:
        return self.bank.fetch(self.indices[i]) if self._capturing else super().real_batch(i)

    def ema_decay(self) -> float | torch.Tensor:
        return self.decay if self._capturing else super().ema_decay()

    def train_step(self) -> torch.Tensor:
        n = self.config.n_critic
        if self.failure is not None or self.critic_steps() != n:
            return super().train_step()
        if self.graph is None:
            if self._eager_steps < WARMUP_STEPS:
                self._eager_steps += 1
                return self._on_side_stream(super().train_step)
            self._capture()
            if self.graph is None:
                return super().train_step()
        torch.stack([self.bank.indices(self.batches + i) for i in range(n)], out=self.indices)
        self.decay.fill_(self.ema_decay())
        self.graph.replay()
        self.step += 1
        self.batches += n
        return self._stats.clone()

    def _on_side_stream(self, work: Callable[[], torch.Tensor]) -> torch.Tensor:
        main, side = torch.cuda.current_stream(self.device), torch.cuda.Stream(self.device)
        side.wait_stream(main)
        with torch.cuda.stream(side):
            out = work()
        main.wait_stream(side)
        return out

    def _capture(self) -> None:
        """Record one step; on any error, say so once and stay eager."""
        step, batches = self.step, self.batches  # capture records the work without doing it
        stream = torch.cuda.current_stream(self.device)
        rng = torch.cuda.default_generators[self.device.index if self.device.index is not None
                                            else torch.cuda.current_device()]
        rng_state = rng.clone_state()
        graph = torch.cuda.CUDAGraph()
        self._capturing = True
        try:
            with torch.cuda.graph(graph):
                stats = Trainer.train_step(self)
        except Exception as error:  # noqa: BLE001 - whatever breaks capture, the eager step still works
            torch.cuda.set_stream(stream)  # a failed capture_end leaves the capture's side stream current
            # ...and, a PyTorch bug, can leave the CUDA generator marked as capturing, so the next eager draw
            # would raise: give it back its state from before the capture.
            rng.graphsafe_set_state(rng_state)
            first_line = (str(error).strip().splitlines() or [""])[0]
            self.failure = f"{type(error).__name__}: {first_line}"
            tqdm.write(f"CUDA graph capture failed ({self.failure}); training on with the eager step", file=sys.stderr)
        else:
            self.graph, self._stats = graph, stats
        finally:
            self._capturing = False
            self.step, self.batches = step, batches
