"""The Unicode text printer: textbook notation, and every printed formula reads back as the same expression."""

from __future__ import annotations

import re

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symdl.derive import derive
from symdl.functions import cross_entropy, leaky_relu, relu, sigmoid, softmax
from symdl.parsing import parse
from symdl.printing.text import text
from strategies import SYMBOLS, X, expressions, points

x, y = X, SYMBOLS[1]


@pytest.mark.parametrize("expr, printed", [
    (sp.Derivative(sp.tanh(x), x), "d/dx tanh(x)"),
    (1 - sp.tanh(x) ** 2, "1 − tanh²(x)"),
    (sigmoid(x) ** 3, "σ³(x)"),
    (sp.exp(-1), "e⁻¹"),
    (sp.exp(-x), "e⁻ˣ"),
    (sp.exp(x) + 1, "1 + eˣ"),
    (sp.exp(2 * x), "exp(2x)"),
    (x + 1, "x + 1"),
    (sp.Symbol("s_i") * (sp.Symbol("delta_ij") - sp.Symbol("s_j")), "sᵢ·(δᵢⱼ − sⱼ)"),
    (sp.Derivative(sp.Symbol("s_i"), sp.Symbol("x_j")), "∂sᵢ/∂xⱼ"),
    (sp.Derivative(sp.log(sp.Symbol("s_i")), sp.Symbol("x_j")), "∂/∂xⱼ log(sᵢ)"),
    (sp.Heaviside(x, 0), "H(x)"),
    (sp.Heaviside(x - y), "H(x − y, 1/2)"),  # max's step, ½ at a tie: H(x − y) would say 0
    (sp.Heaviside(x, 1), "H(x, 1)"),
    (sp.Heaviside(x, 0) ** 2, "H(x)²"),
    (softmax(x, y, 1), "softmax(x, y)₁"),  # the component as an index, not a third argument
    (cross_entropy(x, y, 2) ** 2, "cross_entropy(x, y)₂²"),
    (y * softmax(x, y, 2) ** 3, "y·softmax(x, y)₂³"),
    (softmax(x, y, sp.Symbol("i")), "softmax(x, y)ᵢ"),
    (sp.sqrt(x), "√x"),
    (sp.sqrt(x + 1), "√(x + 1)"),
    (x ** -2, "1/x²"),
    (3 * x, "3x"),
    (sp.Mul(2, 1 - x, evaluate=False), "2(1 − x)"),
    (2 * sp.exp(x), "2eˣ"),
    (2 * sp.exp(x * y), "2·exp(x·y)"),
    (x * y, "x·y"),
    ((x + 1) ** 2, "(x + 1)²"),
    (x ** y, "x^y"),
    (sp.Abs(x), "|x|"),
    (sp.Max(x, y), "max(x, y)"),
    (relu(x), "ReLU(x)"),
    (leaky_relu(x, sp.Rational(1, 5)), "LeakyReLU(x, 1/5)"),
    (sp.Symbol("x_1"), "x₁"),
    (sp.pi * x, "π·x"),
    (sp.Derivative(sp.Function("f")(x), x), "f′(x)"),
    (sp.Derivative(sp.Symbol("u"), x), "du/dx"),
    (sp.Piecewise((1, x > 0), (sp.exp(x), True)), "{1 if x > 0; eˣ otherwise}"),
])
def test_textbook_notation(expr, printed):
    assert text(expr) == printed


_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
_NAMES = {"σ": "sigmoid", "ReLU": "relu", "LeakyReLU": "leaky_relu", "H": "step"}
_RAISED = dict(zip("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ", "abcdefghijklmnoprstuvwxyz"))


def _closing(source: str, start: int) -> int:
    """Index of the parenthesis that closes the one at ``start``."""
    depth = 0
    for i in range(start, len(source)):
        depth += {"(": 1, ")": -1}.get(source[i], 0)
        if depth == 0:
            return i
    raise AssertionError(f"unbalanced: {source}")


