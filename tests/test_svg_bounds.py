"""Every label of every gallery circuit lies inside its SVG's viewBox: a browser clips what lies outside,
so a box's value line (∈ ℝ²ˣ²  ‖·‖ = 0.304  [0.1, 0.2, …]) wider than Graphviz's estimate would be cut.

Drawn by the DOT printer and laid out by the system's ``dot`` (the one a user's ``--svg`` runs when it
is installed); a label's width is its characters at Courier's 0.6 em, the width the browser font has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from xml.etree import ElementTree

import pytest

from gallery_circuits import circuits
from symdl.printing.dot import circuit

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SVG = "{http://www.w3.org/2000/svg}"
COURIER_EM = 0.6  # every character of a monospace font, as dot.BROWSER_FONT says
SLACK = 1.0  # pt: Graphviz rounds coordinates to two decimals


def _laid_out(source) -> ElementTree.Element:
    svg = subprocess.run(["dot", "-Tsvg"], input=circuit(source).source, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return ElementTree.fromstring(svg)


def _offset(root: ElementTree.Element) -> tuple[float, float]:
    """The translate() of the graph's group, which places Graphviz's (x, −y) coordinates in the viewBox."""
    transform = root.find(f"{SVG}g").get("transform", "")
    x, y = re.search(r"translate\(([-\d.]+)[ ,]([-\d.]+)\)", transform).groups()
    return float(x), float(y)


def _extent(text: ElementTree.Element, dx: float, dy: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a <text>, from its anchor, font size and character count."""
    size = float(text.get("font-size"))
    width = len(text.text or "") * COURIER_EM * size
    x, y = float(text.get("x")) + dx, float(text.get("y")) + dy
    left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor", "start")]
    return left, y - size, left + width, y + 0.3 * size  # a baseline, the ascent above it, a descent below


@pytest.mark.parametrize("name, source", circuits(), ids=[name for name, _ in circuits()])
def test_every_label_lies_inside_the_view_box(name, source):
    root = _laid_out(source)
    _, _, width, height = map(float, root.get("viewBox").split())
    dx, dy = _offset(root)
    texts = [t for t in root.iter(f"{SVG}text") if (t.text or "").strip()]
    assert texts, "a circuit with no labels"
    outside = [(t.text, _extent(t, dx, dy)) for t in texts
               if not (-SLACK <= _extent(t, dx, dy)[0] and _extent(t, dx, dy)[2] <= width + SLACK
                       and -SLACK <= _extent(t, dx, dy)[1] and _extent(t, dx, dy)[3] <= height + SLACK)]
    assert not outside, f"{name}: labels outside the {width}×{height} viewBox: {outside[:3]}"
