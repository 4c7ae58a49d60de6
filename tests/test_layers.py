"""The core is usable without the studio: no core module imports Gradio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = ["models", "losses", "data", "datasets", "training", "export", "state", "metrics", "evaluate", "attributes",
        "editing", "hub", "sampling", "stats", "train", "cli", "lab", "lab.targets", "lab.measures", "lab.config",
        "lab.nets", "lab.runs", "lab.claims", "lab.view", "lab.commands"]

# One fresh interpreter imports the core modules one by one and names the first after which Gradio is loaded.
PROBE = """
import importlib, sys
for module in sys.argv[1:]:
    importlib.import_module("facegan." + module)
    if "gradio" in sys.modules:
        print(module)
        break
"""


def test_no_core_module_imports_gradio():
    result = subprocess.run([sys.executable, "-c", PROBE, *CORE], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"facegan.{result.stdout.strip()} imports gradio"


def test_the_probe_sees_gradio():
    result = subprocess.run([sys.executable, "-c", PROBE, "cli", "ui.common"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == "ui.common"
