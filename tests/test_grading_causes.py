"""Verdicts as a careful TA writes them: a truncated number is a precision remark, not a wrong step;
one cause for a whole claim before causes entry by entry; positions one-based; a slip named only
where it gives the number written. Every expected value is worked by hand in the comment beside it."""

from __future__ import annotations

import numpy as np
import pytest

from symdl.audit import audit
from symdl.cli import main
from symdl.printing.audit import audit_html
from symdl.printing.html import report as html_report
from symdl.printing.latex import latex
from symdl.worksheet.steps import position, where

from grading_checks import by_claim, graded

NEURON = """title = "f = exp(x) + 1"
[graph]
steps = "u = exp(x); f = u + 1"
at = { x = -1 }
[claims]
"""


# --- truncation is a precision remark ---------------------------------------------------------------
def test_a_truncated_number_is_a_remark_not_a_wrong_step():
    report = graded(NEURON + "u = 0.36\n")  # e⁻¹ = 0.367879…, which to two places is 0.37
    (v,) = report.verdicts
    assert v.cause == "truncated" and not v.right and v.slip == "truncated, not rounded: 0.37"
    assert report.wrong == [] and report.first_departures == [] and report.truncated == [v]
    assert v.line() == "  ≈ u = 0.36   (exact: 0.367879; truncated, not rounded: 0.37)"
    assert report.lines()[-1] == "  0 of 1 claims wrong, 1 truncated rather than rounded"
    assert report.to_dict()["wrong"] == 0 and report.to_dict()["truncated"] == 1


def test_a_number_computed_from_a_truncated_one_carries_the_remark():
    v = by_claim(graded(NEURON + "u = 0.36\nf = 1.36\n"))["f"]  # 0.36 + 1 = 1.36, right for the student's 0.36
    assert v.cause == "truncated" and v.origins == ("u",)
    assert v.line() == "  ≈ f = 1.36   (exact: 1.36788; right for the truncated u it was computed from)"


def test_a_truncation_and_a_flipped_sign_stay_wrong_and_name_both():
    report = graded(NEURON + "u = -0.36\n")  # +0.3679 written −0.36: sign and truncation
    (v,) = report.verdicts
    assert v.cause == "step" and report.wrong == [v] and report.first_departures == ["u"]
    assert v.slip == "the sign is flipped, and the digits truncated, not rounded: 0.37"


def test_a_rounded_number_is_right_and_a_number_off_by_more_is_wrong():
    assert by_claim(graded(NEURON + "u = 0.37\n"))["u"].right  # rounded as it should be
    wrong = by_claim(graded(NEURON + "u = 0.35\n"))["u"]  # neither 0.37 nor 0.36: a wrong step
    assert wrong.cause == "step" and "truncated" not in wrong.slip


def test_the_remark_reads_the_same_in_html_and_latex():
    report = graded(NEURON + "u = 0.36\n")
    page = html_report("check", report)
    assert "≈ u = 0.36" in page and "truncated, not rounded: 0.37" in page and "0 of 1 claims wrong" in page
    tex = latex(report)
    assert r"\item[\ensuremath{\approx}] $u = 0.36$" in tex and "truncated, not rounded: 0.37" in tex  # the mark labels it


# --- entry by entry, one-based ----------------------------------------------------------------------
def product(a, b, claimed) -> str:
    return f"""title = "a product"
[network.parameters]
A = {a}
B = {b}
[[network.ops]]
name = "P"
op = "matmul"
inputs = ["A", "B"]
[claims]
P = {claimed}
"""


A, B = "[[1.0, 2.0], [3.0, 4.0]]", "[[5.0, 6.0], [7.0, 8.0]]"  # A B = [[5 + 14, 6 + 16], [15 + 28, 18 + 32]]


