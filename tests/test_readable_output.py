"""What a person reads, written as a textbook writes it: whole numbers in full, arrays without
NumPy's trailing dots, rule names with their hyphens, steps by their matrix forms, every given
number of a question stated (expectations written by hand)."""

from __future__ import annotations

import numpy as np
import pytest

import symdl
from symdl import examples as bundled
from symdl.numbers import format_value
from symdl.printing import exports
from symdl.worksheet import load, solve
from symdl.worksheet.variants import variants


@pytest.mark.parametrize("value, shown", [
    (120422400.0, "120422400"),  # the bottleneck's multiply count, not 1.20422e+08
    (-4.0, "-4"), (-0.0, "0"), (0.7310585786300049, "0.731059"), (2.5e-7, "2.5e-07"), (1e20, "1e+20"),
    (np.array([2.0, 1.0, 0.1]), "[2, 1, 0.1]"),
    (np.array([[1.1, -0.75], [-0.0, 1e-5]]), "[[1.1, -0.75], [0, 1e-05]]"),
])
def test_numbers_are_written_as_a_person_writes_them(value, shown):
    assert format_value(value) == shown


def test_a_four_by_four_weight_is_shown_in_full():
    shown = format_value(np.arange(16.0).reshape(4, 4) / 10)
    assert shown.count(",") == 15 and "shape" not in shown


def test_a_rule_name_keeps_its_hyphens_and_a_minus_is_a_minus_sign():
    printed = str(symdl.derive("x*(exp(x)-exp(-x))/(exp(x)+exp(-x))", "x"))  # recognised inside a product
    assert "(tanh-of-exp)" in printed and "(eˣ − e⁻ˣ)" in printed and "-" not in printed.replace("tanh-of-exp", "")


def test_tensor_steps_are_their_matrix_forms():
    solution = solve(load(bundled.path("masked_multihead_attention")))
    assert solution.get("Q").formula.startswith("X W_Q")
    assert solution.get("Q1").formula.startswith("Q[:, 1–2]")  # head 1's columns, one-based as prose counts
    assert solution.get("L").formula == "½‖Y − T‖²"


def test_a_question_sheet_states_every_given_number():
    """Four 4×4 weights and two 3×4 inputs: 88 numbers, every one on the sheet, none as a shape."""
    problem = load(bundled.path("masked_multihead_attention"))
    sheet = variants(problem, seed=7, count=1)
    tex = exports.exercise_files("masked attention", sheet)["questions.tex"]
    assert "array of shape" not in tex
    given = tex[tex.index("Given"):tex.index("Find")]
    entries = sum(block.count("&") + block.count("\\\\") + 1
                  for block in given.split("\\begin{bmatrix}")[1:] for block in [block.split("\\end{bmatrix}")[0]])
    assert given.count("\\begin{bmatrix}") == 6 and entries == 4 * 16 + 2 * 12
