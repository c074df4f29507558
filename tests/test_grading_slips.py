"""Verdicts the seed's reviewer found empty or muddled, each from a rule over any step: a truncation
counted apart from one carried on, a truncation inside a wrong claim named there, a factor or a term
of a sum left out or flipped, a one-input step taken at another number, and a number written with
its sign flipped but used with the right one. Expected values are worked by hand beside each."""

from __future__ import annotations

from pathlib import Path

from symdl.worksheet import check, load
from symdl.worksheet.solvers import solve

from grading_checks import by_claim, graded

EXAMPLES = Path(__file__).resolve().parent.parent / "symdl" / "examples"


def example(name: str) -> dict:
    return {v.claim: v for v in check(solve(load(EXAMPLES / f"{name}.toml"))).verdicts}


# --- truncations: one's own, and one carried on -----------------------------------------------------
CHAIN = """title = "u = exp(x), f = 2u"
[graph]
steps = "u = exp(x); f = 2*u"
at = { x = -1 }
[claims]
u = 0.36
f = 0.72
"""


def test_a_truncation_carried_on_is_counted_apart_from_the_truncation():
    # e⁻¹ = 0.367879 cut to 0.36 (rounded: 0.37); 2·0.36 = 0.72 is right for it (2e⁻¹ = 0.7358 → 0.74)
    report = graded(CHAIN)
    assert [v.claim for v in report.truncated] == ["u"]
    assert [v.claim for v in report.carried_truncations] == ["f"]
    assert report.lines()[-1] == "  0 of 2 claims wrong, 1 truncated rather than rounded, 1 carried from a truncation"
    assert report.to_dict()["truncated"] == 1 and report.to_dict()["carried_truncations"] == 1


SCALED = """title = "y = W tanh(x)"
[network.inputs]
x = [0.5, 1.0]
[network.parameters]
W = [[0.31, 0.0], [0.0, 0.5]]
[[network.ops]]
name = "h"
op = "tanh"
inputs = ["x"]
[[network.ops]]
name = "y"
op = "matmul"
inputs = ["W", "h"]
[claims]
h = [0.48, 0.5]
"""


def test_a_truncation_inside_a_wrong_claim_is_named_there():
    # tanh 0.5 = 0.4621, tanh 1 = 0.7616: h is wrong. From h = [0.48, 0.5]: W h = [0.31·0.48, 0.5·0.5]
    # = [0.1488, 0.25]; 0.148 is 0.1488 cut off (0.149 rounded), 0.45 is no slip of 0.25 (nor near W tanh(x)₂ = 0.381)
    v = by_claim(graded(SCALED + "y = [0.148, 0.45]\n"))["y"]
    assert v.cause == "step"
    assert v.slip == "entry 1 is truncated, not rounded (0.149); from the numbers used, this step gives 0.25 at entry 2"


def test_a_claim_only_carried_and_truncated_is_carried_with_the_truncation_named():
    v = by_claim(graded(SCALED + "y = [0.148, 0.25]\n"))["y"]  # 0.1488 cut off; 0.25 right for h
    assert v.cause == "carried" and v.origins == ("h",) and v.slip == "truncated, not rounded: 0.149 at entry 1"
    assert "truncated, not rounded: 0.149 at entry 1" in v.line()


# --- a factor, a term of a sum ----------------------------------------------------------------------
def test_a_factor_left_out_of_the_chain_step_before_is_named():
    # ∂f9/∂f4 = ∂f9/∂f5 · ∂f5/∂f4 = 124 · 5 = 620, and ∂f9/∂f3 = 620 · 1; the notes' 124 is 620 without the 5
    v = example("exploding_relu_chain")["df9/df3"]
    assert v.cause == "step"
    assert v.slip == "in the step before, ∂f9/∂f4, which is not written down, the factor ∂f5/∂f4 = 5 was left out"


PRODUCT = """title = "f = a b"
[graph]
steps = "f = a*b"
at = { a = 3, b = 7 }
[claims]
"""


def test_a_factor_of_the_step_itself_left_out_is_named():
    assert by_claim(graded(PRODUCT + "f = 7\n"))["f"].slip == "the factor a = 3 was left out"  # 3·7 = 21
    assert by_claim(graded(PRODUCT + "f = 22\n"))["f"].slip == "its inputs are right, but the arithmetic gives 21"


