"""MathML as a textbook writes it (expected markup written by hand), and the derivation pages built on it."""

from __future__ import annotations

import html
import re

import pytest
import sympy as sp

import symdl
from symdl.printing.html import report
from symdl.printing.mathml import mathml

x, c, u = sp.symbols("x c u")
APPLIED_X = '<mo>&#x2061;</mo><mrow><mo stretchy="false">(</mo><mi>x</mi><mo stretchy="false">)</mo></mrow>'
E_MINUS_X = "<msup><mi>e</mi><mrow><mo>&#8722;</mo><mi>x</mi></mrow></msup>"


def test_a_function_is_applied_to_its_argument():
    """tanh⁡(x): U+2061 between the name and its bracket, the bracket at text size (see the Chromium test)."""
    assert mathml(sp.tanh(x)) == f"<mrow><mi>tanh</mi>{APPLIED_X}</mrow>"
    assert mathml(sp.tanh(x) ** 2) == f"<mrow><msup><mi>tanh</mi><mn>2</mn></msup>{APPLIED_X}</mrow>"
    assert mathml(symdl.relu(x)) == f"<mrow><mi>ReLU</mi>{APPLIED_X}</mrow>"
    assert mathml(sp.Heaviside(x, 0)) == f"<mrow><mi>H</mi>{APPLIED_X}</mrow>"
    framed = mathml(sp.tanh(x / (1 + x)))
    assert '<mo stretchy="false">' not in framed and "<mfrac>" in framed  # a tall argument: brackets stretch


def test_a_decaying_exponential_is_e_to_the_minus_x():
    """−e^{−x}, not −1/eˣ; a factor before it stays as it was."""
    assert mathml(-sp.exp(-x)) == f"<mrow><mo>&#8722;</mo>{E_MINUS_X}</mrow>"
    assert mathml(2 * sp.exp(-x)) == f"<mrow><mn>2</mn><mo>&InvisibleTimes;</mo>{E_MINUS_X}</mrow>"
    assert mathml(x * sp.exp(-x) / (x + 1)) == (
        "<mrow><mrow><mfrac><mi>x</mi><mrow><mi>x</mi><mo>+</mo><mn>1</mn></mrow></mfrac></mrow>"
        f"<mo>&InvisibleTimes;</mo>{E_MINUS_X}</mrow>")
    assert mathml(sp.exp(x) / 2) == "<mrow><mfrac><msup><mi>e</mi><mi>x</mi></msup><mn>2</mn></mfrac></mrow>"


def test_one_derivative_notation_for_one_variable():
    """d/dx (c·f(x)) as the page's other steps write it; ∂ only for a derivative in several variables."""
    f = sp.Function("f")
    single = mathml(sp.Derivative(c * f(x), x))
    assert "&#x2202;" not in single and single.count('<mi mathvariant="normal">d</mi>') == 2
    assert mathml(sp.Derivative(f(x, u), x, u)).count('<mi mathvariant="normal">&#x2202;</mi>') == 3


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    sources = {"tanh": "tanh(x)", "relu": "relu(x)", "leaky": "leaky_relu(x, 0.2)", "gelu": "gelu(x)",
               "tanh_exp": "(exp(x) - exp(-x))/(exp(x) + exp(-x))", "sigmoid_exp": "1/(1 + exp(-x))",
               "softmax": "softmax(x, y)[1]"}
    return {name: report(name, symdl.derive(source, "x")) for name, source in sources.items()}


def _where(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in re.findall(r'<p class="where">(.*?)</p>', page)]


def test_each_special_function_is_defined_where_it_is_used(pages):
    assert _where(pages["relu"]) == [] and _where(pages["leaky"]) == []  # written as cases: no H to define
    # max's H(x − y, 1/2) splits a tie: the line defines H(x) and the H(x, c) the page uses, true at 0 too
    assert _where(report("h", symdl.derive("max(x, y)", "x"))) == [
        "where H\u2061(x) = 1 for x > 0, 0 otherwise; H(x, c) is c at x = 0 and H(x) elsewhere"]
    assert _where(pages["tanh"]) == [] and _where(pages["sigmoid_exp"]) == []
    assert [line.split(" ")[1] for line in _where(pages["gelu"])] == ["φ\u2061(x)", "Φ\u2061(x)"]
    where = _where(pages["softmax"])  # the abbreviation, then sᵢ and δᵢⱼ of the softmax rule's formula
    assert where[0] == "where s=softmax\u2061(x,y)" and [w.split(" ")[1] for w in where[1:]] == ["si", "δij"]


