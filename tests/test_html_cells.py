"""The HTML value and name cells: an array as the matrix a textbook prints (read back here into NumPy and
compared with the array itself), a quantity's name as the formulas write it, and a statement with its
provenance and PyTorch notes set aside."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symdl.printing.html_cells import quantity_name, set_aside, value_cell
from symdl.printing.mathml import inline, mathml
from test_html import matrices


def test_a_matrix_is_a_bracketed_table_of_its_entries():
    w = np.array([[0.5, -0.3], [0.4, 0.1]])
    cell = value_cell(w)
    assert "[[" not in cell and cell.count("<mo>[</mo>") == 1
    [shown] = matrices(cell)
    np.testing.assert_array_equal(shown, w)
    assert "<mn>−0.3</mn>" in cell  # a minus sign, not a hyphen


def test_a_vector_is_one_row_and_an_n_by_1_array_one_column():
    [row] = matrices(value_cell(np.array([4.0, 8, 6, 10])))
    [column] = matrices(value_cell(np.array([[4.0], [8], [6], [10]])))
    assert row.tolist() == [[4, 8, 6, 10]] and column.tolist() == [[4], [8], [6], [10]]


def test_a_length_1_axis_is_dropped_and_said():
    image = np.arange(36.0).reshape(1, 6, 6)
    cell = value_cell(image)
    [shown] = matrices(cell)
    np.testing.assert_array_equal(shown, image[0])
    assert cell.endswith("(1×6×6)")


def test_numbers_stay_text_and_a_small_entry_is_a_power_of_ten():
    assert value_cell(np.array(-4.0)) == "−4" and value_cell(0.5) == "0.5"
    cell = value_cell(np.array([1.5e-5, 2.0]))
    assert "<mn>1.5</mn><mo>×</mo><msup><mn>10</mn><mn>−5</mn></msup>" in cell and "e-05" not in cell


def test_a_large_array_is_its_summary_with_the_whole_array_collapsed_under_it():
    a = np.linspace(-1, 1, 64).reshape(8, 8)
    cell = value_cell(a)
    assert cell.startswith('<details class="array"><summary>8×8 array, entries from −1 to 1</summary>')
    [shown] = matrices(cell)
    np.testing.assert_allclose(shown, a, rtol=1e-3)  # four significant digits
    huge = value_cell(np.zeros((30, 30)))
    assert "<details" not in huge and "<mtable" not in huge and huge.startswith("30×30 array")


def test_a_rank_3_array_is_a_row_of_its_matrices():
    a = np.arange(8.0).reshape(2, 2, 2)
    assert [m.tolist() for m in matrices(value_cell(a))] == [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]


def test_a_quantity_is_named_as_the_formula_column_names_it():
    for key in ("z_hi", "W_xi", "W_Q", "e_t", "p_same", "z_out", "K2__T", "PE_0_2"):
        assert quantity_name(key) == inline(mathml(sp.Symbol(key))), key
    gradient = quantity_name("dL/dW_Q")
    assert gradient == ("<math><mfrac><mrow><mo>&#8706;</mo><mi>L</mi></mrow>"
                        "<mrow><mo>&#8706;</mo><msub><mi>W</mi><mi>Q</mi></msub></mrow></mfrac></math>")
    assert "<msub><mrow><mi>out</mi></mrow><mn>2,2</mn></msub>" in quantity_name("out[1,1]")  # one-based
    assert "<mo>(</mo><msub><mi>h</mi><mi>1</mi></msub><mo>)</mo>" in quantity_name("h1[0]")  # (h₁)₁, not h₁₁
    assert quantity_name("df/dq (local)").endswith("<mtext>&#xA0;(local)</mtext></math>")


def test_provenance_and_pytorch_names_are_set_aside():
    text, asides = set_aside("seed notes, self-attention (OCR lines ≈1709–1805): q, k, v. Names are the notes'. "
                             "In PyTorch: W_xh is W_ih (RNNCell.weight_ih).")
    assert text == "seed notes, self-attention: q, k, v. Names are the notes'."
    assert asides == ["In the OCR of the notes: lines ≈1709–1805.", "In PyTorch: W_xh is W_ih (RNNCell.weight_ih)."]
    assert set_aside("In PyTorch: torch.chunk.") == ("", ["In PyTorch: torch.chunk."])
    assert set_aside("No aside (here) at all.") == ("No aside (here) at all.", [])
