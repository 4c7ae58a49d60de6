import pytest
import torch
from safetensors.torch import save_file

from facegan.export import CheckpointError, export_generator, load_generator, read_metadata
from facegan.models import Generator, ModelConfig
from facegan.sampling import seeded_noise

CONFIG = ModelConfig(ngf=8, image_size=32)


@pytest.fixture
def exported(tmp_path):
    generator = Generator(CONFIG).eval()
    path = tmp_path / "g.safetensors"
    export_generator(generator, path, {"mode": "dcgan", "steps": 7})
    return generator, path


def test_round_trip_reproduces_outputs_exactly(exported):
    original, path = exported
    loaded, meta = load_generator(path)
    assert not loaded.training and meta["steps"] == 7 and meta["model"] == CONFIG.to_dict()
    z = seeded_noise(4, 100, seed=1)
    with torch.no_grad():
        assert torch.equal(loaded(z), original(z))


def test_metadata_alone_rebuilds_the_model(exported):
    meta = read_metadata(exported[1])
    assert ModelConfig(**meta["model"]) == CONFIG and "facegan_version" in meta


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.unlink(), "not found"),
    (lambda p: p.write_bytes(b"\x00" * 100), "not a readable safetensors"),
    (lambda p: p.write_bytes(p.read_bytes()[:500]), "not a readable safetensors"),
    (lambda p: save_file({"x": torch.zeros(2)}, p), "no FaceGAN metadata"),
    (lambda p: save_file({"x": torch.zeros(2)}, p, metadata={"facegan": "{not json"}), "unusable FaceGAN metadata"),
    (lambda p: save_file({"x": torch.zeros(2)}, p, metadata={"facegan": '{"model": {"image_size": 32}}'}),
     "do not match"),
])
def test_bad_files_give_clear_errors(exported, damage, message):
    path = exported[1]
    damage(path)
    with pytest.raises(CheckpointError, match=message):
        load_generator(path)


def test_truncated_tensor_data_is_an_error(exported):
    path = exported[1]
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(CheckpointError):
        load_generator(path)


def test_same_seed_same_noise():
    assert torch.equal(seeded_noise(5, 100, 42), seeded_noise(5, 100, 42))
    assert not torch.equal(seeded_noise(5, 100, 42), seeded_noise(5, 100, 43))