def read_back(printed: str) -> str:
    """The printed text as symdl expression syntax, written independently of the printer."""
    s = printed.replace("−", "-").replace("·", "*").replace("π", "pi")
    s = "".join(_SUB.get(c, c) for c in s)
    s = re.sub(f"e(⁻?)([{''.join(_RAISED)}])", lambda m: f"exp({'-' if m.group(1) else ''}{_RAISED[m.group(2)]})", s)
    s = re.sub(r"([a-z])(\d)(?![\d(])", r"\1_\2", s)  # x₁ -> x_1
    # a power on a function's name: tanh²(u) -> (tanh(u))**2
    while (m := re.search(r"([A-Za-zσ]+)([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)\(", s)):
        end = _closing(s, m.end() - 1)
        power = "".join(_SUPER[c] for c in m.group(2))
        s = f"{s[:m.start()]}({m.group(1)}{s[m.end() - 1:end + 1]})**({power}){s[end + 1:]}"
    s = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "**(" + "".join(_SUPER[c] for c in m.group()) + ")", s)
    s = re.sub(r"√(\w+)", r"sqrt(\1)", s).replace("√", "sqrt")
    s = re.sub(r"\|([^|]*)\|", r"abs(\1)", s)
    s = re.sub(r"(\d)([a-z(])", r"\1*\2", s)  # 3x -> 3*x
    for glyph, name in _NAMES.items():
        s = re.sub(rf"(?<![A-Za-z]){glyph}\(", f"{name}(", s)
    return s.replace("^", "**")


@settings(max_examples=150, deadline=None)
@given(expressions, points)
def test_every_printed_expression_reads_back_as_itself(expr, point):
    printed = text(expr)
    assert "**" not in printed and "Derivative" not in printed and "-" not in printed
    again = parse(read_back(printed))
    at = {s: v for s, v in zip(SYMBOLS, point)}
    original = complex(sp.N(expr.xreplace(at), 20))
    rebuilt = complex(sp.N(again.xreplace({sp.Symbol(s.name, real=True): v for s, v in at.items()}), 20))
    assert rebuilt == pytest.approx(original, rel=1e-9, abs=1e-12), (printed, read_back(printed))


def read_component(printed: str) -> str:
    """An indexed op's component as expression text: softmax(x, y)₂ as softmax(x, y)[2]."""
    return re.sub(r"\)([₀-₉]+)", lambda m: ")[" + "".join(_SUB[c] for c in m.group(1)) + "]", printed)


@settings(max_examples=60, deadline=None)
@given(expressions, st.sampled_from([softmax, cross_entropy]), st.integers(1, 2), st.integers(1, 3), points)
def test_a_component_reads_back_as_itself_raised_and_multiplied(factor, op, index, power, point):
    """softmax(x, y)ᵢ, its power and a product with it: the index read as the component (not an argument)
    and the exponent as the component's power give the value of the expression printed."""
    expr = factor * op(x, y, index) ** power
    printed = text(expr)
    again = parse(read_back(read_component(printed)))
    at = dict(zip(SYMBOLS, point))
    original = complex(sp.N(expr.xreplace(at), 20))
    rebuilt = complex(sp.N(again.xreplace({sp.Symbol(s.name, real=True): v for s, v in at.items()}), 20))
    assert rebuilt == pytest.approx(original, rel=1e-9, abs=1e-12), (printed, read_component(printed))


@settings(max_examples=60, deadline=None)
@given(expressions, st.sampled_from([sp.S.Zero, sp.S.Half, sp.S.One]), points)
def test_a_step_reads_back_with_its_value_at_zero(inner, at_zero, point):
    """H(u) and H(u, c), read back by symdl's parser, are the step printed for every u, 0 included
    (max splits a tie with c = 1/2: printed as H(u) it would read as 0 there)."""
    tie = dict(zip(SYMBOLS, (point[0], point[0], point[2])))  # x = y: max(x, y)'s tie, H(x − y, 1/2) = 1/2
    for u, at in ((inner, dict(zip(SYMBOLS, point))), (inner * (x - y), tie)):
        step = sp.Heaviside(u, at_zero)
        again = parse(read_back(text(step)))
        rebuilt = again.xreplace({sp.Symbol(s.name, real=True): v for s, v in at.items()})
        assert complex(sp.N(rebuilt, 20)) == pytest.approx(complex(sp.N(step.xreplace(at), 20))), text(step)


@pytest.mark.parametrize("source, wrt", [("tanh(x)", "x"), ("sigmoid(w*x + b)", "w"), ("x**x", "x"),
                                         ("sin(x)/(1 + x^2)", "x"), ("log(1 + exp(x))", "x")])
def test_derivation_text_has_no_program_syntax(source, wrt):
    printed = str(derive(source, wrt))
    assert "Derivative(" not in printed and "**" not in printed and "exp((" not in printed
    assert "Heaviside" not in printed and " - " not in printed