def test_different_causes_are_told_entry_by_entry_with_one_based_positions():
    # (1, 1): 5 − 14 = −9, a product's sign flipped; (1, 2): 16 alone, the 6 left out;
    # (2, 1) = 40 and (2, 2) = 51 come from no slip (43 and 50 are right)
    v = by_claim(graded(product(A, B, "[[-9, 16], [40, 51]]")))["P"]
    assert v.slip == ("at entry (1, 1), one product of the dot product has its sign flipped; "
                      "at entry (1, 2), one product of the dot product is left out; "
                      "the inputs are right, but the arithmetic gives 43 at entry (2, 1) and 50 at entry (2, 2)")
    assert v.wrong_entries == ("entry (1, 1): -9 (correct 19)", "entry (1, 2): 16 (correct 22)",
                               "entry (2, 1): 40 (correct 43)", "entry (2, 2): 51 (correct 50)")


def test_the_notes_rnn_product_gets_three_diagnoses():
    """The seed's W_yh W_hh (OCR line 1508) = [[0.28, −0.28, 0.1], [0.15, 0.15, −0.1]]; by hand the terms
    of (1, 1) are 0.1 + 0.2 + 0.025 (0.025 flipped: 0.275, which is 0.28), of (1, 3) 0 − 0.2 + 0.1 (the −0.2
    left out: 0.1), of (2, 3) 0 + 0.1 − 0.1 (the 0.1 left out: −0.1); no flip or omission gives −0.28,
    0.15 or 0.15 from (0.4, −0.3, −0.05), (0.05, −0.1, −0.025), (0.2, 0.15, 0.05); W_yh W_hhᵀ is
    [[−0.3, −0.4, 0.25], …] and W_hh W_yh has no shape."""
    text = product("[[1.0, -1.0, 0.5], [0.5, 0.5, -0.5]]", "[[0.1, 0.4, 0.0], [-0.2, 0.3, 0.2], [0.05, -0.1, 0.2]]",
                   "[[0.28, -0.28, 0.1], [0.15, 0.15, -0.1]]")
    v = by_claim(graded(text))["P"]
    assert v.slip == ("at entry (1, 1), one product of the dot product has its sign flipped; "
                      "at entries (1, 3) and (2, 3), one product of the dot product is left out; "
                      "the inputs are right, but the arithmetic gives 0.05 at entry (1, 2), -0.075 at entry (2, 1) "
                      "and 0.4 at entry (2, 2)")  # 0.4 − 0.3 − 0.05; 0.05 − 0.1 − 0.025; 0.2 + 0.15 + 0.05


def test_a_transposed_operand_explains_the_whole_claim():
    # A Bᵀ = [[1·5 + 2·6, 1·7 + 2·8], [3·5 + 4·6, 3·7 + 4·8]] = [[17, 23], [39, 53]]
    v = by_claim(graded(product(A, B, "[[17, 23], [39, 53]]")))["P"]
    assert v.slip == "B was used transposed (Bᵀ where B belongs)"


def test_operands_in_the_other_order_explain_the_whole_claim():
    # B A = [[5 + 18, 10 + 24], [7 + 24, 14 + 32]] = [[23, 34], [31, 46]]
    v = by_claim(graded(product(A, B, "[[23, 34], [31, 46]]")))["P"]
    assert v.slip == "A and B were exchanged (the operands taken in the other order)"


def test_each_number_stands_beside_its_position():
    # the student's P has 18 for 19 at (1, 1); Q = P + C with C = [[1, 0], [0, 2]] is then [[19, 22], [43, 52]]
    # from their numbers; the claim's 21 at (1, 1) is no slip of 19, the rest is right
    text = product(A, B, "[[18, 22], [43, 50]]").replace("[claims]", """[network.constants]
C = [[1.0, 0.0], [0.0, 2.0]]
[[network.ops]]
name = "Q"
op = "add"
inputs = ["P", "C"]
[claims]""") + "Q = [[21, 22], [43, 52]]\n"
    v = by_claim(graded(text))["Q"]
    assert v.cause == "step" and v.slip == "from the numbers used, this step gives 19 at entry (1, 1)"
    assert v.wrong_entries == ("entry (1, 1): 21 (correct 20)",)


