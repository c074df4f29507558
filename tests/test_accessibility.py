"""Pictures and formulas for readers who cannot see them: labelled SVG circuits, MathML alttext."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import sympy as sp

import symdl
from symdl.printing.html import report
from symdl.printing.rendering import svg

SVG = "{http://www.w3.org/2000/svg}"


def test_circuit_svg_is_a_labelled_image_with_a_title_per_node():
    result = symdl.backprop("(x + y)*z", at="x=-2,y=5,z=-4")
    root = ET.fromstring(svg(result))
    assert root.get("role") == "img"
    label = root.get("aria-label")
    # the lecture example by hand: leaves x, y, z; q = x + y (an add gate), f = q z (a multiply gate)
    assert label.startswith("Computational graph of f: 3 leaves (x, y, z) and 2 gates")
    assert "q (+ gate)" in label and "f (× gate)" in label
    titles = [t.text for t in root.iter(f"{SVG}title")]
    for expected in ("x: input = −2", "q: + gate = 3", "f: × gate = −12"):
        assert expected in titles, titles
    assert not any(t.startswith("cluster_n") for t in titles)  # DOT ids never reach the reader


def test_a_bare_graph_is_described_without_numbers():
    root = ET.fromstring(svg(symdl.build_graph("sigmoid(w*x + b)", "fused")))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "w: input" in titles and not any("=" in t for t in titles)


def test_hostile_names_stay_text_in_the_label():
    name = 'a"><script>x</script>&'
    expr = sp.Symbol(name, real=True) * sp.Symbol("b", real=True)
    text = svg(symdl.backprop(expr, at={name: 1, "b": 2}))
    root = ET.fromstring(text)  # still well-formed XML: the name is text, not markup
    assert name in root.get("aria-label") and "<script>" not in text
    assert any(t.text.startswith(name) for t in root.iter(f"{SVG}title"))


def test_every_display_formula_has_alttext():
    page = report("t", symdl.derive("tanh(x)", "x"))
    blocks = re.findall(r'<math display="block"[^>]*>', page)
    assert blocks and all("alttext=" in b for b in blocks)
    assert 'alttext="d/dx tanh(x) = 1 − tanh²(x)"' in page
