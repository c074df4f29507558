"""The derivatives a deep-learning course derives, each against its textbook form written here by hand.

Each result must equal the textbook form (checked against SymPy's own derivative of the flat,
exponential form at random points, independently of symdl's rules) and be no longer than it.
The softmax family's rows write sᵢ = softmax(x₁, x₂, x₃)ᵢ as a course does; their flat form is
e^{xᵢ}/Σₖ e^{xₖ}, which SymPy differentiates itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symdl
from symdl.derive import derive
from symdl.functions import (cross_entropy, elu, gelu, leaky_relu, log_softmax, logsumexp, normal_cdf, normal_pdf,
                             relu, sigmoid, softmax, softplus, swish)
from symdl.parsing import parse, symbol

x, y, z, w, b, a = (symbol(n) for n in ("x", "y", "z", "w", "b", "a"))
x1, x2, x3, z1, z2, z3 = (symbol(n) for n in ("x1", "x2", "x3", "z1", "z2", "z3"))
s = sigmoid
phi = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)  # the standard normal density, written out
E1, E2, E3 = sp.exp(x1), sp.exp(x2), sp.exp(x3)
TOTAL = E1 + E2 + E3  # the softmax's denominator, written out


def cases(positive: sp.Expr, otherwise: sp.Expr, u: sp.Expr = x) -> sp.Expr:
    """A textbook's {positive if u > 0; otherwise otherwise}."""
    return sp.Piecewise((positive, u > 0), (otherwise, True))


def S(i: int, *logits: sp.Expr) -> sp.Expr:
    """sᵢ, the softmax of (x1, x2, x3) unless other logits are given."""
    return softmax(*(logits or (x1, x2, x3)), i)


def _written_log_softmax(i: int, logits) -> sp.Expr:
    return sp.log(sp.exp(logits[i - 1]) / sp.Add(*(sp.exp(v) for v in logits)))

