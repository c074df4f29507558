"""No import cycle in symdl, counting the imports inside functions as well as those at the top.

A deferred import (``from symdl.printing.notebook import ...`` inside a model's method) hides a
cycle from Python but not from a reader; the model classes reach their printers through the
display registry (``symdl.display``), which imports nothing from symdl. The scan reads every
module's AST: ``import`` and ``from ... import`` anywhere, except under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

from symdl import display

ROOT = Path(__file__).resolve().parent.parent


def _modules(root: Path, package: str) -> dict[str, Path]:
    found = {}
    for path in (root / package).rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (getattr(test, "id", None) == "TYPE_CHECKING"
                                         or getattr(test, "attr", None) == "TYPE_CHECKING")


def _imported(tree: ast.AST, name: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    """Every module of ``modules`` that the module ``name`` imports, at any depth of its code."""
    found: set[str] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                pending.extend(child.orelse)  # the else branch runs; the TYPE_CHECKING body never does
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = name.split(".")[:None if is_package else -1]
                    base = ".".join(parts[:len(parts) - child.level + 1] + ([base] if base else []))
                for alias in child.names:  # from package import module, or from module import name
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
            else:
                pending.append(child)
    return {m for m in found if m in modules and m != name}


def import_graph(root: Path, package: str) -> nx.DiGraph:
    modules = _modules(root, package)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph.add_edges_from((name, m) for m in _imported(tree, name, path.name == "__init__.py", modules))
    return graph


def test_the_scan_finds_a_cycle_hidden_in_a_function(tmp_path):
    """A model importing its printer inside a method, the printer importing the model at the top."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text("def show():\n    from pkg.printer import text\n    return text\n")
    (package / "printer.py").write_text("from typing import TYPE_CHECKING\nfrom . import model\n"
                                        "if TYPE_CHECKING:\n    from pkg import typed\n")
    (package / "typed.py").write_text("from pkg import printer\n")
    graph = import_graph(tmp_path, "pkg")
    assert sorted(map(sorted, nx.simple_cycles(graph))) == [["pkg.model", "pkg.printer"]]  # not via typed


def test_symdl_has_no_import_cycle():
    graph = import_graph(ROOT, "symdl")
    assert graph.has_edge("symdl.backprop", "symdl.display")  # the scan sees the models' imports
    assert graph.has_edge("symdl.printing.html", "symdl.printing.mathml")
    cycles = sorted(" → ".join(c) for c in nx.simple_cycles(graph))
    assert cycles == [], cycles[:10]


def test_the_display_registry_is_a_leaf():
    """It imports no symdl module, so every model may import it; loading it loads no SymPy."""
    assert set(import_graph(ROOT, "symdl").successors("symdl.display")) == set()
    code = "import sys, symdl.display; print(sorted(m for m in sys.modules if m.startswith(('symdl', 'sympy'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "['symdl', 'symdl.display']"


def test_every_registered_printer_is_found():
    for kind in display.PRINTERS:
        assert callable(display.printer(kind)), kind


def test_a_bundle_keeps_only_what_is_asked_for():
    import symdl

    derivation = symdl.derive("tanh(x)", "x")
    assert set(display.mimebundle(derivation)) == {"text/plain", "text/html", "text/latex"}  # no circuit
    assert set(display.mimebundle(derivation, exclude=["text/html"])) == {"text/plain", "text/latex"}
    assert derivation._repr_html_() == display.mimebundle(derivation)["text/html"]
