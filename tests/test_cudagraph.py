"""The CUDA-graph step's logic that needs no GPU: when it is used, --cuda-graph as part of the recipe,
the --compile refusal, and the host-side inputs and counters around the graph (replayed by a stand-in
graph on the CPU)."""

import contextlib
import copy
import json

import pytest
import torch

from facegan import train
from facegan.cudagraph import GraphedTrainer, graph_refusal
from facegan.data import ImageBank
from facegan.distributed import World
from facegan.models import ModelConfig
from facegan.state import STATE_FILE
from facegan.training import TrainConfig, Trainer
from tests.conftest import TINY

CUDA = torch.device("cuda")


def test_graphs_are_used_only_on_one_cuda_process():
    assert graph_refusal(CUDA, World()) is None
    assert "CUDA device" in graph_refusal(torch.device("cpu"), World())
    assert "torchrun" in graph_refusal(CUDA, World(rank=1, size=2, local_rank=1))


def test_compile_on_cuda_is_one_line_and_exit_2(tmp_path, image_folder, capsys, monkeypatch):
    monkeypatch.setattr(train, "resolve_device", lambda name: CUDA)  # refused before CUDA is touched
    code = train.cli(["--data", str(image_folder), "--out", str(tmp_path / "run"), *TINY, "--compile"])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"train.py: error: {train.COMPILE_ON_CUDA}"
    assert not (tmp_path / "run").exists()


def test_cuda_graph_without_cuda_is_one_line_and_exit_2(tmp_path, image_folder, capsys):
    code = train.cli(["--data", str(image_folder), "--out", str(tmp_path / "run"), *TINY, "--cuda-graph"])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "train.py: error: --cuda-graph needs a CUDA GPU, and this run is on the CPU")
    assert not (tmp_path / "run").exists()


def test_cuda_graph_is_kept_in_the_resumable_recipe(tmp_path, image_folder, capsys):
    """Off by default; a run started with --cuda-graph (on a GPU: here its saved state is edited to say so) keeps it
    when resumed, eagerly where there is no CUDA; --no-cuda-graph takes it out of the recipe."""
    state_path = tmp_path / "run" / STATE_FILE
    resume = ["--resume", "--out", str(tmp_path / "run"), "--export", str(tmp_path / "g.safetensors"), "--no-progress"]

    def recipe() -> dict:
        return json.loads(torch.load(state_path, weights_only=True)["config"])

    assert train.cli(["--data", str(image_folder), "--out", str(tmp_path / "run"), "--export",
                      str(tmp_path / "g.safetensors"), *TINY, "--steps", "1"]) == 0
    assert recipe()["cuda_graph"] is False
    state = torch.load(state_path, weights_only=True)
    state["config"] = json.dumps({**recipe(), "cuda_graph": True})
    torch.save(state, state_path)
    capsys.readouterr()

    assert train.cli([*resume, "--steps", "2"]) == 0
    assert "eager step (CUDA graphs need a CUDA device)" in capsys.readouterr().err
    assert recipe()["cuda_graph"] is True
    assert train.cli([*resume, "--steps", "3", "--cuda-graph"]) == 2  # asked for outright: refused without CUDA
    assert train.cli([*resume, "--steps", "3", "--no-cuda-graph"]) == 0
    assert "eager step" not in capsys.readouterr().err
    assert recipe()["cuda_graph"] is False


class StandInGraph:
    """A CUDA graph's semantics on the CPU: capture records Trainer.train_step without doing any of it;
    each replay does it again, reading the static buffers and writing into the captured output tensor."""

    def __init__(self, trainer: GraphedTrainer) -> None:
        self.trainer = trainer

    @contextlib.contextmanager
    def capture(self, graph):  # stands in for torch.cuda.graph(graph)
        before = copy.deepcopy(self.trainer.state_dict())
        yield
        self.trainer.load_state_dict(before)  # weights, optimisers, counters, RNG: as if nothing ran

    def replay(self) -> None:
        t = self.trainer
        step, batches = t.step, t.batches
        t._capturing = True
        try:
            t._stats.copy_(Trainer.train_step(t))
        finally:
            t._capturing = False
        t.step, t.batches = step, batches


@pytest.mark.parametrize("mode, first_step", [
    ("dcgan", 0), ("wgan-gp", 0),
    ("wgan", 495),  # --critic-warmup: step 500 takes 100 critic steps, eagerly, between replays
])
def test_graph_inputs_and_counters_reproduce_the_eager_steps(monkeypatch, mode, first_step):
    """Batch indices, EMA decay, warm-up and counters around the graph, with a stand-in graph on the CPU."""
    images = torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8)
    config = TrainConfig.for_mode(mode, batch_size=8, critic_warmup=True,
                                  model=ModelConfig(ngf=8, ndf=8, image_size=32))
    cpu = torch.device("cpu")
    eager = Trainer(config, ImageBank(images, 8, 0, cpu), cpu)  # seeds the global RNG: each trainer runs alone
    eager.step = first_step
    eager_stats = [eager.train_step() for _ in range(7)]
    graphed = GraphedTrainer(config, ImageBank(images, 8, 0, cpu), cpu)
    for group in graphed.opt_g.param_groups + graphed.opt_d.param_groups:
        group["capturable"] = False  # PyTorch allows capturable optimisers on accelerators only
    stand_in = StandInGraph(graphed)
    monkeypatch.setattr(torch.cuda, "CUDAGraph", lambda: stand_in)
    monkeypatch.setattr(torch.cuda, "graph", stand_in.capture)
    monkeypatch.setattr(GraphedTrainer, "_on_side_stream", lambda self, work: work())
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device: None)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "default_generators", (torch.Generator(),))  # saved before capture
    graphed.step = first_step
    for expected in eager_stats:
        assert torch.equal(graphed.train_step(), expected)
    assert graphed.graph is stand_in and graphed.failure is None
    assert (graphed.step, graphed.batches) == (eager.step, eager.batches)
    for net in ("G", "D"):
        for name, x in getattr(eager, net).state_dict().items():
            assert torch.equal(x, getattr(graphed, net).state_dict()[name]), f"{net}.{name}"
    for name, x in eager.G_ema.state_dict().items():  # the decay went through a float32 tensor
        assert torch.allclose(x, graphed.G_ema.state_dict()[name], rtol=1e-6, atol=1e-9), name
