"""The package's layers: core → commands → studio, imports one way, no cycles, no borrowed private names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "facegan"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "__main__.py"}
CORE = sorted(m for m in MODULES if not m.startswith(("facegan.ui", "facegan.studio")))


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every facegan import in a module, in functions too."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("facegan")]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            if not target or not target.startswith("facegan"):
                continue
            for alias in node.names:  # `from . import lab` names a module, not an attribute of the package
                sub = f"{target}.{alias.name}"
                found.append((sub, [], node.lineno) if sub in MODULES else (target, [alias.name], node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    return {name: {target for target, _, _ in imports(name) if target != name} for name in MODULES}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    found = cycle(graph())
    assert found is None, "import cycle: " + " → ".join(found)


def test_the_cycle_check_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_another_modules_private_name():
    borrowed = [f"{name}:{line} takes {target}.{n}" for name in MODULES for target, names, line in imports(name)
                for n in names if n.startswith("_") and not n.startswith("__")]
    assert borrowed == []


def test_the_lab_and_the_core_do_not_import_the_face_trainer_or_the_studio():
    edges = graph()
    lab_to_trainer = [m for m in MODULES if m.startswith("facegan.lab") and "facegan.training" in edges[m]]
    assert lab_to_trainer == []
    core_to_studio = [m for m in CORE if any(t.startswith(("facegan.ui", "facegan.studio")) for t in edges[m])]
    assert core_to_studio == []


# One fresh interpreter imports the core modules one by one and names the first after which Gradio is loaded.
PROBE = """
import importlib, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
    if "gradio" in sys.modules:
        print(module)
        break
"""


def test_no_core_module_imports_gradio():
    result = subprocess.run([sys.executable, "-c", PROBE, *CORE], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{result.stdout.strip()} imports gradio"


def test_the_probe_sees_gradio():
    result = subprocess.run([sys.executable, "-c", PROBE, "facegan.cli", "facegan.ui.common"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.stdout.strip() == "facegan.ui.common"
