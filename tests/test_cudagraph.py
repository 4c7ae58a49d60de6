"""The CUDA-graph step's decisions that need no GPU: when it is used, and the --compile refusal."""

import torch

import train
from facegan.cudagraph import graph_refusal
from facegan.distributed import World
from tests.conftest import TINY

CUDA = torch.device("cuda")


def test_graphs_are_used_only_on_one_cuda_process_and_when_wanted():
    assert graph_refusal(CUDA, World()) is None
    assert graph_refusal(CUDA, World(), wanted=False) == "--no-cuda-graph"
    assert "CUDA device" in graph_refusal(torch.device("cpu"), World())
    assert "torchrun" in graph_refusal(CUDA, World(rank=1, size=2, local_rank=1))


def test_compile_on_cuda_is_one_line_and_exit_2(tmp_path, image_folder, capsys, monkeypatch):
    monkeypatch.setattr(train, "resolve_device", lambda name: CUDA)  # refused before CUDA is touched
    code = train.cli(["--data", str(image_folder), "--out", str(tmp_path / "run"), *TINY, "--compile"])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"train.py: error: {train.COMPILE_ON_CUDA}"
    assert not (tmp_path / "run").exists()


def test_no_cuda_graph_is_accepted_on_the_cpu(tmp_path, image_folder):
    assert train.cli(["--data", str(image_folder), "--out", str(tmp_path / "run"), "--export",
                      str(tmp_path / "g.safetensors"), *TINY, "--steps", "1", "--no-cuda-graph"]) == 0
