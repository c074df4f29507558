"""How a worksheet writes a value: for a person every minus sign is U+2212, for JSON it stays ASCII.
The numbers are read back from the text and compared with the array NumPy holds."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from symdl.printing.values import show, show_ascii
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
