"""The training loop for DCGAN, WGAN (weight clipping) and WGAN-GP.

`Trainer.train_step` is the whole algorithm: n_critic discriminator/critic
updates on real batches and fresh fakes, then one generator update on fresh
noise, then the generator's EMA. `Trainer.run` adds what a long run needs
around it: logging, snapshots, resumable state and a clean stop on signals.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from .data import ImageBank
from .distributed import World, any_rank, broadcast_buffers, check_in_sync, mean
from .events import RunEvents
from .export import export_generator
from .files import atomic_write
from .losses import clip_weights, discriminator_loss, generator_loss, gradient_penalty
from .metrics import Scores
from .models import Discriminator, Generator, ModelConfig, refresh_batchnorm_stats
from .optim import MODE_DEFAULTS, load_optimizer_state, make_optimizer
from .record import CONFIG_FILE, METRICS_FILE, snapshot_name
from .sampling import save_grid, seeded_noise
from .state import STATE_FILE
from .stats import MetricsLog, plot_curves, read_metrics

STOP_CHECK_EVERY = 10  # steps between the ranks' collective "did anyone get a signal?"


@dataclass
class TrainConfig:
    mode: str = "dcgan"
    steps: int = 5000  # generator updates
    batch_size: int = 128
    optimizer: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5  # Adam's betas; unused by RMSprop
    beta2: float = 0.999
    n_critic: int = 1
    clip: float = 0.01  # wgan: critic weights in [-clip, clip]
    gp_lambda: float = 10.0  # wgan-gp: penalty weight
    critic_warmup: bool = False  # wgan: Arjovsky's 100 critic steps early and every 500th step
    ema_decay: float = 0.999
    seed: int = 0
    amp: bool = True
    compile: bool = False
    cuda_graph: bool = False  # replay the step as one CUDA graph (experimental; facegan/cudagraph.py)
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 1000
    eval_every: int = 0  # steps between FID/KID measurements (0: never)
    eval_num: int = 5000  # samples per measurement
    sync_bn: bool = False  # torchrun on CUDA: BatchNorm statistics over the global batch
    data: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)

    @classmethod
    def for_mode(cls, mode: str, **overrides) -> TrainConfig:
        """The mode's recipe, with any non-None override applied on top."""
        recipe = {k: v for k, v in MODE_DEFAULTS[mode].items() if k != "critic_norm"}
        critic_norm = overrides.pop("critic_norm", None) or MODE_DEFAULTS[mode]["critic_norm"]
        model = dataclasses.replace(overrides.pop("model", None) or ModelConfig(), critic_norm=critic_norm)
        recipe.update({k: v for k, v in overrides.items() if v is not None})
        return cls(mode=mode, model=model, **recipe)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        values = json.loads(text)
        return cls(**{**values, "model": ModelConfig(**values["model"])})


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float | torch.Tensor) -> None:
    """ema ← decay·ema + (1 − decay)·model, in two multi-tensor kernels.

    decay may be a 0-d tensor on the device, which a CUDA graph reads at replay time.
    """
    averaged, current = list(ema.parameters()), list(model.parameters())
    torch._foreach_mul_(averaged, decay)
    torch._foreach_add_(averaged, torch._foreach_mul(current, 1.0 - decay))