WINDOW = """title = "one 2×2 window"
[network.inputs]
image = [[6, 9], [0, 8]]
[network.parameters]
K = [[1, -1], [0, -1]]
[[network.ops]]
name = "X"
op = "reshape"
inputs = ["image"]
params = { shape = [1, 2, 2] }
[[network.ops]]
name = "W"
op = "reshape"
inputs = ["K"]
params = { shape = [1, 1, 2, 2] }
[[network.ops]]
name = "Y"
op = "conv2d"
inputs = ["X", "W"]
[[network.ops]]
name = "out"
op = "reshape"
inputs = ["Y"]
params = { shape = [1] }
[claims]
"""


def test_a_term_of_a_convolutions_sum_flipped_or_left_out_is_named():
    # 6·1 + 9·(−1) + 0·0 + 8·(−1) = 6 − 9 + 0 − 8 = −11
    before = "in the step before, Y, which is not written down, "
    assert by_claim(graded(WINDOW + "out = [5]\n"))["out"].slip == before + "one term's sign is flipped"  # 6 − 9 + 8
    assert by_claim(graded(WINDOW + "out = [-3]\n"))["out"].slip == before + "one term is left out"  # 6 − 9
    assert by_claim(graded(WINDOW + "out = [-12]\n"))["out"].slip == \
        "its inputs are right, but the arithmetic gives -11 at entry 1"  # no one term makes −12


def test_a_product_is_not_a_sum_of_terms():
    # a·b with a = 3, b = 7: −21 is a flipped sign of the whole, not a term; 3 − 7 is no slip of a product
    assert by_claim(graded(PRODUCT + "f = -21\n"))["f"].slip == "the sign is flipped"
    assert "term" not in by_claim(graded(PRODUCT + "f = -4\n"))["f"].slip


# --- a one-input step at another number --------------------------------------------------------------
TANH = """title = "tanh"
[derivative]
expression = "tanh(x)"
wrt = "x"
at = { x = 1.9 }
[claims]
"""


def test_a_value_at_another_input_is_named():
    # tanh 1.9 = 0.9562; tanh 0.9 = 0.7163, written 0.716 (the RNN's z = 0.9 for 1.9)
    v = by_claim(graded(TANH + "f = 0.716\n"))["f"]
    assert v.cause == "step" and v.slip == "0.716 is its value at x = 0.9, not at x = 1.9"
    assert "0.716 is its value at x = 0.9" in example("tanh_quotient_rule")["f"].slip


def test_a_number_no_other_input_gives_is_told_with_the_right_value():
    # tanh 1.9 = 0.956237; to 0.5's one place both tanh 0.5 = 0.462 and tanh 0.6 = 0.537 give it: no one number
    v = by_claim(graded(TANH + "f = 0.5\n"))["f"]
    assert v.slip == "its inputs are right, but the arithmetic gives 0.956237"


# --- a sign flipped where written, not where used ---------------------------------------------------
def test_the_rnn_uses_h1_with_its_right_sign_after_writing_it_flipped():
    v = example("rnn")
    # tanh(−0.1) = −0.0997, written 0.099; the notes then use −0.099
    assert v["h1[0]"].slip.endswith("; it is used afterwards as -0.099")
    # y1 = W_yh h1 with h1 = [−0.099, 0.833, 0.716]: 1·(−0.099) − 1·0.833 + 0.5·0.716 = −0.574 (written −0.579);
    # 0.5·(−0.099) + 0.5·0.833 − 0.5·0.716 = −0.0495 + 0.4165 − 0.358 = 0.009, as written
    y1 = v["y1"]
    assert y1.cause == "step" and y1.used == "(h1)₁ as -0.099"
    assert y1.slip == "from the numbers used, this step gives -0.574 at entry 1" and y1.carried == "entry 2"
    line = y1.line()
    assert "with (h1)₁ as −0.099" in line and "gives −0.574 at entry 1" in line and "−0.376" not in line
    # W_hh h1: row 2 = −0.2·(−0.099) + 0.3·0.833 + 0.2·0.716 = 0.0198 + 0.2499 + 0.1432 = 0.4129, as written
    assert v["z_h2"].used and v["z_h2"].carried == "entries 2 and 3"


def test_a_sign_flip_nothing_later_uses_is_left_as_written():
    # tanh 0.5 = 0.4621 written −0.462; y from it is [0.31·(−0.462), 0.25] = [−0.1432, 0.25]: as written
    report = graded(SCALED.replace("h = [0.48, 0.5]", "\"h[0]\" = -0.462\n\"h[1]\" = 0.762") +
                    "y = [-0.1432, 0.381]\n")
    v = by_claim(report)
    assert not v["h[0]"].slip.endswith("as 0.462") and v["y"].used == ""
