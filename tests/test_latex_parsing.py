"""Tests for the LaTeX parser. Every expected value is built directly with SymPy."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from sympy import Abs, E, Integer, Max, Min, Rational, cos, exp, log, pi, sin, sqrt, tanh

from symdl.errors import LimitError, ParseError, SymdlError
from symdl.functions import leaky_relu, relu, sigmoid, softmax, softplus
from symdl.limits import limited
from symdl.parsing import parse, parse_latex
from test_parsing import (BOMBS, INJECTIONS, counting_work, early, latex_expressions, parse_within_limits, raises_at,
                          short_id)

x, y, z, a, b, c, r = (sp.Symbol(name, real=True) for name in "xyzabcr")
w_0, w_1, w_2, x_0, x_1, W_hh, b_1 = (sp.Symbol(name, real=True) for name in
                                       ("w_0", "w_1", "w_2", "x_0", "x_1", "W_hh", "b_1"))
alpha, beta, sigma, lamda, theta_1, Gamma = (sp.Symbol(name, real=True) for name in
                                            ("alpha", "beta", "sigma", "lamda", "theta_1", "Gamma"))


def test_required_examples():
    assert parse_latex(r"\frac{e^x - e^{-x}}{e^x + e^{-x}}") == (exp(x) - exp(-x)) / (exp(x) + exp(-x))
    assert parse_latex(r"\sigma(w_0 x_0 + b)") == sigmoid(w_0 * x_0 + b)
    assert parse_latex(r"\frac{1}{1+e^{-(w_0 x_0 + w_1 x_1 + w_2)}}") == \
        1 / (1 + exp(-(w_0 * x_0 + w_1 * x_1 + w_2)))


VALID = {
    # fractions, roots, powers
    r"\frac{x}{y}": x / y,
    r"\dfrac{1}{2}": Rational(1, 2),
    r"\frac12": Rational(1, 2),
    r"\frac{1}{x^{2}}": x ** -2,
    r"\sqrt{x}": sqrt(x),
    r"\sqrt[3]{x}": x ** Rational(1, 3),
    r"\sqrt{x + 1}^{3}": (x + 1) ** Rational(3, 2),
    r"x^{2}": x**2,
    r"x^2": x**2,
    r"x^23": 3 * x**2,
    r"x^{y^{z}}": x ** (y**z),
    r"{x^{y}}^{z}": (x**y) ** z,
    r"2^{-x}": Integer(2) ** (-x),
    r"-x^2": -(x**2),
    r"x^\pi": x**pi,
    # subscripts make names
    r"w_0": w_0,
    r"w_{0}": w_0,
    r"x_{1}": x_1,
    r"W_{hh}": W_hh,
    r"b_1^2": b_1**2,
    r"\theta_1": theta_1,
    # products by juxtaposition and explicit operators
    r"w_0 x_0": w_0 * x_0,
    r"2x": 2 * x,
    r"xy": x * y,
    r"2\cdot x": 2 * x,
    r"2 \times x": 2 * x,
    r"x / y": x / y,
    r"x \div y": x / y,
    r"2 \cdot -x": -2 * x,
    r"0.5x": x / 2,
    r"a - b c": a - b * c,
    # grouping
    r"\left( x + y \right) z": (x + y) * z,
    r"(x + y) z": (x + y) * z,
    r"\left[ x + 1 \right]^2": (x + 1) ** 2,
    r"[x + 1] y": (x + 1) * y,
    r"{x + y}^{2}": (x + y) ** 2,
    # absolute values
    r"|x|": Abs(x),
    r"2|x||y|": 2 * Abs(x) * Abs(y),
    r"||x| - 1|": Abs(Abs(x) - 1),
    r"\left|{x}\right|": Abs(x),
    r"\left| x - y \right|^{2}": Abs(x - y) ** 2,
    # exponentials and functions
    r"e^{x}": exp(x),
    r"e^x": exp(x),
    r"\mathrm{e}^{x + 1}": exp(x + 1),
    r"\exp(x)": exp(x),
    r"\exp{x}": exp(x),
    r"\exp\left(-x\right)": exp(-x),
    r"\log(x)": log(x),
    r"\ln x": log(x),
    r"\log{\left(x \right)}^{3}": log(x) ** 3,
    r"\tanh x": tanh(x),
    r"\tanh x^2": tanh(x**2),
    r"\tanh^{2}{\left(x \right)}": tanh(x) ** 2,
    r"\sin 2x": sin(2) * x,
    r"\sin{\left(x \right)}": sin(x),
    r"\cos(x)": cos(x),
    r"\max(a, b)": Max(a, b),
    r"\max\left(1, x\right)": Max(1, x),
    r"\min(a, b, x)": Min(a, b, x),
    # activations, as symdl.functions print them and a few other spellings
    r"\sigma\left(x\right)": sigmoid(x),
    r"\sigma(x)^{2}": sigmoid(x) ** 2,
    r"\sigma{x}": sigmoid(x),
    r"\sigma": sigma,
    r"\sigma^2": sigma**2,
    r"\sigma x": sigma * x,
    r"\operatorname{ReLU}\left(x\right)": relu(x),
    r"\operatorname{relu}(x)": relu(x),
    r"\mathrm{ReLU}(x)": relu(x),
    r"\operatorname{softplus}\left(x\right)": softplus(x),
    r"\operatorname{sigmoid}(x)": sigmoid(x),
    r"\operatorname{LeakyReLU}\left(x, \frac{1}{100}\right)": leaky_relu(x, Rational(1, 100)),
    r"\operatorname{LeakyReLU}(x)": leaky_relu(x, Rational(1, 100)),
    # Greek letters, constants and spacing
    r"\alpha \beta": alpha * beta,
    r"\lambda": lamda,
    r"\Gamma": Gamma,
    r"\pi r^2": pi * r**2,
    r"e": E,
    r"\mathrm{e}": E,
    r"x\,y\;z\!a\quad b \qquad 2\ 3": 6 * x * y * z * a * b,
}


@pytest.mark.parametrize("text", list(VALID))
def test_valid_latex(text):
    assert parse_latex(text) == VALID[text]


def test_greek_letters_are_real_symbols():
    assert parse_latex(r"\alpha + \eta + \epsilon").free_symbols == {
        sp.Symbol(n, real=True) for n in ("alpha", "eta", "epsilon")}


@pytest.mark.parametrize("command", [r"\input", r"\write", r"\def", r"\catcode", r"\include",
                                     r"\immediate", r"\newcommand", r"\usepackage", r"\openout"])
def test_other_commands_are_refused(command):
    raises_at(ParseError, rf"x + {command}{{a}}", f"'{command}'", 4, parser=parse_latex,
              message="unsupported LaTeX command")


def test_text_names_only_a_function():
    raises_at(ParseError, r"x + \text{a}", r"'\text'", 4, parser=parse_latex, message="unknown function 'a'")


# --- a vector function's component: softmax(x_1, x_2)[1], as the text parser reads it --------------------
@pytest.mark.parametrize("latex, text", [
    (r"\mathrm{softmax}(x_1, x_2)[1]", "softmax(x_1, x_2)[1]"),
    (r"\operatorname{softmax}(x_1, x_2)[1]", "softmax(x_1, x_2)[1]"),
    (r"\text{softmax}(x_1, x_2, x_0)[3]", "softmax(x_1, x_2, x_0)[3]"),
    (r"\operatorname{softmax}\left(x_1, 2 x_2\right)[2]", "softmax(x_1, 2*x_2)[2]"),
    (r"\operatorname{softmax}(x_1, x_2)_{2}", "softmax(x_1, x_2)[2]"),  # as symdl's LaTeX printer writes it
    (r"\operatorname{softmax}(x_1, x_2)_1 x", "softmax(x_1, x_2)[1]*x"),  # TeX's subscript: one digit
    (r"1 - \operatorname{softmax}(x_1, x_2)[1]", "1 - softmax(x_1, x_2)[1]"),
    (r"\mathrm{softmax}(x_1, x_2)[1]^2", "softmax(x_1, x_2)[1]**2"),
])
def test_a_component_is_read_as_the_text_parser_reads_it(latex, text):
    assert parse_latex(latex) == parse(text)


def test_the_component_is_softmaxs_index():
    assert parse_latex(r"\operatorname{softmax}(x_1, w_1)[2]") == softmax(x_1, w_1, 2)
    assert parse_latex(r"\log \operatorname{softmax}(x_1, w_1)_{1}") == log(softmax(x_1, w_1, 1))


def test_write18_names_the_command():
    raises_at(ParseError, r"\write18{rm -rf /}", r"'\write'", 0, parser=parse_latex)


@pytest.mark.parametrize("text, token, position, message", [
    (r"x @ y", "'@'", 2, "unexpected character"),
    (r"$x$", "'$'", 0, "unexpected character"),
    (r"x & y", "'&'", 2, "unexpected character"),
    (r"x % comment", "'%'", 2, "unexpected character"),
    ("x\x00", r"'\x00'", 1, "unexpected character"),
    ("\u03b1", r"'\u03b1'", 0, "unexpected character"),
    ("\\", "'\\'", 0, "unexpected character"),
    (r"\tan x", "'tan'", 0, "unknown function"),
    (r"\operatorname{foo}(x)", "'foo'", 0, "known functions"),
    (r"\exp(x, y)", "exp", 0, "takes 1 argument"),
    (r"\max(x)", "max", 0, "at least 2 arguments"),
    (r"{x", "'{'", 0, "never closed"),
    (r"x}", "'}'", 1, "nothing to close"),
    (r"\left( x", "'('", 5, "never closed"),
    (r"\left( x \right]", "']'", 15, "expected"),
    (r"\frac{1}", "end of input", 8, "braced group"),
    (r"x^", "end of input", 2, "braced group"),
    (r"x^2^3", "double superscript", 3, ""),
    (r"x^-1", "'-'", 2, "braced group"),
    (r"|x", "'|'", 0, "never closed"),
    (r"x_{i,j}", "','", 4, "expected"),
    (r"x_", "subscript", 1, ""),
    (r"\sin^{-1} x", r"'\sin^{-1}'", 0, "inverse"),
    (r"x + ", "end of input", 4, ""),
    (r"\left\{ x \right\}", "'\\'", 5, "unexpected character"),
    (r"\mathrm{lambda}", "'lambda'", 8, "keyword"),
    (r"x = 1", "'='", 2, "unexpected character"),
    (r"\operatorname{softmax}(x_1, x_2)[3]", "[3]", 33, "must be one of 1, …, 2"),  # a vector function's component
    (r"\operatorname{softmax}(x_1, x_2)[0]", "[0]", 33, "must be one of 1, …, 2"),
    (r"\operatorname{softmax}(x_1, x_2)_{5}", "[5]", 34, "must be one of 1, …, 2"),
    (r"\operatorname{softmax}(x_1, x_2)", "pick a component", 0, "softmax(x1, x2)[1]"),
    (r"\operatorname{softmax}(x_1, x_2)[x]", "'x'", 33, "expected a component number"),
    (r"\operatorname{softmax}(x_1, x_2)[1", "'['", 32, "never closed"),
])
def test_latex_errors(text, token, position, message):
    raises_at(ParseError, text, token, position, parser=parse_latex, message=message)


@pytest.mark.parametrize("text", ["", "  ", r"\,\quad"])
def test_empty_latex(text):
    raises_at(ParseError, text, "empty", 0, parser=parse_latex)


@pytest.mark.parametrize("text, limit", [
    ("x" + "_{" + "h" * 70 + "}", "max_name_length"),
    ("\\" + "a" * 70, "max_name_length"),
    ("1" * 101, "max_number_length"),
    ("x^{100000}", "max_exponent"),
    ("9^{9^{9^{9}}}", "max_exponent"),
    ("e^{e^{e^{e^{3}}}}", "max_literal_digits"),
    ("{" * 201 + "x" + "}" * 201, "max_depth"),
    (r"\sqrt{" * 201 + "x" + "}" * 201, "max_depth"),
    (r"\frac{1}{" * 201 + "x" + "}" * 201, "max_depth"),
    ("|" * 201 + "x" + "|" * 201, "max_depth"),
    ("-" * 201 + "x", "max_depth"),
    (r"\tanh " * 201 + "x", "max_depth"),
], ids=short_id)
def test_latex_limits(text, limit):
    with pytest.raises(LimitError, match=limit):
        parse_latex(text)


def test_just_inside_the_depth_limit():
    assert parse_latex("{" * 200 + "x" + "}" * 200) == x


LATEX_BOMBS = dict(BOMBS, **{"latex tower": "9^{9^{9^{9}}}", "deep braces": "{" * 5000 + "x" + "}" * 5000,
                             "long command": "\\" + "a" * 200_000})


@pytest.mark.parametrize("name", list(LATEX_BOMBS))
def test_bombs_are_refused_before_the_rest_is_read(name):
    with counting_work() as work, pytest.raises(SymdlError):
        parse_latex(LATEX_BOMBS[name])  # '**' is not LaTeX, so the text tower is a plain ParseError
    assert work["reads"] <= early()


@pytest.mark.parametrize("name", ["latex tower", "deep parentheses", "deep braces", "long name",
                                  "long command", "million characters"])
def test_bombs_raise_limit_errors(name):
    with counting_work() as work, pytest.raises(LimitError):
        parse_latex(LATEX_BOMBS[name])
    assert work["reads"] <= early()


def test_long_names_are_refused_by_their_own_limit():
    with limited(max_text_length=10**6):
        with pytest.raises(LimitError, match="max_name_length"):
            parse_latex("\\" + "a" * 200_000)
        with pytest.raises(LimitError, match="max_name_length"):
            parse_latex(r"\mathrm{" + "a" * 200_000 + "}")


@pytest.mark.parametrize("text", INJECTIONS + [r"\input{/etc/passwd}", r"\immediate\write18{touch pwned}",
                                               r"\def\x{1}", r"\catcode`\@=11", r"\include{x}"])
def test_injection_is_refused(text):
    with pytest.raises(ParseError):
        parse_latex(text)


# --- properties ---------------------------------------------------------------------------------------------
POINTS = [{x: Rational(3, 10), y: Rational(-6, 5), z: Rational(21, 10)},
          {x: Rational(-7, 10), y: Rational(2, 5), z: Rational(3, 2)},
          {x: Rational(11, 10), y: Rational(2), z: Rational(-3, 5)}]


def _value(expr, point):
    """The value at a point, or None where it is undefined or SymPy cannot compare (Max of complex)."""
    try:
        value = complex(expr.subs(point).evalf(30))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return value if value == value and abs(value) < 1e300 else None


@given(latex_expressions)
def test_latex_of_an_expression_parses_to_an_equal_value(expr):
    try:
        parsed = parse_within_limits(parse_latex, sp.latex(expr))
    except ParseError as error:  # a constant part that is not real (sqrt(sin(4))) is refused, rightly
        assert any(part.is_number and part.is_real is False for part in sp.preorder_traversal(expr)), error
        assert "not a real number" in str(error)
        return
    for point in POINTS:
        expected, got = _value(expr, point), _value(parsed, point)
        if expected is not None and got is not None:
            assert abs(got - expected) <= 1e-9 * (1 + abs(expected))


LATEX_TOKENS = ["x", "y", "2", "0.5", "{", "}", "(", ")", "[", "]", "|", "^", "_", "+", "-", r"\cdot ", r"\frac",
                r"\sqrt", r"\left(", r"\right)", r"\left|", r"\right|", r"\sigma", r"\exp", r"\max", ",", " ",
                r"\operatorname{ReLU}", r"\mathrm{e}", "e", r"\pi", r"\alpha", r"\input", "9", "\\", "$",
                r"\operatorname{softmax}", r"\text{softmax}"]


def _refuses_cleanly(text):
    """An expression or a SymdlError, each character's token read at most once: linear work."""
    with counting_work() as work:
        try:
            assert isinstance(parse_latex(text), sp.Expr)
        except SymdlError:
            pass
    assert work["reads"] <= len(text) + 1, dict(work)


@given(st.text(max_size=300))
def test_arbitrary_text_gives_an_expression_or_a_symdl_error(text):
    _refuses_cleanly(text)


@given(st.lists(st.sampled_from(LATEX_TOKENS), max_size=40).map("".join))
def test_token_soup_gives_an_expression_or_a_symdl_error(text):
    _refuses_cleanly(text)