TEXTBOOK = [
    ("tanh", sp.tanh(x), x, 1 - sp.tanh(x)**2),
    ("sigmoid", s(x), x, s(x) * (1 - s(x))),
    ("softplus", softplus(x), x, s(x)),
    ("exp", sp.exp(x), x, sp.exp(x)),
    ("log", sp.log(x), x, 1 / x),
    ("sin", sp.sin(x), x, sp.cos(x)),
    ("cos", sp.cos(x), x, -sp.sin(x)),
    ("power", x**5, x, 5 * x**4),
    ("sqrt", sp.sqrt(x), x, 1 / (2 * sp.sqrt(x))),
    ("reciprocal", 1 / x, x, -1 / x**2),
    ("tanh chain", sp.tanh(3 * x), x, 3 * (1 - sp.tanh(3 * x)**2)),
    ("negative tanh chain", -3 * sp.tanh(3 * x), x, sp.Mul(-9, 1 - sp.tanh(3 * x)**2, evaluate=False)),
    ("neuron weight", s(w * x + b), w, x * s(w * x + b) * (1 - s(w * x + b))),
    ("neuron bias", s(w * x + b), b, s(w * x + b) * (1 - s(w * x + b))),
    ("BCE of sigmoid", -(y * sp.log(s(z)) + (1 - y) * sp.log(1 - s(z))), z, s(z) - y),
    ("log sigmoid", sp.log(s(x)), x, 1 - s(x)),
    ("log one minus sigmoid", sp.log(1 - s(x)), x, -s(x)),
    ("negative log sigmoid", -sp.log(s(z)), z, s(z) - 1),
    ("half squared error", (y - a)**2 / 2, a, a - y),
    ("squared error of sigmoid", (s(z) - y)**2 / 2, z, (s(z) - y) * s(z) * (1 - s(z))),
    ("tanh squared", sp.tanh(x)**2, x, 2 * sp.tanh(x) * (1 - sp.tanh(x)**2)),
    ("gaussian", sp.exp(-x**2 / 2), x, -x * sp.exp(-x**2 / 2)),
    ("x log x", x * sp.log(x), x, sp.log(x) + 1),
    ("softplus of minus x", softplus(-x), x, -s(-x)),
    ("GELU", gelu(x), x, normal_cdf(x) + x * phi),
    ("normal CDF", normal_cdf(x), x, phi),
    ("leaky ReLU", leaky_relu(x, a), x, cases(1, a)),
    ("ReLU", relu(x), x, cases(1, 0)),
    ("leaky ReLU, PyTorch's slope", leaky_relu(x), x, cases(1, sp.Rational(1, 100))),
    ("ReLU of a neuron", relu(w * x + b), w, cases(x, 0, w * x + b)),
    ("ELU", elu(x), x, cases(1, sp.exp(x))),
    ("ELU, alpha 1/2", elu(x, sp.Rational(1, 2)), x, cases(1, sp.exp(x) / 2)),
    ("normal density", normal_pdf(x), x, -x * phi),
    ("SiLU", swish(x), x, s(x) * (1 + x * (1 - s(x)))),
    ("SiLU written out", x / (1 + sp.exp(-x)), x, s(x) + x * s(x) * (1 - s(x))),
    ("minus tanh chain", -sp.tanh(3 * x), x, sp.Mul(-3, 1 - sp.tanh(3 * x)**2, evaluate=False)),
    ("sigmoid chain", s(2 * x), x, 2 * s(2 * x) * (1 - s(2 * x))),
    ("log sigmoid of a neuron", sp.log(s(w * x + b)), w, x * (1 - s(w * x + b))),
    ("max", sp.Max(x, y), x, sp.Heaviside(x - y)),
    ("swish", x * s(x), x, s(x) * (1 + x * (1 - s(x)))),
    ("tanh of sigmoid", sp.tanh(s(x)), x, (1 - sp.tanh(s(x))**2) * s(x) * (1 - s(x))),
    ("sigmoid of tanh", s(sp.tanh(x)), x, s(sp.tanh(x)) * (1 - s(sp.tanh(x))) * (1 - sp.tanh(x)**2)),
    # the softmax family: written out, and as functions
    ("softmax written out, own logit", E1 / TOTAL, x1, S(1) * (1 - S(1))),
    ("softmax written out, other logit", E1 / TOTAL, x2, -S(1) * S(2)),
    ("softmax written out, third logit", E1 / TOTAL, x3, -S(1) * S(3)),
    ("softmax of two", sp.exp(x1) / (sp.exp(x1) + sp.exp(x2)), x2, -S(1, x1, x2) * S(2, x1, x2)),
    ("softmax", softmax(x1, x2, x3, 2), x2, S(2) * (1 - S(2))),
    ("softmax, other logit", softmax(x1, x2, x3, 2), x3, -S(2) * S(3)),
    ("softmax of a neuron's logit", softmax(w * x + b, y, 1), w,
     x * S(1, w * x + b, y) * (1 - S(1, w * x + b, y))),
    ("log-softmax", log_softmax(x1, x2, x3, 1), x1, 1 - S(1)),
    ("log-softmax, other logit", log_softmax(x1, x2, x3, 1), x2, -S(2)),
    ("log-softmax written out", x1 - sp.log(TOTAL), x3, -S(3)),
    ("logsumexp", logsumexp(x1, x2, x3), x2, S(2)),
    ("logsumexp written out", sp.log(TOTAL), x1, S(1)),
    ("cross-entropy of softmax, target", cross_entropy(z1, z2, z3, 2), z2, S(2, z1, z2, z3) - 1),
    ("cross-entropy of softmax, other class", cross_entropy(z1, z2, z3, 2), z3, S(3, z1, z2, z3)),
    ("cross-entropy written out", -_written_log_softmax(2, (z1, z2, z3)), z2, S(2, z1, z2, z3) - 1),
    ("cross-entropy, probability target",
     -sum(p * _written_log_softmax(i, (z1, z2, z3)) for i, p in enumerate(map(sp.Rational, ("1/5", "3/10", "1/2")), 1)),
     z1, S(1, z1, z2, z3) - sp.Rational(1, 5)),
]


def _flat(expr: sp.Expr) -> sp.Expr:
    """Every activation written out in exponentials, so SymPy differentiates it without symdl's rules."""
    return expr.rewrite(sp.exp)


def _read(derivation) -> sp.Expr:
    """The derivative as the printers write it (cases for a step; softmax outputs by name, put back in full)."""
    shown = derivation.as_written()
    back = {name: full for abbreviation in shown.abbreviations for full, name in abbreviation.names}
    return shown.result.xreplace(back)


@pytest.mark.parametrize("name, expr, wrt, textbook", TEXTBOOK, ids=[t[0] for t in TEXTBOOK])
def test_textbook_derivative(name, expr, wrt, textbook):
    derivation = derive(expr, wrt)
    result, written = derivation.result, _read(derivation)
    truth = sp.diff(_flat(expr), wrt)
    for seed in range(3):
        point = {v: sp.Rational(7 * seed + 3 * i + 2, 11) * (-1) ** (i + seed) for i, v in
                 enumerate(sorted(expr.free_symbols | {wrt}, key=str))}
        if any(v.xreplace(point) == 0 for v in (x - y,) if {x, y} <= set(point)):
            continue  # max's kink
        expected = complex(sp.N(truth.xreplace(point), 30))
        for form in (result, written, textbook):
            got = complex(sp.N(_flat(form).xreplace(point), 30))
            assert abs(got - expected) <= 1e-20 * max(1.0, abs(expected)), (name, form, point)
    assert sp.count_ops(written) <= sp.count_ops(textbook), f"{name}: {written} is longer than {textbook}"