def _derivations_people_read() -> list[tuple[str, str]]:
    """Every derivation symdl ships (the gallery's, the bundled examples'), and the textbook's activations
    and softmax family."""
    import tomllib

    from symdl import examples, gallery
    shipped = [(source, "x") for _, source in gallery.SEED_DERIVATIVES]
    for path in examples.problem_files():
        asked = tomllib.loads(path.read_text()).get("derivative")
        shipped += [(asked["expression"], asked["wrt"])] if asked else []
    return shipped + [
        ("softmax(x1, x2, x3)[1]", "x2"), ("exp(x1)/(exp(x1) + exp(x2))", "x1"), ("log_softmax(x1, x2)[2]", "x1"),
        ("cross_entropy(z1, z2, z3)[2]", "z3"), ("logsumexp(x1, x2, x3)", "x1"), ("log(exp(x1) + exp(x2))", "x2"),
        ("-log(exp(z2)/(exp(z1) + exp(z2)))", "z1"), ("softmax(w*x + b, y)[1]", "w"), ("gelu(x)", "x"),
        ("normal_cdf(x)", "x"), ("elu(x)", "x"), ("swish(x)", "x"), ("leaky_relu(x)", "x"), ("relu(w*x + b)", "w"),
        ("max(x, y)", "x"), ("-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))", "z"), ("log(sigmoid(z))", "z"),
        ("softplus(x)", "x"), ("-tanh(3*x)", "x")]


@pytest.mark.parametrize("source, wrt", _derivations_people_read())
def test_no_derivation_shows_program_syntax(source, wrt):
    """No step of any derivation a person reads shows _, delta, **, Heaviside( or Derivative( (a rule's
    letters are sᵢ, δᵢⱼ; a step is H(x) or cases); a program's 1*, √2·x·exp(−x²/2)/(2·√π) for xφ(x)."""
    printed = str(derive(source, wrt))
    for program in ("_", "delta", "**", "Heaviside(", "Derivative(", "*", "√π", "exp(x)"):
        assert program not in printed.replace("logsumexp(x)", ""), (program, printed)


def test_a_rule_formula_is_written_in_a_textbooks_letters():
    printed = str(derive("softmax(x1, x2, x3)[3]", "x1"))
    assert "1. softmax derivative: ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ), with i = 3, j = 1" in printed
    assert "∂L/∂zⱼ = sⱼ − yⱼ" in str(derive("cross_entropy(z1, z2)[1]", "z1"))
    assert "∂/∂xⱼ log(sᵢ) = δᵢⱼ − sⱼ" in str(derive("log_softmax(x1, x2)[1]", "x2"))


def test_gelu_reads_as_the_normal_cdf_and_density():
    assert str(derive("gelu(x)", "x")).splitlines()[0] == "d/dx GELU(x) = x·φ(x) + Φ(x)"


def test_the_backprop_table_writes_minus_signs():
    """The lecture's table (hand derivation: q = 3, f = −12, ∂f/∂q = z = −4): every negative number
    with U+2212, none with a hyphen; the header's rule is not a row of minus signs."""
    import symdl

    table = symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4}).table()
    rows = table.splitlines()
    assert rows[1].replace(" ", "").strip("=") == ""
    assert "-" not in table and "−12" in rows[6] and "∂f/∂q = −4" in rows[6]
    assert rows[-1] == "f = −12;  ∂f/∂x = −4, ∂f/∂y = −4, ∂f/∂z = 3"


def test_a_derivative_operand_of_a_fraction_is_bracketed():
    """d_sigmoid.txt printed −d/dx (1 + e⁻ˣ)/(1 + e⁻ˣ)², which reads as d/dx of the whole fraction,
    and d_softplus.txt d/dx (1 + eˣ)/(1 + eˣ) (d/dx of 1, zero). The derivative is bracketed."""
    x = sp.Symbol("x")
    assert text(-sp.Derivative(1 + sp.exp(-x), x) / (1 + sp.exp(-x)) ** 2) == "−(d/dx (1 + e⁻ˣ))/(1 + e⁻ˣ)²"
    assert text(sp.Derivative(1 + sp.exp(x), x) / (1 + sp.exp(x))) == "(d/dx (1 + eˣ))/(1 + eˣ)"
    assert text(sp.Derivative(sp.tanh(x), x)) == "d/dx tanh(x)"  # alone, no brackets
