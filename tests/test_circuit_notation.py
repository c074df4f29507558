"""A circuit's labels are mathematics, not code (issue 12): no ``@``, ``**``, ``+−``, ``Heaviside`` or
``sqrt(`` in any SVG or TikZ label of a gallery circuit, no ``= 2×2`` that reads as the number 2×2; and
what a box says of an array is true: the set it lies in is its shape, ``‖·‖`` its Frobenius norm
(by its definition, √Σ aᵢⱼ², in NumPy), the entries its first ones."""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree

import numpy as np
import pytest

from gallery_circuits import circuits
from symdl.backprop import backprop
from symdl.printing import rendering
from symdl.printing.dot import circuit
from symdl.printing.scene import GRAD_COLOUR, VALUE_COLOUR, node_ids
from symdl.printing.tikz import tikz

SVG = "{http://www.w3.org/2000/svg}"
CODE = ("@", "**", "+−", "+-", "+ -", "Heaviside", "sqrt(")
SIZE_AS_VALUE = re.compile(r"= ?\d+(×|\{\\times\})\d+")  # "= 2×2", TikZ's "= 2{\times}2"
NAMES = [name for name, _ in circuits()]


def _svg(source) -> ElementTree.Element:
    return ElementTree.fromstring(rendering.render(circuit(source).source, "svg"))


def _labels(root: ElementTree.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if (t.text or "").strip()]


@pytest.mark.parametrize("name, source", circuits(), ids=NAMES)
def test_no_svg_label_is_code(name, source):
    for label in _labels(_svg(source)):
        assert not any(code in label for code in CODE), (name, label)
        assert not SIZE_AS_VALUE.search(label), (name, label)


def _tikz_labels(source) -> list[str]:
    return re.findall(r"\\node\[[^\]]*\][^{]*\{(.*)\};", tikz(source))  # each box's and wire's text


def _assert_no_tikz_code(name: str, labels: list[str]) -> None:
    assert labels, name
    for label in labels:
        assert not any(code in label for code in CODE if code != "+ -"), (name, label)
        assert not re.search(r"\+\s*-\s*\d", label), (name, label)  # TeX's ASCII minus after a plus
        assert not SIZE_AS_VALUE.search(label), (name, label)


@pytest.mark.slow  # every circuit laid out for a page: two minutes of CPU
@pytest.mark.parametrize("name, source", circuits(), ids=NAMES)
def test_no_tikz_label_is_code(name, source):
    _assert_no_tikz_code(name, _tikz_labels(source))


def test_a_networks_tikz_boxes_state_their_sets_in_tex():
    labels = _tikz_labels(dict(circuits())["mlp_four_input"])
    _assert_no_tikz_code("mlp_four_input", labels)
    assert any(r"\in \mathbb{R}^{3\times 4}" in label for label in labels)  # fc1's weight, 3×4
    assert not any(r"\circ" in label for label in labels)  # ⊙ is \odot, not SymPy's ∘


def test_a_shift_by_minus_one_and_a_scale_by_a_half_read_as_written():
    """(x − 1)/2 at x = 3 (= 1 by hand): the gates are −1 and ×½, in the SVG and on the page."""
    result = backprop("(x - 1)/2", "x=3")
    assert result.value == 1
    labels = _labels(_svg(result))
    assert any(label.endswith("  −1") or label.endswith("\xa0−1") for label in labels), labels
    assert any("×½" in label for label in labels), labels
    page = tikz(result)
    assert "x - 1" in page and "+ -" not in page


_SUMMARY = re.compile(r"(?:= 0 ∈|∈) ℝ(?P<shape>[⁰¹²³⁴⁵⁶⁷⁸⁹ˣ]+)(?:  ‖·‖ = (?P<norm>\S+)  \[(?P<first>\S+), (?P<second>\S+), …\])?$")
_PLAIN = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹ˣ−", "0123456789×-")


def _number(text: str) -> float:
    return float(text.translate(_PLAIN))


def _box_lines(root: ElementTree.Element, dot_id: str) -> dict[str, list[str]]:
    """A node's value lines (its inner cluster's green text) and gradient lines (its box's red text)."""
    found: dict[str, list[str]] = {VALUE_COLOUR: [], GRAD_COLOUR: []}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if group.get("class") == "cluster" and title is not None and title.text in (f"cluster_{dot_id}", f"cluster_{dot_id}_value"):
            for text in group.iter(f"{SVG}text"):
                found.get(text.get("fill"), []).append(text.text.replace("\xa0", " "))  # dot writes "  " as " &#160;"
    return found


def _check(line: str, array: np.ndarray) -> bool:
    """Whether a box's line says the truth of ``array``; False where it is no summary of a set."""
    parts = _SUMMARY.search(line)
    if parts is None:
        return False
    assert tuple(map(int, parts["shape"].translate(_PLAIN).split("×"))) == array.shape, line
    if parts["norm"] is None:
        assert not array.any(), line
        return True
    frobenius = math.sqrt(sum(float(x) ** 2 for x in array.ravel()))
    read = [_number(parts[k]) for k in ("norm", "first", "second")]
    np.testing.assert_allclose(read, [frobenius, *array.ravel()[:2]], rtol=5e-3, atol=1e-12, err_msg=line)
    return True


@pytest.mark.parametrize("name", ["lstm", "rnn", "self_attention", "mlp_four_input", "bahdanau_attention",
                                  "worksheets/masked_multihead_attention", "worksheets/batch_norm"])
def test_a_box_summary_states_the_shape_and_the_frobenius_norm(name):
    source = dict(circuits())[name]
    root, graph = _svg(source), source.graph
    checked = 0
    for node, dot_id in node_ids(graph).items():
        data, lines = graph.nodes[node], _box_lines(root, dot_id)
        for colour, array in ((VALUE_COLOUR, data.get("value")), (GRAD_COLOUR, data.get("grad"))):
            if isinstance(array, np.ndarray) and array.size > 2 and np.isfinite(array).all():
                checked += any(_check(line, array) for line in lines[colour])
    assert checked >= 5, f"{name}: only {checked} summaries found"


def test_a_masked_matrix_counts_its_masked_entries_and_the_norm_of_the_rest():
    source = dict(circuits())["worksheets/masked_multihead_attention"]
    root, graph = _svg(source), source.graph
    masked = {node: data["value"] for node, data in graph.nodes(data=True)
              if isinstance(data.get("value"), np.ndarray) and np.isneginf(data["value"]).any()}
    assert masked
    for node, array in masked.items():
        (line,) = [line for line in _box_lines(root, node_ids(graph)[node])[VALUE_COLOUR] if "masked" in line]
        count, rest = re.search(r"(\d+) masked, ‖rest‖ = (\S+)", line).groups()
        finite = array[np.isfinite(array)]
        assert int(count) == np.isneginf(array).sum() == 3  # a causal mask over 3 tokens: 3 above the diagonal
        assert _number(rest) == pytest.approx(math.sqrt(sum(x * x for x in finite)), rel=5e-3)
        assert "inf" not in line and "ℝ" not in line  # −∞ lies in no ℝⁿ
