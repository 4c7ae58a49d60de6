"""The weights repo's model card and the Space's header, read back with huggingface_hub's own parsers."""

import re
import shutil
from pathlib import Path

import pytest

huggingface_hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import ModelCard, SpaceCard, metadata_load  # noqa: E402

from facegan import hub  # noqa: E402
from facegan.export import read_metadata, update_metadata  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "checkpoints"


def test_model_card_of_the_shipped_generators(tmp_path):
    text = hub.model_card(SHIPPED, "me/facegan-weights")
    (tmp_path / "README.md").write_text(text)
    assert metadata_load(tmp_path / "README.md")["library_name"] == "facegan"
    data = ModelCard(text).data
    assert data.license == "other" and data.license_name and data.license_link
    assert "non-commercial research" in text and data.datasets == ["utkface64"]
    assert data.pipeline_tag == "unconditional-image-generation" and "wgan-gp" in data.tags
    scores = {(r.metric_name.split("(")[1].split(",")[0], r.metric_type): r.metric_value for r in data.eval_results}
    shipped = sorted(SHIPPED.glob("*.safetensors"))
    assert len(shipped) == 3
    for weights in shipped:
        metrics = read_metadata(weights)["metrics"]
        assert scores[(weights.stem, "fid")] == pytest.approx(metrics["fid"], abs=1e-4)
        assert scores[(weights.stem, "kid")] == pytest.approx(metrics["kid"], abs=1e-4)
        assert f"| `{weights.name}` | {read_metadata(weights)['mode'].upper()} |" in text
        prdc = read_metadata(weights)["prdc"]
        for metric in ("precision", "recall", "density", "coverage"):
            assert scores[(weights.stem, metric)] == pytest.approx(prdc[metric], abs=1e-4)
    assert text.count("| real vs real (held-out) |") == 1  # all three measured at the same sizes: one floor
    grids = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(grids) == 3 and all((SHIPPED / grid).is_file() for grid in grids)  # links into the uploaded files
    assert "from facegan.export import load_generator" in text
    for weights in shipped:  # every shipped generator carries edit directions and the card shows their effect
        age = read_metadata(weights)["editing"]["effect"]["age"]
        assert f"| `{weights.name}` | 1,000 | {age['age_change']:+.1f} years" in text
    assert "from facegan.editing import directions_of" in text


def test_model_card_lists_precision_recall_density_coverage(tmp_path, tiny_checkpoints):
    for name in ("dcgan", "wgan"):
        shutil.copy(tiny_checkpoints / f"{name}.safetensors", tmp_path)
    assert "precision" not in hub.model_card(tmp_path, "me/w").lower()  # nothing measured, nothing shown
    update_metadata(tmp_path / "dcgan.safetensors", {"prdc": {
        "precision": 0.712, "recall": 0.403, "density": 0.951, "coverage": 0.804, "num": 2000, "reference": "utkface64",
        "reference_size": 5000, "k_pr": 3, "k_dc": 5,
        "floor": {"precision": 0.75, "recall": 0.76, "density": 1.01, "coverage": 0.95}}})
    text = hub.model_card(tmp_path, "me/w")
    results = {(r.metric_name.split("(")[1].split(",")[0], r.metric_type): r for r in ModelCard(text).data.eval_results}
    assert {m: results[("dcgan", m)].metric_value for m in ("precision", "recall", "density", "coverage")} == \
        {"precision": 0.712, "recall": 0.403, "density": 0.951, "coverage": 0.804}
    assert results[("dcgan", "recall")].metric_name == "Recall (dcgan, 2,000 samples vs 5,000 real, k=3)"
    assert results[("dcgan", "coverage")].metric_name.endswith("k=5)") and ("wgan", "precision") not in results
    assert "| `dcgan.safetensors` | 0.712 | 0.403 | 0.951 | 0.804 | 2,000 | 5,000 of utkface64 |" in text
    assert "| real vs real (held-out) | 0.750 | 0.760 | 1.010 | 0.950 | 2,000 | 5,000 of utkface64 |" in text
    assert "VGG-16" in text


def test_space_header_names_the_weights_repo():
    readme = hub.space_readme((ROOT / "README.md").read_text(), "me/facegan-weights")
    data = SpaceCard(readme).data
    assert data.models == ["me/facegan-weights"] and data.sdk == "gradio" and data.app_file == "app.py"
    assert readme.split("---", 2)[2] == (ROOT / "README.md").read_text().split("---", 2)[2]  # body untouched


def test_dry_run_prints_the_card_and_a_bad_file_is_one_line(tmp_path, capsys):
    assert hub.cli(["upload", "--weights-repo", "me/w", "--space", "me/s", "--dry-run"]) == 0
    out = capsys.readouterr().out
    card = out.split("README.md (model card):\n")[1].split("would upload")[0]
    assert ModelCard(card).data.eval_results and "  README.md" in out
    assert "  facegan/lab/runs.py" in out and "  facegan/templates/model_card.md" in out  # all the Space imports
    # and what its tabs read: the photo tab's encoders and judge, the Lab's presets and measured literature
    for name in ("encoders/dcgan.safetensors", "attributes/age-gender.safetensors", "lab/drawn-heart.safetensors"):
        assert f"  checkpoints/{name}" in out
    assert "  checkpoints/lab/bench-tutorial.json" in out
    (tmp_path / "bad.safetensors").write_bytes(b"\0" * 16)
    assert hub.cli(["upload", "--weights-repo", "me/w", "--checkpoints", str(tmp_path), "--dry-run"]) == 2
    assert "bad.safetensors" in capsys.readouterr().err