def test_positions_are_counted_from_one():
    assert position((0,)) == "entry 1" and position((1, 2)) == "entry (2, 3)"
    assert where(np.array([True, False, True])) == "entries 1 and 3"
    assert where(np.array([[False, True], [False, False]])) == "entry (1, 2)"


# --- slips named only where they give the number written --------------------------------------------
SIZES = """title = "output sizes"
[graph]
steps = ["valid = n - f + 1", "p_same = (f - 1)/2"]
output = "valid"
at = { n = 6, f = 3 }
[claims]
"""


def test_an_output_size_without_its_plus_one_is_named():
    v = by_claim(graded(SIZES + "valid = 3\n"))["valid"]  # 6 − 3 + 1 = 4; without the + 1, 3
    assert v.cause == "step" and v.slip == "its constant term was left out"


def test_a_number_no_slip_gives_is_wrong_without_a_made_up_cause():
    v = by_claim(graded(SIZES + "valid = 7\n"))["valid"]  # 4 is right; 7 is no slip of 6 − 3 + 1
    assert v.slip == "its inputs are right, but the arithmetic gives 4"  # 6 − 3 + 1, and no cause made up
    # (f − 1)/2 = 1; the notes' 2 is (n − f + 1)/2, which no rule of this one step gives: a piece of the
    # formula (f − 1) is not a step of its own, so no slip "in the step before" is made up for it
    p = by_claim(graded(SIZES.replace('output = "valid"', 'output = "p_same"') + "p_same = 2\n"))["p_same"]
    assert p.slip == "its inputs are right, but the arithmetic gives 1"  # (3 − 1)/2


def test_a_slip_in_a_step_not_written_down_is_named_there():
    # W x = [3·1 + 4·2, 5·1 + 6·2] = [11, 17], z = W x + b = [12, 18]; the claim's 9 is 4·2 + 1 with the
    # 3·1 left out of W x, a step the student never wrote
    text = """title = "a layer"
[network.inputs]
x = [1.0, 2.0]
[network.parameters]
W = [[3.0, 4.0], [5.0, 6.0]]
b = [1.0, 1.0]
[[network.ops]]
name = "Wx"
op = "matmul"
inputs = ["W", "x"]
[[network.ops]]
name = "z"
op = "add"
inputs = ["Wx", "b"]
[claims]
z = [9.0, 18.0]
"""
    v = by_claim(graded(text))["z"]
    assert v.slip == "in the step before, Wx, which is not written down, one product of the dot product is left out"
    written = by_claim(graded(text.replace("[claims]\n", "[claims]\nWx = [11.0, 17.0]\n")))["z"]
    assert "step before" not in written.slip  # Wx written down right: the slip is in z itself


@pytest.mark.parametrize("claim, kind", [("-0.37", "the sign is flipped"), ("3.7", "decimal-point")])
def test_arithmetic_slips_are_named_when_they_give_the_number(claim, kind):
    assert kind in by_claim(graded(NEURON + f"u = {claim}\n"))["u"].slip  # e⁻¹ = 0.3679


def test_a_file_whose_only_remark_is_a_truncation_checks_clean(tmp_path, capsys):
    path = tmp_path / "neuron.toml"
    path.write_text(NEURON + "u = 0.36\n", encoding="utf-8")  # e⁻¹ = 0.3679 cut to 0.36: no wrong claim
    assert main(["check", str(path)]) == 0
    assert "≈ u = 0.36" in capsys.readouterr().out
    path.write_text(NEURON + "u = 0.35\n", encoding="utf-8")
    assert main(["check", str(path)]) == 1


