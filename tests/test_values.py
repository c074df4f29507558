"""How a worksheet writes a value: for a person every minus sign is U+2212, for JSON it stays ASCII;
how a circuit's box states one (∈ ℝ²ˣ²  ‖·‖ = 0.5  [0.3, 0.4, …]) and a gate its constant (×½, ×1/√2).
The numbers are read back from the text and compared with the array NumPy holds."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import math

import pytest
import sympy as sp

from symdl import ops
from symdl.numbers import constant_text
from symdl.printing.values import TEX, value_text, show, show_ascii
from symdl.tensor import registry as tensor_ops
from symdl.worksheet import check, loads, solve

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[−+-]\d+)?")
finite = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False)
small_arrays = arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=finite)


def read_back(text: str) -> list[float]:
    return [float(token.replace("−", "-")) for token in NUMBER.findall(text)]


@settings(max_examples=200, deadline=None)
@given(small_arrays)
def test_an_array_for_a_person_has_minus_signs_and_its_own_numbers(array):
    shown = show(array)
    size = "×".join(map(str, array.shape))
    stated = array.ndim > 2 and 1 in array.shape and array.size > 1  # 1×2×3: its 2×3 matrix, then its shape
    assert shown.endswith(f" ({size})") == stated
    shown = shown.removesuffix(f" ({size})")
    assert "-" not in shown
    assert shown.count("−") == sum(1 for token in NUMBER.findall(shown) for sign in token if sign == "−")
    np.testing.assert_allclose(read_back(shown), array.ravel(), rtol=5e-6, atol=0)  # six significant digits


@settings(max_examples=200, deadline=None)
@given(small_arrays)
def test_an_array_for_json_is_ascii_with_the_same_numbers(array):
    written = show_ascii(array)
    assert written.isascii()
    np.testing.assert_allclose(read_back(written), array.ravel(), rtol=5e-6, atol=0)


def test_negative_numbers_by_hand():
    assert show(np.array([[0.5, -0.1], [-2.0, 3.0]])) == "[[0.5, −0.1],\n [−2, 3]]"
    assert show(-1e-06) == "−1e−06" and show_ascii(-1e-06) == "-1e-06"
    assert show(np.array(-0.0)) == "0"
    assert show("1 - x") == "1 - x"  # a formula as typed


def test_a_report_json_keeps_ascii_while_its_lines_have_minus_signs():
    """z = w·x = [−1, −2]·... by hand: w = [[1, 0], [0, 1]] so z = x = [−1, −2]; the claim [1, 2] flips both."""
    report = check(solve(loads('''title = "identity"
[network.inputs]
x = [-1.0, -2.0]
[network.parameters]
w = [[1.0, 0.0], [0.0, 1.0]]
[[network.ops]]
name = "z"
op = "matmul"
inputs = ["w", "x"]
[claims]
z = [1.0, 2.0]
''', "identity.toml")))
    verdict = report.verdicts[0]
    assert verdict.wrong_entries == ("entry 1: 1 (correct -1)", "entry 2: 2 (correct -2)")
    assert "−" not in json.dumps(report.to_dict(), ensure_ascii=False)
    assert "entry 1: 1 (correct −1)" in verdict.line() and "-" not in verdict.line()


@pytest.mark.parametrize("value, line", [
    (np.array([[0.3, 0.4], [0.0, 0.0]]), "∈ ℝ²ˣ²  ‖·‖ = 0.5  [0.3, 0.4, …]"),  # ‖W‖_F = √(0.09 + 0.16) by hand
    (np.array([3.0, 4.0, 12.0]), "∈ ℝ³  ‖·‖ = 13  [3, 4, …]"),  # √(9 + 16 + 144)
    (np.array([0.5, -0.1]), "= [0.5, −0.1]"),  # a short vector, whole: its length is plain to see
    (np.array([[0.5], [-0.1]]), "= [0.5, −0.1]ᵀ"),  # a column, as a textbook writes one in a line
    (np.zeros((2, 2)), "= 0 ∈ ℝ²ˣ²"),
    (np.array([[1.0, -np.inf], [0.6, 0.8]]), "2×2: 1 masked, ‖rest‖ = 1.41  [1, −∞, …]"),  # √(1 + 0.36 + 0.64)
    (np.array(-4.0), "= −4"), (2.5, "= 2.5"),
])
def test_a_box_states_a_value_as_a_person_writes_it(value, line):
    assert value_text(value) == line


def test_a_page_leaves_an_arrays_entries_to_the_table_and_writes_the_same_in_tex():
    w = np.array([[0.3, 0.4], [0.0, 0.0]])
    assert value_text(w, narrow=True) == "∈ ℝ²ˣ²  ‖·‖ = 0.5"
    assert value_text(w, narrow=True, notation=TEX) == r"\in \mathbb{R}^{2\times 2}\ \ \|{\cdot}\| = 0.5"
    assert value_text(np.array([[0.5], [-0.1]]), notation=TEX) == "= [0.5, -0.1]^{\\top}"
    assert "masked" in value_text(np.array([-np.inf, 1.0, 2.0]), notation=TEX)


_LINE = re.compile(r"∈ ℝ(?P<shape>[⁰¹²³⁴⁵⁶⁷⁸⁹ˣ]+)  ‖·‖ = (?P<norm>\S+)  \[(?P<first>\S+), (?P<second>\S+), …\]")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹ˣ", "0123456789×")


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.floats(-1e3, 1e3)))
def test_a_summary_states_the_set_the_frobenius_norm_and_the_first_entries(array):
    line = value_text(array)
    if array.size <= 2 and sum(d > 1 for d in array.shape) <= 1:
        assert line.startswith("= ") and "ℝ" not in line
        return
    if not array.any():
        assert line == f"= 0 ∈ ℝ{'×'.join(map(str, array.shape)).translate(str.maketrans('0123456789×', '⁰¹²³⁴⁵⁶⁷⁸⁹ˣ'))}"
        return
    parts = _LINE.fullmatch(line)
    assert parts, line
    assert tuple(map(int, parts["shape"].translate(_SUPERSCRIPT).split("×"))) == array.shape
    read = [float(parts[k].replace("−", "-")) for k in ("norm", "first", "second")]
    frobenius = math.sqrt(sum(float(x) ** 2 for x in array.ravel()))  # ‖A‖_F by its definition
    np.testing.assert_allclose(read, [frobenius, *array.ravel()[:2]], rtol=5e-3, atol=1e-300)


def test_a_constant_reads_the_same_on_a_scalar_gate_and_a_tensor_gate():
    assert constant_text(sp.Rational(1, 2)) == constant_text(0.5) == "½"
    assert constant_text(1 / math.sqrt(2)) == constant_text(sp.sqrt(2) / 2) == "1/√2"  # attention's 1/√dₖ
    assert (constant_text(-1), constant_text(2.5), constant_text(2 / 7), constant_text(0.01)) == ("−1", "2.5", "2/7", "0.01")
    assert ops.get("scale").label(sp.Rational(1, 2)) == "×½" == tensor_ops.get("scale").label(0.5)


def test_a_shift_by_a_negative_constant_is_a_subtraction():
    shift = ops.get("shift")
    assert shift.label(sp.Integer(-1)) == "−1" and shift.label(sp.Integer(1)) == "+1"
    assert shift.tex(["f"], sp.Integer(-1)) == "f - 1"