def test_the_table_is_a_course():
    assert len(TEXTBOOK) >= 30


# --- the worked steps name their rules -----------------------------------------------------------
STEPS = [  # expression text, variable, rules the tree must name in this order, what the rule's letters stand for
    ("exp(x1)/(exp(x1) + exp(x2) + exp(x3))", "x1", ["recognise", "softmax derivative"], {"i": 1, "j": 1}),
    ("exp(x1)/(exp(x1) + exp(x2) + exp(x3))", "x2", ["recognise", "softmax derivative"], {"i": 1, "j": 2}),
    ("softmax(x1, x2, x3)[3]", "x1", ["softmax derivative"], {"i": 3, "j": 1}),
    ("-log(exp(z2)/(exp(z1) + exp(z2) + exp(z3)))", "z3", ["recognise", "cross-entropy of softmax"], {"k": 2, "j": 3}),
    ("cross_entropy(z1, z2)[1]", "z1", ["cross-entropy of softmax"], {"k": 1, "j": 1}),
    ("log_softmax(x1, x2)[2]", "x1", ["log-softmax derivative"], {"i": 2, "j": 1}),
    ("log(exp(x1) + exp(x2) + exp(x3))", "x3", ["recognise", "logsumexp derivative"], {"j": 3}),
    ("softmax(x1^2, x2)[1]", "x1", ["chain rule", "softmax derivative", "power rule"], {}),
]


@pytest.mark.parametrize("text, wrt, rules, letters", STEPS, ids=[f"{t[0]} d{t[1]}" for t in STEPS])
def test_the_rule_tree_names_the_rule(text, wrt, rules, letters):
    steps = derive(text, wrt).steps
    assert [step.rule for step in steps] == rules
    (named,) = [step for step in steps if step.rule == rules[1 if rules[0] in ("recognise", "chain rule") else 0]]
    general = named.formula or (named.lhs, named.rhs)  # a chain rule's sub-step is the rule in general
    assert isinstance(general[0], sp.Derivative) and general[0].variables[0].name in ("x_j", "z_j")
    assert {k.name: int(v) for k, v in named.parts} == letters


def test_the_recognise_step_defines_s_i():
    """As a course does before using sᵢ: softmax(x1, x2, x3)[1] = e^{x1}/(e^{x1} + e^{x2} + e^{x3})."""
    first = derive("exp(x1)/(exp(x1) + exp(x2) + exp(x3))", "x2").steps[0]
    assert first.parts == ((S(1), E1 / TOTAL),)
    assert "s_i" in str(derive("softmax(x1, x2)[1]", "x1").steps[0].formula[0])


@st.composite
def logits(draw):
    """2 to 5 distinct logits over x and y: sums, products with small integers, squares, sines."""
    atoms = st.sampled_from([x, y, x * y, x**2, sp.sin(x), 2 * x - y, x + 3, -y])
    scaled = st.tuples(st.integers(1, 3), atoms).map(lambda t: t[0] * t[1])
    return draw(st.lists(scaled, min_size=2, max_size=5, unique=True))


@settings(max_examples=25, deadline=None)
@given(logits(), st.data())
def test_written_out_softmax_derives_to_sympy_diff_for_any_logits(args, data):
    """exp(aᵢ)/Σₖ exp(aₖ) for any number of terms and any argument expressions is recognised as a
    softmax, and its derivative equals SymPy's derivative of the flat form."""
    i = data.draw(st.integers(1, len(args)))
    flat = sp.exp(args[i - 1]) / sp.Add(*(sp.exp(v) for v in args))
    result = derive(flat, x).result
    assert result.has(softmax) or not flat.has(x)
    truth = sp.diff(flat, x)
    for point in ({x: sp.Rational(3, 7), y: sp.Rational(-5, 4)}, {x: sp.Rational(-6, 5), y: sp.Rational(2, 3)}):
        want = sp.N(truth.xreplace(point), 30)
        got = sp.N(result.rewrite(sp.exp).xreplace(point), 30)
        assert abs(got - want) <= sp.Float("1e-25") * max(1, abs(want))


