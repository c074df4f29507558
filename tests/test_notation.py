"""Issue 12: a worksheet's steps, names and indices read as a textbook writes them, in every format.
Expected strings are written here by hand; numbers come from NumPy on the flat formula."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from symdl import examples as bundled
from symdl.printing import exports
from symdl.printing.mathml import mathml
from symdl.printing.texsafe import latex_of
from symdl.printing.text import text
from symdl.printing.values import label
from symdl.worksheet import load, solve

# what a Python call or a zero-based slice looks like in a formula: name(…, key=…), Q[:, :2], I[2:, :]
CODE = re.compile(r"\b(?:reshape|conv2d|mask|batch_norm1d|max_pool2d|avg_pool2d|chunk)\(|\w=|\[[^\]]*(?:\d:|:\d)")


@pytest.fixture(scope="module")
def sheets() -> dict:
    return {path.stem: solve(load(str(path))) for path in bundled.problem_files()}


def step(sheets, example: str, key: str):
    return sheets[example].quantities[key]


def test_no_formula_is_a_python_call_or_a_zero_based_slice(sheets):
    for name, solution in sheets.items():
        for q in solution.quantities.values():
            assert not CODE.search(q.formula), (name, q.key, q.formula)


@pytest.mark.parametrize("example, key, written", [
    ("strided_convolution", "X", "image as a 1×5×5 tensor"),
    ("strided_convolution", "W", "K as a 1×1×2×2 tensor"),
    ("strided_convolution", "Y", "X ∗ W, stride 2, padding 1"),
    ("strided_convolution", "out", "Y as a 3×3 matrix"),
    ("max_pooling", "P", "the max of each 3×3 window of X, stride 1"),
    ("masked_multihead_attention", "Q1", "Q[:, 1–2]"),  # head 1: columns 1 and 2, counted from 1
    ("masked_multihead_attention", "Q2", "Q[:, 3–4]"),
    ("masked_multihead_attention", "M1", "Z1 + [0 −∞ −∞; 0 0 −∞; 0 0 0]"),  # token i sees tokens j ≤ i
    ("masked_multihead_attention", "dL/dZ1", "∂L/∂M1 ⊙ [1 0 0; 1 1 0; 1 1 1]"),  # none through a −∞
    ("masked_multihead_attention", "dL/dV", "∂L/∂V1 I[1–2, :] + ∂L/∂V2 I[3–4, :]"),
])
def test_a_step_is_written_as_mathematics(sheets, example, key, written):
    assert step(sheets, example, key).formula == written


def test_batch_norm_is_written_with_its_statistics_and_is_true(sheets):
    q = step(sheets, "batch_norm", "bn")
    assert q.formula == "γ ⊙ (Z − μ)/√(ε + σ²) + β"  # the statistics in a where line, not inside the equation
    assert text(q.where) == "μ and σ² are the mean and variance of each column of Z over the batch, ε = 10⁻⁵"
    assert r"\gamma \odot \frac{Z - \mu}{\sqrt{" in latex_of(q.expr)
    z = np.array([4.0, 8.0, 6.0, 10.0])  # the notes' batch; γ = 1, β = 0
    by_hand = (z - z.mean()) / np.sqrt(((z - z.mean()) ** 2).mean() + 1e-5)
    np.testing.assert_allclose(np.ravel(q.value), by_hand, rtol=1e-12)


def test_the_mask_in_latex_and_mathml_states_its_minus_infinities(sheets):
    q = step(sheets, "masked_multihead_attention", "M1")
    tex = latex_of(q.expr)
    assert tex.startswith("Z_{1} + ") and tex.count(r"-\infty") == 3
    assert mathml(q.expr).count("&#x221E;") == 3 and "mask" not in mathml(q.expr)


def test_a_block_is_one_based_in_latex_and_mathml(sheets):
    q = step(sheets, "masked_multihead_attention", "Q2")
    assert latex_of(q.expr) == r"{Q}_{:,\,3\text{--}4}"
    assert mathml(q.expr) == "<msub><mi>Q</mi><mtext>:,&#8201;3&#8211;4</mtext></msub>"  # thin space, en dash


def test_a_gradient_symbol_is_a_fraction_in_latex_and_mathml(sheets):
    q = step(sheets, "masked_multihead_attention", "dL/dH")
    assert latex_of(q.expr) == r"\frac{\partial L}{\partial Y} W_{O}^{T}"
    assert mathml(q.expr).startswith("<mrow><mfrac>")  # ∂L/∂Y, then Wᵀ: never ∂L/∂(Y Wᵀ)


@pytest.mark.parametrize("key, written", [
    ("out[1,1]", "out₂,₂"),  # the file's zero-based entry, as prose counts it
    ("z1[0]", "(z1)₁"),  # not z1₁, which reads as z with index 11
    ("ds/dx[1,0]", "(∂s/∂x)₂,₁"),
    ("W_hi", "W_hi"),  # an index as written: Unicode lowers h and i, but not W_hf's f
    ("dL/dW_hi", "∂L/∂W_hi"),
    ("dL/dalpha", "∂L/∂α"),
    ("alpha", "α"),
    ("df/dq (local)", "∂f/∂q (local)"),
    ("W_Q", "W_Q"),  # Unicode has no subscript Q: the name stays as written
])
def test_labels_are_one_based_and_subscripted(key, written):
    assert label(key) == written


def test_the_reader_sees_no_code_names(sheets):
    """lstm's Whi_h, rnn's Wyh_Whh and Wxh_x1, bahdanau's exp_e_t: the products are named as mathematics
    now (z_hi = W_hi h0, P = W_yh W_hh, u_t = exp(e_t)), subscripted in LaTeX and MathML, and the claims
    still grade the same steps."""
    for example, names in {"lstm": ("z_hi", "z_xi", "z_i"), "rnn": ("P", "z_x1"), "bahdanau_attention": ("u_t",)}.items():
        solution = sheets[example]
        assert all(name in solution.quantities for name in names)
        shown = str(solution)
        assert not re.search(r"Whi_h|Wxi_x|Wyh_Whh|Wxh_x1|exp_e_t", shown), example
    assert step(sheets, "lstm", "z_hi").formula == "W_hi h0"
    assert step(sheets, "lstm", "z_i").formula == "z_hi + z_xi"
    assert step(sheets, "rnn", "P").formula == "W_yh W_hh"
    assert step(sheets, "bahdanau_attention", "alpha").label == "α"
    np.testing.assert_allclose(step(sheets, "rnn", "P").value,
                               np.array([[1.0, -1.0, 0.5], [0.5, 0.5, -0.5]])
                               @ np.array([[0.1, 0.4, 0.0], [-0.2, 0.3, 0.2], [0.05, -0.1, 0.2]]))


def test_no_row_is_an_array_by_its_shape(sheets):
    """A matrix op's four-index Jacobian is never formed (the gradient row carries ∂L/∂W = ∂L/∂Y Xᵀ),
    and a given 5×5 image is printed whole."""
    for name, solution in sheets.items():
        for q in solution.quantities.values():
            assert not (q.kind == "local" and np.ndim(q.value) > 2), (name, q.key)
        pages = (text(solution), exports.latex(solution), exports.html.report(solution.problem.title, solution))
        assert not any("array of shape" in page for page in pages), name
    page = text(sheets["strided_convolution"])
    assert "image = [[2, 3, 4, 5, 6]," in page and "[11, 2, 1, 8, 3]]" in page


def test_one_sort_key_writes_a_sum_alike_in_every_printer():
    x, w = sp.symbols("x w")
    assert text(-w + x) == "x − w" and latex_of(-w + x) == "x - w"
    assert re.sub(r"<[^>]+>", "", mathml(-w + x)) == "x&#8722;w"
    Z, M = sp.MatrixSymbol("Z", 2, 2), sp.MatrixSymbol("M", 2, 2)
    assert latex_of(sp.MatAdd(-M, Z)) == "Z - M" and text(sp.MatAdd(-M, Z)) == "Z − M"


def test_a_written_step_states_a_pair_and_stays_its_own_form():
    """A stride of 1 down and 2 across reads 1×2 (LaTeX's × in math); two steps on one operand stay
    two forms; and the form computes: a 4×4 image padded by 1, a 2×2 kernel, stride (1, 2) gives
    (4 + 2 − 2)/1 + 1 = 5 rows and ⌊(4 + 2 − 2)/2⌋ + 1 = 3 columns."""
    from symdl.tensor import conv, notation, registry
    from symdl.tensor.symbolic import ArrayName, evaluate

    x, w = ArrayName("X"), ArrayName("W")
    form = notation.conv2d(conv.CONV2D, x, w, stride=(1, 2), padding=1)
    assert text(form) == "X ∗ W, stride 1×2, padding 1"
    assert latex_of(form) == r"X \ast W\text{, stride 1$\times$2, padding 1}"
    assert form != notation.reshape(registry.get("reshape"), x, (16,))
    assert evaluate(form, {"X": np.ones((1, 4, 4)), "W": np.ones((1, 1, 2, 2))}).shape == (1, 5, 3)
