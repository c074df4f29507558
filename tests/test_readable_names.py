"""What a person reads names and numbers as a textbook does: σ², ẑ, PE₁,₀, K₁ᵀ in every later formula, a
1×1×2×2 kernel as its matrix with its shape, and example titles and notes without TeX or code notation."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from symdl import examples as bundled
from symdl.examples import seed_sequence
from symdl.numbers import shown
from symdl.printing.mathml import mathml
from symdl.printing.names import written
from symdl.printing.text import text
from symdl.printing.values import label, show
from symdl.tensor import registry
from symdl.tensor.network import Network
from symdl.worksheet import load, solve


@pytest.mark.parametrize("name, expected", [
    ("sigma__2", "σ²"), ("zhat", "ẑ"), ("muhat", "μ̂"), ("K1__T", "K1ᵀ"), ("PE_1_0", "PE₁,₀"),
    ("theta_2_1", "θ₂,₁"), ("x_1", "x₁"), ("hat", "hat"), ("epsilon", "ε"),
])
def test_a_name_is_written_as_a_textbook_sets_it(name, expected):
    assert written(name) == expected


def test_a_label_lowers_a_pair_of_numbers_but_keeps_a_matrix_index():
    assert (label("PE_1_0"), label("dPE_1_0/dpos1"), label("W_hi"), label("sigma__2")) == \
        ("PE₁,₀", "∂PE₁,₀/∂pos1", "W_hi", "σ²")


def test_mathml_sets_a_hat_over_its_letter_and_a_pair_of_indices_with_a_comma():
    assert mathml(sp.Symbol("zhat")) == '<mover accent="true"><mi>z</mi><mo>^</mo></mover>'
    assert "<mi>1,0</mi>" in mathml(sp.Symbol("PE_1_0"))
    assert mathml(sp.Symbol("sigma__2")) == "<msup><mi>&#963;</mi><mi>2</mi></msup>"


def test_a_transpose_node_reads_as_its_operands_transpose_in_later_formulas():
    """S = Q Kᵀ through a transpose node KT: S's formula names K, and ∂L/∂Q = ∂L/∂S (Kᵀ)ᵀ = ∂L/∂S K."""
    rng = np.random.default_rng(0)
    net = Network()
    net.input("Q", rng.normal(size=(3, 2)))
    net.input("K", rng.normal(size=(3, 2)))
    net.apply("transpose", "K", name="KT")
    net.apply("matmul", "Q", "KT", name="S")
    net.apply("sum", "S", name="L")
    net.backward("L")
    nodes = net.graph.nodes
    assert text(nodes["S"]["expr"]) == "Q Kᵀ"
    assert text(net.graph.edges["Q", "S"]["vjp"]) == "∂L/∂S K"
    np.testing.assert_allclose(nodes["Q"]["grad"], np.ones((3, 3)) @ net.value("K"))  # by hand: 𝟙 K


def test_a_kernel_with_length_one_axes_is_its_matrix_and_its_shape():
    kernel = np.array([[[[1.0, -1.0], [0.0, -1.0]]]])
    assert shown(kernel) == "[[1, −1], [0, −1]] (1×1×2×2)"
    assert show(kernel) == "[[1, −1],\n [0, −1]] (1×1×2×2)"
    assert shown(np.zeros(40).reshape(5, 8) - 2) == "5×8 array, entries from −2 to −2"
    assert shown(1e-5) == "10⁻⁵" and shown(2.5e-7) == "2.5e−07"


def test_the_target_of_half_sse_gets_the_negated_error():
    rule = registry.get("half_sse").rule
    assert "on the target y its negative, y − a" in rule


def _prose() -> dict[str, str]:
    texts = {}
    for path in bundled.problem_files():
        problem = load(str(path))
        texts[path.stem] = " ".join(filter(None, (problem.title, problem.source, problem.notes)))
    for name in ("seed_rnn", "seed_lstm", "seed_bahdanau", "seed_self_attention", "seed_positional_encoding"):
        example = getattr(seed_sequence, name)()
        texts[name] = " ".join((example.title, *example.remarks))
    return texts


# TeX's subscripts and powers, e^x written out, Σ with an ASCII index, a zero-based entry of h1
RAW = re.compile(r"_\{|\^\{|\^\(|\be\^|Σ_|softmax_|\bd_model\b|\bh1\[\d\]|\b[a-z]_t\b")


def test_titles_notes_and_remarks_are_written_in_unicode():
    found = {name: RAW.findall(prose) for name, prose in _prose().items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_lstm_weight_w_xf_is_a_parameter_on_the_worksheet_and_the_gallery_page():
    problem = load(str(bundled.folder() / "lstm.toml"))
    assert "W_xf" in problem.spec["parameters"]
    network = seed_sequence.seed_lstm().network
    assert network.graph.nodes["W_xf"]["kind"] == "parameter"


# a value that is only a size: "2×4×2×4", "(2, 4, 2, 4)", "array of shape (2, 4)"
SIZE_ONLY = re.compile(r"= (?:\d+(?:×\d+)+|\(\d+(?:, \d+)+\)|array of shape .*)$")


def test_no_row_of_any_example_is_a_value_by_its_size_alone():
    for path in bundled.problem_files():
        page = text(solve(load(str(path))))
        rows = [line for line in page.splitlines() if SIZE_ONLY.search(line.split("    [")[0])]
        assert rows == [], path.stem
