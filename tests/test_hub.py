"""The weights repo's model card and the Space's header, read back with huggingface_hub's own parsers."""

import re
from pathlib import Path

import pytest

huggingface_hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import ModelCard, SpaceCard, metadata_load  # noqa: E402

from facegan import hub  # noqa: E402
from facegan.export import read_metadata  # noqa: E402

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
    grids = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(grids) == 3 and all((SHIPPED / grid).is_file() for grid in grids)  # links into the uploaded files
    assert "from facegan.export import load_generator" in text
    for weights in shipped:  # every shipped generator carries edit directions and the card shows their effect
        age = read_metadata(weights)["editing"]["effect"]["age"]
        assert f"| `{weights.name}` | 1,000 | {age['age_change']:+.1f} years" in text
    assert "from facegan.editing import directions_of" in text


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
    (tmp_path / "bad.safetensors").write_bytes(b"\0" * 16)
    assert hub.cli(["upload", "--weights-repo", "me/w", "--checkpoints", str(tmp_path), "--dry-run"]) == 2
    assert "bad.safetensors" in capsys.readouterr().err
