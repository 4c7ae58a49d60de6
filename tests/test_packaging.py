"""The package as others install it: one wheel with the whole facegan package and nothing else, a console
script for every command line, and every third-party import declared as a dependency."""

import ast
import configparser
import email
import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import facegan

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "facegan"


def package_files() -> set[str]:
    """The package's source files, as paths inside the wheel."""
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def requirement_names(lines: list[str]) -> set[str]:
    """Normalised distribution names of requirement lines (markers, versions and extras dropped)."""
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s;<>=!~\[]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def build_wheel(work: Path) -> Path:
    """The package's wheel, built offline in work from a copy of what the build reads, so the working tree gets
    no build/ or egg-info."""
    src, out = work / "src", work / "wheel"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "facegan", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "--disable-pip-version-check", "-w", str(out), str(src)], check=True, capture_output=True)
    (built,) = out.glob("facegan-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    with zipfile.ZipFile(build_wheel(tmp_path_factory.mktemp("build"))) as archive:
        yield archive


def dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    return wheel.read(f"facegan-{facegan.__version__}.dist-info/{name}").decode()


def test_the_wheel_holds_the_package_and_nothing_else(wheel):
    names = set(wheel.namelist())
    shipped = {n for n in names if not n.startswith(f"facegan-{facegan.__version__}.dist-info/")}
    assert shipped == package_files()  # modules and any data files beside them; no tests, checkpoints, scripts
    assert "facegan/templates/model_card.md" in shipped  # data files travel too, not only modules


def test_every_command_line_is_a_console_script(wheel):
    scripts = configparser.ConfigParser()
    scripts.read_string(dist_info(wheel, "entry_points.txt"))
    found = dict(scripts["console_scripts"])
    # A module's own cli, or a subpackage's in its commands.py: facegan-NAME either way.
    with_cli = {p for p in [*PACKAGE.glob("*.py"), *PACKAGE.glob("*/commands.py")]
                if any(isinstance(node, ast.FunctionDef) and node.name == "cli"
                       for node in ast.parse(p.read_text()).body)}
    assert found == {f"facegan-{p.stem if p.parent == PACKAGE else p.parent.name}":
                     ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) + ":cli" for p in with_cli}
    assert {"facegan-train", "facegan-studio", "facegan-evaluate"} <= found.keys()


def test_metadata_declares_version_python_and_every_dependency(wheel):
    meta = email.message_from_string(dist_info(wheel, "METADATA"))
    assert meta["Name"] == "facegan" and meta["Version"] == facegan.__version__
    assert meta["Requires-Python"] == ">=3.11"
    requires = meta.get_all("Requires-Dist")
    runtime = requirement_names([r for r in requires if "extra ==" not in r])
    dev = requirement_names([r for r in requires if 'extra == "dev"' in r])
    assert runtime == requirement_names((ROOT / "requirements.txt").read_text().splitlines())
    assert dev == requirement_names((ROOT / "requirements-dev.txt").read_text().splitlines())

    imported = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"facegan"}
    distributions = importlib.metadata.packages_distributions()
    for module in sorted(third_party):
        declared = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert declared & runtime, f"facegan imports {module}, which no runtime dependency provides"