class Trainer:
    def __init__(self, config: TrainConfig, bank: ImageBank, device: torch.device, world: World = World()) -> None:
        self.config, self.bank, self.device, self.world = config, bank, device, world
        torch.manual_seed(config.seed)  # the same on every rank: same weights, same random stream
        fmt = torch.channels_last
        self.G = Generator(config.model).to(device, memory_format=fmt)
        self.D = Discriminator(config.model).to(device, memory_format=fmt)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False)
        if config.sync_bn:  # BatchNorm statistics over the global batch (CUDA only)
            self.G = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.G)
            self.D = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.D)
        betas, fused = (config.beta1, config.beta2), device.type == "cuda"
        self.opt_g = make_optimizer(config.optimizer, self.G.parameters(), config.lr_g, betas, fused)
        self.opt_d = make_optimizer(config.optimizer, self.D.parameters(), config.lr_d, betas, fused)
        g, d = self.G, self.D
        if world.enabled:
            ids = [device] if device.type == "cuda" else None
            g, d = DistributedDataParallel(g, device_ids=ids), DistributedDataParallel(d, device_ids=ids)
        # WGAN-GP differentiates through a gradient, which torch.compile cannot do.
        use_compile = config.compile and config.mode != "wgan-gp"
        self.g = torch.compile(g) if use_compile else g
        self.d = torch.compile(d) if use_compile else d
        self.d_frozen = self.d  # the critic as the generator step uses it
        if world.enabled:  # no critic weight gradients there, which DDP would wait for: the plain module
            self.d_frozen = torch.compile(self.D) if use_compile else self.D
        self.fixed_z = seeded_noise(64, config.model.nz, config.seed + 1, device)
        self.step = 0  # generator updates done
        self.batches = 0  # real batches consumed
        self.wall_time = 0.0
        self.best_fid = float("inf")
        self.events: RunEvents | None = None  # while a run writes TensorBoard events

    @property
    def images_seen(self) -> int:
        """Real images shown to the critic, over all ranks."""
        return self.batches * self.config.batch_size * self.world.size

    def _global_draw(self, draw: Callable[[int], torch.Tensor]) -> torch.Tensor:
        """A random tensor drawn for the global batch, cut to this rank's share."""
        B = self.config.batch_size
        return draw(B * self.world.size)[self.world.my_slice(B)]

    def _noise(self) -> torch.Tensor:
        return self._global_draw(lambda n: torch.randn(n, self.config.model.nz, device=self.device))

    def autocast(self) -> torch.autocast:
        # No cache of bf16 weight casts: the critic's gradients from its real and fake passes then add
        # up in fp32 rather than bf16, and a CUDA graph never holds a cast made outside its capture.
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.amp, cache_enabled=False)

    def real_batch(self, i: int) -> torch.Tensor:
        """The step's i-th real batch (the CUDA-graphed trainer reads it through a static buffer)."""
        return self.bank.batch(self.batches + i)

    def ema_decay(self) -> float | torch.Tensor:
        """Ramped, so early weights do not linger (0.999 alone keeps 55% of them after 600 steps)."""
        return min(self.config.ema_decay, (1 + self.step) / (10 + self.step))

    def critic_steps(self) -> int:
        c = self.config
        if c.mode == "wgan" and c.critic_warmup and (self.step < 25 or self.step % 500 == 0):
            return 100
        return c.n_critic

    def train_step(self) -> torch.Tensor:
        """One generator update and its critic updates; returns stats on the device (no sync)."""
        c = self.config
        critic_steps = self.critic_steps()
        # With one critic step (DCGAN) the generator step reuses this step's fakes, as the
        # tutorial does; WGANs draw fresh noise for the generator after their critic steps.
        reuse_fakes = critic_steps == 1
        self.D.requires_grad_(True)
        for i in range(critic_steps):
            real = self.real_batch(i)
            with torch.set_grad_enabled(reuse_fakes), self.autocast():
                fake = self.g(self._noise())
            with self.autocast():
                real_scores, fake_scores = self.d(real), self.d(fake.detach())
                loss_d = discriminator_loss(c.mode, real_scores, fake_scores)
            if c.mode == "wgan-gp":
                # Through the plain critic: its weight gradients join the same backward pass,
                # so DDP averages them with the rest (a test checks this against one process).
                alpha = self._global_draw(lambda n: torch.rand(n, 1, 1, 1, device=self.device))
                loss_d = loss_d + c.gp_lambda * gradient_penalty(self.D, real, fake, alpha)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            if c.mode == "wgan":
                clip_weights(self.D, c.clip)
        self.batches += critic_steps

        self.D.requires_grad_(False)  # no critic weight gradients in the generator step
        if not reuse_fakes:
            with self.autocast():
                fake = self.g(self._noise())
        with self.autocast():
            loss_g = generator_loss(c.mode, self.d_frozen(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        update_ema(self.G_ema, self.G, self.ema_decay())
        self.step += 1

        real_scores, fake_scores = real_scores.detach().float(), fake_scores.detach().float()
        wasserstein = real_scores.mean() - fake_scores.mean()
        if c.mode == "dcgan":  # report D(x) and D(G(z)) as probabilities, as the tutorial does
            real_scores, fake_scores = torch.sigmoid(real_scores), torch.sigmoid(fake_scores)
        return torch.stack([loss_d.detach(), loss_g.detach(), real_scores.mean(), fake_scores.mean(), wasserstein])

    STAT_NAMES = ("loss_d", "loss_g", "d_real", "d_fake", "wasserstein")

    def sample_generator(self) -> Generator:
        """The EMA generator with BatchNorm statistics of its own, in eval mode."""
        refresh_batchnorm_stats(self.G_ema, seed=self.config.seed)
        return self.G_ema

    # --- resumable state -------------------------------------------------
    def state_dict(self) -> dict:
        state = {
            "config": self.config.to_json(),
            "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "step": self.step, "batches": self.batches, "wall_time": self.wall_time, "best_fid": self.best_fid,
            "rng_cpu": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            state["rng_cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def load_state_dict(self, state: dict) -> None:
        for name in ("G", "D", "G_ema"):
            getattr(self, name).load_state_dict(state[name])
        load_optimizer_state(self.opt_g, state["opt_g"])
        load_optimizer_state(self.opt_d, state["opt_d"])
        self.step, self.batches, self.wall_time = state["step"], state["batches"], state["wall_time"]
        self.best_fid = state["best_fid"]
        torch.set_rng_state(state["rng_cpu"].cpu())  # map_location may have moved it
        if self.device.type == "cuda" and "rng_cuda" in state:
            torch.cuda.set_rng_state(state["rng_cuda"].cpu(), self.device)

    def save_state(self, path: Path) -> None:
        """Atomic: a crash mid-write leaves the previous state intact."""
        with atomic_write(path) as tmp:
            torch.save(self.state_dict(), tmp)

    # --- the run -----------------------------------------------------------
    def export_info(self) -> dict:
        """What an exported generator's metadata says about its training."""
        c = self.config
        return {
            "mode": c.mode, "steps": self.step, "images_seen": self.images_seen,
            "dataset": Path(c.data).resolve().name, "dataset_size": len(self.bank),
            "batch_size": c.batch_size * self.world.size, "ranks": self.world.size,
            "train_seconds": round(self.wall_time, 1),
            "device": torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu",
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "train_config": dataclasses.asdict(c),
        }

    def run(self, total_steps: int, out_dir: Path, resumed: bool = False, progress: bool = True,
            scorer: Callable[[Generator], Scores] | None = None, events: bool = True) -> bool:
        """Train up to total_steps; returns False if stopped early by SIGINT/SIGTERM.

        Every metrics row and fixed-noise grid also goes to TensorBoard events in out_dir
        unless events is False; the recipe goes to config.json. With a scorer and
        eval_every > 0, rows of its scores (FID, KID, precision, recall, density, coverage)
        join metrics.jsonl and the best-FID EMA generator is kept as best.safetensors.
        Under torchrun every rank runs this loop and only rank 0 writes; a signal to any
        rank stops all of them within STOP_CHECK_EVERY steps, at the same step.
        """
        c, main = self.config, self.world.is_main
        if main:
            out_dir.mkdir(parents=True, exist_ok=True)
            log = MetricsLog(out_dir / METRICS_FILE, resume_step=self.step if resumed else None)
            with atomic_write(out_dir / CONFIG_FILE) as tmp:
                tmp.write_text(c.to_json())
            if events:
                self.events = RunEvents(out_dir, dataclasses.asdict(c), self.step, resumed)
        try:
            return self._run(total_steps, out_dir, progress, scorer, log if main else None)
        finally:
            if self.events is not None:
                self.events.close()
                self.events = None

    def _run(self, total_steps: int, out_dir: Path, progress: bool, scorer: Callable[[Generator], Scores] | None,
             log: MetricsLog | None) -> bool:
        c, main = self.config, self.world.is_main
        stop = _StopFlag()
        sums, rows_since = torch.zeros(len(self.STAT_NAMES), device=self.device), 0
        started = time.perf_counter()
        last_time, last_seen = started, self.images_seen
        bar = tqdm(total=total_steps, initial=self.step, unit="step", disable=not (progress and main),
                   dynamic_ncols=True)
        stopping = False
        with stop:
            while self.step < total_steps and not stopping:
                sums += self.train_step()
                rows_since += 1
                bar.update(1)
                if self.step % c.log_every == 0 or self.step == total_steps:
                    now = time.perf_counter()
                    means = (mean(sums, self.world) / rows_since).tolist()  # the one host sync per interval
                    rate = (self.images_seen - last_seen) / max(now - last_time, 1e-9)
                    if main:
                        self._record(log, {"step": self.step, "images_seen": self.images_seen,
                                           **dict(zip(self.STAT_NAMES, means, strict=True)), "images_per_s": rate,
                                           "wall_time": self.wall_time + now - started})
                    bar.set_postfix(loss_d=f"{means[0]:.3f}", loss_g=f"{means[1]:.3f}", img_s=f"{rate:.0f}")
                    sums.zero_()
                    rows_since, last_time, last_seen = 0, now, self.images_seen
                if self.step % c.sample_every == 0:
                    self.save_samples(out_dir)
                if main and scorer is not None and c.eval_every and self.step % c.eval_every == 0:
                    self.evaluate(scorer, log, out_dir)
                if self.step % c.checkpoint_every == 0:
                    self._checkpoint(out_dir, started)
                    started = time.perf_counter()
                if not self.world.enabled or self.step % STOP_CHECK_EVERY == 0:
                    stopping = any_rank(stop.requested, self.world, self.device)
        bar.close()
        broadcast_buffers([self.G, self.D], self.world)
        self.save_samples(out_dir, final=True)
        self._checkpoint(out_dir, started)
        check_in_sync([self.G, self.D, self.G_ema], self.world)
        if main:
            rows = read_metrics(out_dir / METRICS_FILE)
            if rows:
                plot_curves(rows, out_dir / "curves.png", title=f"{c.mode} · {Path(c.data).name}")
        return not stopping

    def _record(self, log: MetricsLog, row: dict) -> None:
        """A metrics row: into metrics.jsonl and, unless turned off, the TensorBoard events."""
        log.append(row)
        if self.events is not None:
            self.events.scalars(row)

    def evaluate(self, scorer: Callable[[Generator], Scores], log: MetricsLog, out_dir: Path) -> None:
        scores = scorer(self.sample_generator())
        self._record(log, {"step": self.step, "images_seen": self.images_seen, **scores.as_dict()})
        tqdm.write(f"step {self.step}: FID {scores.fid:.2f}, KID {scores.kid:.4f}, precision {scores.precision:.3f}, "
                   f"recall {scores.recall:.3f}, density {scores.density:.3f}, coverage {scores.coverage:.3f} "
                   f"({scores.num} samples)")
        if scores.fid < self.best_fid:
            self.best_fid = scores.fid
            export_generator(self.G_ema, out_dir / "best.safetensors", {**self.export_info(), **scores.metadata()})

    def _checkpoint(self, out_dir: Path, started: float) -> None:
        self.wall_time += time.perf_counter() - started
        if self.world.is_main:
            self.save_state(out_dir / STATE_FILE)
        if self.events is not None:  # events on disk at least as far as the state
            self.events.flush()

    def save_samples(self, out_dir: Path, final: bool = False) -> None:
        """Every rank refreshes its EMA statistics (keeping ranks identical); rank 0 writes."""
        generator = self.sample_generator()
        if not self.world.is_main:
            return
        with torch.no_grad():
            images = generator(self.fixed_z)
        name = "samples_final.png" if final else snapshot_name(self.step)
        canvas = save_grid(images, out_dir / name, nrow=8)
        if self.events is not None:
            self.events.grid(canvas, self.step)


class _StopFlag:
    """Turns the first SIGINT/SIGTERM into a request to stop after the current step."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        if self.requested:  # a second Ctrl-C means now
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
