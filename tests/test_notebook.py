"""Notebook display: each result object, shown by a real Jupyter kernel, is compact HTML with a short repr.

The notebook runs headless through nbclient on the ``python3`` kernel spec, which
jupyter_client starts with the running interpreter; PYTHONPATH is inherited, so the
kernel imports this tree's symdl.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from symdl import examples as bundled
from symdl.derive import derive
from symdl.parsing import parse
from symdl.worksheet import check, load, solve

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
MAX_HTML = 60_000
MAX_REPR = 300

SETUP = """
from symdl.backprop import backprop
from symdl.derive import derive
from symdl import examples as bundled
from symdl.examples.seed_dense import seed_mlp
from symdl.gradcheck import gradcheck
from symdl.kernels import kernel
from symdl.parsing import parse
from symdl.worksheet import check, load, solve
solution = solve(load(bundled.path("sigmoid_neuron")))
"""

# (cell, what its HTML must contain: a piece only that object's printer writes)
CELLS = {
    "solution": ("solution", ["<h2>Worked steps</h2>", "<svg", "A two-input sigmoid neuron"]),
    "report": ("check(solution)", ["The claims, checked", "✗", "claims wrong"]),
    "gradcheck": ("gradcheck('tanh(x)*y', points=3, seed=1)", ["central difference", "<td>pass</td>", "6 checks"]),
    "network": ("seed_mlp().network", ["<svg", '<table class="nodes">', "W₁: parameter"]),  # fc1.weight, read as W₁
    "backprop": ("backprop('(x + y)*z', at={'x': -2, 'y': 5, 'z': -4})", ["<svg", '<table class="nodes">']),
    "kernel": ("kernel('sigmoid(x)*y')", ["<pre>", "def kernel(x, y):", "kernel(x, y) → (value, {∂/∂x, ∂/∂y})"]),
    "derivation": ("derive(parse('tanh(x)'), parse('x'))", ["<details", "Derivative with respect to"]),
}


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict]:
    cells = [nbformat.v4.new_code_cell(SETUP)] + [nbformat.v4.new_code_cell(code) for code, _ in CELLS.values()]
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    shown = {}
    for name, cell in zip(CELLS, notebook.cells[1:]):
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1, (name, cell.outputs)
        shown[name] = results[0].data
    return shown


@pytest.mark.parametrize("name", list(CELLS))
def test_each_object_displays_as_compact_html(outputs, name):
    data = outputs[name]
    assert {"text/html", "text/plain"} <= set(data), sorted(data)
    page, text = data["text/html"], data["text/plain"]
    for shown in (page, text):
        assert "<function" not in shown and "object at 0x" not in shown
    assert "<html" not in page and "<!DOCTYPE" not in page  # a cell already has a page around it
    assert len(page.encode()) < MAX_HTML
    assert len(text) < MAX_REPR and "\n" not in text
    for piece in CELLS[name][1]:
        assert piece in page, piece
    if "<svg" in page:  # a wide circuit scrolls sideways in its cell, at its own size, instead of overflowing
        assert page.startswith('<div style="overflow-x: auto')


@pytest.mark.parametrize("name", ["network", "backprop"])
def test_a_circuit_offers_svg_html_and_text(outputs, name):
    """The circuit's own MIME bundle: an SVG image (a renderer is installed with the test extra), the
    HTML circuit and table, the short repr; the image is the same drawing as the one in the HTML."""
    data = outputs[name]
    assert {"image/svg+xml", "text/html", "text/plain"} <= set(data), sorted(data)
    image = data["image/svg+xml"]
    assert image.lstrip().startswith("<svg") and image.rstrip().endswith("</svg>")
    assert 'role="img"' in image and len(image.encode()) < MAX_HTML
    assert image in data["text/html"]


def test_the_bundle_keeps_only_the_types_asked_for():
    from symdl.backprop import backprop

    result = backprop("x*y", at={"x": 2, "y": 3})
    assert set(result._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert "image/svg+xml" not in result._repr_mimebundle_(exclude=["image/svg+xml"])


def test_without_a_renderer_the_bundle_is_the_table(monkeypatch):
    """No Graphviz of either kind: no image, and the HTML still shows the node table."""
    from symdl.backprop import backprop
    from symdl.errors import SymdlError
    from symdl.printing import rendering

    def cannot_render(*args, **kwargs):
        raise SymdlError("drawing needs Graphviz")

    monkeypatch.setattr(rendering, "render", cannot_render)
    bundle = backprop("x*y", at={"x": 2, "y": 3})._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert '<table class="nodes">' in bundle["text/html"] and "<svg" not in bundle["text/html"]


def test_reprs_name_the_object_and_what_it_holds(outputs):
    texts = {name: data["text/plain"] for name, data in outputs.items()}
    assert texts["solution"].startswith("Solution('A two-input sigmoid neuron")
    assert texts["report"].startswith("Report(") and "claims wrong" in texts["report"]
    assert texts["gradcheck"].startswith("GradcheckResult(y*tanh(x), ok")
    assert texts["network"].startswith("Network(") and "output=L" in texts["network"]
    assert texts["kernel"] == "Kernel(y*sigmoid(x), args=['x', 'y'], wrt=['x', 'y'])"
    assert texts["derivation"].startswith("Derivation(d/dx tanh(x) = ")


def test_a_long_expression_is_cut_in_the_repr():
    terms = " + ".join(f"sin({i}*x)" for i in range(1, 60))
    text = repr(derive(parse(terms), parse("x")))
    assert len(text) < MAX_REPR and text.count("…") == 2  # the expression and its derivative


def test_html_escapes_the_problem_title(tmp_path):
    source = bundled.path("square_of_sum").read_text()
    problem = tmp_path / "p.toml"
    problem.write_text(source.replace("title = ", 'title = "<script>x</script>" #', 1))
    solution = solve(load(str(problem)))
    for page in (solution._repr_html_(), check(solution)._repr_html_()):
        assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_the_notebook_printer_imports_no_model_it_prints():
    """The models import the printer when a cell is shown; the printer importing them back would be a cycle."""
    models = ["symdl.kernels", "symdl.gradcheck", "symdl.tensor.network", "symdl.worksheet.solution",
              "symdl.worksheet.grading"]
    code = f"import sys, symdl.printing.notebook; print([m for m in {models!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