def test_a_formula_that_multiplies_out_to_something_shorter_says_so():
    # ((1 + a)x + (1 − a)x)/2 = (x + ax + x − ax)/2 = x: the |x| of Leaky ReLU written as x
    text = """title = "leaky"
[derivative]
expression = "leaky_relu(x, a)"
wrt = "x"
at = { x = -2, a = 0.01 }
[claims]
"f(x)" = "((1 + a)*x + (1 - a)*x)/2"
"""
    v = by_claim(graded(text))["f(x)"]
    assert v.cause == "step" and v.slip == "it simplifies to x"
    relu = by_claim(graded(text.replace("leaky_relu(x, a)", "relu(x)").replace('"((1 + a)*x + (1 - a)*x)/2"',
                                                                                 '"(x + abs(x))/4"')))["f(x)"]
    assert relu.slip == "off by a constant factor of 1/2"  # (x + |x|)/2 is ReLU; no shorter form of the claim


def test_a_left_out_operand_explains_the_whole_claim():
    # W x = [1 + 2, 1 − 2] = [3, −1]; z = W x + b = [3.5, −0.5]; the claim [3, −1] is W x without its b
    text = """title = "a layer with a bias"
[network.inputs]
x = [1.0, 2.0]
[network.parameters]
W = [[1.0, 1.0], [1.0, -1.0]]
b = [0.5, 0.5]
[[network.ops]]
name = "Wx"
op = "matmul"
inputs = ["W", "x"]
[[network.ops]]
name = "z"
op = "add"
inputs = ["Wx", "b"]
[claims]
Wx = [3.0, -1.0]
z = [3.0, -1.0]
"""
    v = by_claim(graded(text))["z"]
    assert v.cause == "step" and v.slip == "b was left out of this step"
    zero = by_claim(graded(text.replace("z = [3.0, -1.0]", "z = [0.0, 0.0]")))["z"]
    assert "left out" not in zero.slip  # neither W x nor b is zero: [0, 0] is no operand left out


def test_the_audit_page_marks_a_truncation_apart_while_its_json_keeps_the_finding(tmp_path):
    # 2/3 = 0.6667 written 0.66 (cut off: 0.67 rounded); 1 + 1 = 3 is wrong; 0.5·2 = 1 is right
    notes = tmp_path / "notes.md"
    notes.write_text("$$\\frac{2}{3} = 0.66$$\n\n$$1 + 1 = 3$$\n\n$$0.5 \\cdot 2 = 1$$\n", encoding="utf-8")
    report = audit([str(notes)])
    assert [f["written"] for f in report.findings] == ["0.66", "3"]  # the JSON contract: both disagree
    page = audit_html(report)
    assert "&#x2248; truncated, not rounded: 0.67" in page and "&#x2717; correct: 2" in page
    assert "3 equalities checked, 1 wrong, 1 truncated rather than rounded" in page


def test_a_wrong_claim_with_one_entry_only_truncated_says_which():
    # W x = [0.8337·1, 1·2] = [0.8337, 2]; the claim's 0.833 is 0.8337 cut off (0.834 rounded), its 3 is wrong
    text = """title = "scaled"
[network.inputs]
x = [1.0, 2.0]
[network.parameters]
W = [[0.8337, 0.0], [0.0, 1.0]]
[[network.ops]]
name = "Wx"
op = "matmul"
inputs = ["W", "x"]
[claims]
Wx = [0.833, 3.0]
"""
    v = by_claim(graded(text))["Wx"]
    assert v.cause == "step" and v.slip == ("entry 1 is truncated, not rounded (0.834); the inputs are right, "
                                            "but the arithmetic gives 2 at entry 2")


def test_a_flipped_sign_used_right_afterwards_is_not_an_origin_of_what_follows():
    # tanh(−0.1) = −0.099668 written 0.099; a = 2·1 = 2 written 3; w = 3u + a = 3·(−0.099) + 3 = 2.703,
    # right for u used as −0.099 (only truncated) and the wrong a: carried from a alone. tanh is odd,
    # so "its value at x = 0.1" is the flipped sign, named as that.
    found = by_claim(graded("""title = "t"
[graph]
steps = "u = tanh(x); a = 2*y; w = 3*u + a"
at = { x = -0.1, y = 1 }
[claims]
u = 0.099
a = 3
w = 2.703
"""))
    assert found["u"].slip.startswith("the sign is flipped")
    assert found["w"].cause == "carried" and found["w"].origins == ("a",)