def test_a_page_writes_neither_partial_nor_reciprocal_exponentials(pages):
    """The constant multiple rule's d/dx; e^{−x} never as 1/eˣ, however deep the step."""
    for name in ("tanh_exp", "sigmoid_exp"):
        assert "&#x2202;" not in pages[name]
        assert "<mfrac><mn>1</mn><msup><mi>e</mi>" not in pages[name]
    assert "<strong>constant multiple rule</strong>" in pages["tanh_exp"]
    assert "<details" in pages["tanh_exp"] and "<script" not in pages["tanh_exp"]


def test_cases_print_as_a_brace_with_conditions():
    """ReLU′ as cases (markup by hand): each value with its condition, the last one "otherwise"."""
    expected = ('<mrow><mo>{</mo><mtable columnalign="left left">'
                '<mtr><mtd><mn>1</mn></mtd><mtd><mrow><mtext>if&#160;</mtext>'
                '<mrow><mi>x</mi><mo>&gt;</mo><mn>0</mn></mrow></mrow></mtd></mtr>'
                '<mtr><mtd><mn>0</mn></mtd><mtd><mtext>otherwise</mtext></mtd></mtr></mtable></mrow>')
    assert mathml(sp.Piecewise((1, x > 0), (0, True))) == expected


@pytest.mark.parametrize("source", ["relu(x)", "leaky_relu(x)", "elu(x)"])
def test_a_step_derivative_page_shows_cases_not_sympy_calls(source):
    page = report("d", symdl.derive(source, "x"))
    assert "<mtable" in page and "otherwise" in page
    assert "piecewise" not in page.lower() and "True" not in page


def test_a_two_letter_subscript_is_two_indices_not_a_greek_letter():
    """W_xi is the input weight of gate i (x and i), as the notes write it; SymPy would print W_ξ."""
    assert mathml(sp.Symbol("W_xi")) == "<msub><mi>W</mi><mi>xi</mi></msub>"
    assert mathml(sp.MatrixSymbol("b_nu", 2, 1)) == "<msub><mi>b</mi><mi>nu</mi></msub>"
    assert mathml(sp.Symbol("x_alpha")) == "<msub><mi>x</mi><mi>&#945;</mi></msub>"  # a longer name: the letter
    assert mathml(sp.Symbol("xi")) == "<mi>&#958;</mi>"


def test_the_chain_rule_writes_the_inner_derivative_last():
    """e^{−x}·d/dx(−x): the outer derivative, then the inner one still to work out (by hand)."""
    printed = mathml(sp.Mul(sp.exp(-x), sp.Derivative(-x, x), evaluate=False))
    assert printed.index(E_MINUS_X) < printed.index("<mfrac>") and "<mo>&#183;</mo>" in printed


def test_a_matrix_product_brackets_its_hadamard_and_sum_factors():
    """Softmax's VJP p ⊙ (v − (p ⊙ v) 𝟙𝟙ᵀ) reads as written (by hand), the 2×2 ones as 𝟙𝟙ᵀ; SymPy wrote
    −𝟙p ⊙ v + v."""
    p, v = sp.MatrixSymbol("p", 1, 2), sp.MatrixSymbol("v", 1, 2)
    plain = re.sub(r"<[^>]+>", " ", mathml(sp.HadamardProduct(p, v - sp.HadamardProduct(p, v) * sp.OneMatrix(2, 2))))
    assert plain.split() == ["p", "&#8857;", "(", "v", "&#8722;", "(", "p", "&#8857;", "v", ")", "&InvisibleTimes;",
                             "&#120793;", "&#120793;", "T", ")"]