# --- parsing: softmax(x1, x2, x3)[1], through symdl's own parser -----------------------------------
@pytest.mark.parametrize("text, expected", [
    ("softmax(x1, x2, x3)[1]", softmax(x1, x2, x3, 1)),
    ("log_softmax(x1, 2*x2)[2]", log_softmax(x1, 2 * x2, 2)),
    ("cross_entropy(z1, z2, z3)[3]", cross_entropy(z1, z2, z3, 3)),
    ("logsumexp(x1, x2, x3)", logsumexp(x1, x2, x3)),
    ("2*softmax(x1, x2)[2] + 1", 2 * softmax(x1, x2, 2) + 1),
])
def test_vector_functions_parse_and_print_back(text, expected):
    assert parse(text) == expected
    assert parse(str(expected)) == expected  # str() writes what the parser reads


@pytest.mark.parametrize("text, says", [
    ("softmax(x1, x2)", "pick a component"),
    ("softmax(x1, x2)[3]", "must be one of 1, …, 2"),
    ("softmax(x1, x2)[0]", "must be one of 1, …, 2"),
    ("softmax(x1, x2)[x]", "expected a component number"),
    ("softmax(x1, x2)[1.5]", "expected a component number"),
    ("softmax(x1, x2)[1", "never closed"),
    ("sigmoid(x)[1]", "takes no [i]"),
    ("x[1]", "brackets only pick"),
    ("softmax(x1)[1]", "at least 2 arguments"),
])
def test_bad_components_are_refused_on_the_command_line(text, says):
    done = subprocess.run([sys.executable, "-m", "symdl", "derive", text, "--wrt", "x1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_derive_on_the_command_line_gives_s1_times_one_minus_s1():
    def derivative(wrt):
        done = subprocess.run([sys.executable, "-m", "symdl", "derive", "exp(x1)/(exp(x1) + exp(x2) + exp(x3))",
                               "--wrt", wrt, "--json"], capture_output=True, text=True, timeout=120, check=True)
        return parse(json.loads(done.stdout)["derivative"])
    assert sp.expand(derivative("x1") - S(1) * (1 - S(1))) == 0
    assert sp.expand(derivative("x2") + S(1) * S(2)) == 0


# --- kernels, backprop and gradcheck on the softmax family, far out where e^x overflows --------------
mpmath.mp.dps = 50
EXTREMES = [  # kernel text, the same function written out (flat, for mpmath), point
    ("softmax(a, b, c)[1]", lambda a, b, c: sp.exp(a) / (sp.exp(a) + sp.exp(b) + sp.exp(c)),
     dict(a=1000.0, b=990.0, c=1001.0)),
    ("log(softmax(a, b, c)[2])", lambda a, b, c: sp.log(sp.exp(b) / (sp.exp(a) + sp.exp(b) + sp.exp(c))),
     dict(a=-1000.0, b=-1200.0, c=-1000.5)),
    ("log_softmax(a, b)[2]", lambda a, b: b - sp.log(sp.exp(a) + sp.exp(b)), dict(a=800.0, b=-800.0)),
    ("logsumexp(a, b, c)", lambda a, b, c: sp.log(sp.exp(a) + sp.exp(b) + sp.exp(c)), dict(a=1000.0, b=999.0, c=-5.0)),
    ("cross_entropy(a, b, c)[3]", lambda a, b, c: sp.log(sp.exp(a) + sp.exp(b) + sp.exp(c)) - c,
     dict(a=1000.0, b=-1000.0, c=0.0)),
]


@pytest.mark.parametrize("text, flat, point", EXTREMES, ids=[e[0] for e in EXTREMES])
def test_kernels_are_finite_and_exact_far_out(text, flat, point):
    value, grads = symdl.kernel(text)(**point)
    symbols = sp.symbols(list(point))
    formula = flat(*symbols)
    at = {v: sp.Float(point[v.name], 50) for v in symbols}
    for got, want in [(value, formula)] + [(grads[v.name], sp.diff(formula, v)) for v in symbols]:
        expected = mpmath.mpf(want.evalf(50, subs=at))
        assert np.isfinite(float(got))
        assert abs(mpmath.mpf(float(got)) - expected) <= 1e-12 * abs(expected) + 1e-300


def test_backprop_and_gradcheck_agree_with_the_textbook_gradient():
    """∂CE/∂z = s − y at a point, by backprop, against NumPy's softmax written here."""
    point = {"z1": 0.5, "z2": -1.0, "z3": 2.0}
    logits_ = np.array(list(point.values()))
    softmax_ = np.exp(logits_) / np.exp(logits_).sum()
    result = symdl.backprop("cross_entropy(z1, z2, z3)[1]", point)
    grads = [float(result.gradients[n]) for n in point]
    assert np.allclose(grads, softmax_ - np.array([1.0, 0.0, 0.0]), rtol=1e-12)
    assert symdl.gradcheck("softmax(z1, z2, z3)[2]*log_softmax(z1, z3)[1] + logsumexp(z2, z3)", points=3).ok
