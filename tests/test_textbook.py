"""The derivatives a deep-learning course derives, each against its textbook form written here by hand.

Each result must equal the textbook form (checked against SymPy's own derivative of the flat,
exponential form at random points, independently of symdl's rules) and be no longer than it.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symdl.derive import derive
from symdl.functions import gelu, leaky_relu, normal_cdf, relu, sigmoid, softplus
from symdl.parsing import symbol

x, y, z, w, b, a = (symbol(n) for n in ("x", "y", "z", "w", "b", "a"))
s = sigmoid
phi = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)  # the standard normal density, written out

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
    ("leaky ReLU", leaky_relu(x, a), x, a + (1 - a) * sp.Heaviside(x, 0)),
    ("ReLU", relu(x), x, sp.Heaviside(x, 0)),
    ("max", sp.Max(x, y), x, sp.Heaviside(x - y)),
    ("swish", x * s(x), x, s(x) * (1 + x * (1 - s(x)))),
    ("tanh of sigmoid", sp.tanh(s(x)), x, (1 - sp.tanh(s(x))**2) * s(x) * (1 - s(x))),
    ("sigmoid of tanh", s(sp.tanh(x)), x, s(sp.tanh(x)) * (1 - s(sp.tanh(x))) * (1 - sp.tanh(x)**2)),
]


def _flat(expr: sp.Expr) -> sp.Expr:
    """Every activation written out in exponentials, so SymPy differentiates it without symdl's rules."""
    return expr.rewrite(sp.exp)


@pytest.mark.parametrize("name, expr, wrt, textbook", TEXTBOOK, ids=[t[0] for t in TEXTBOOK])
def test_textbook_derivative(name, expr, wrt, textbook):
    result = derive(expr, wrt).result
    truth = sp.diff(_flat(expr), wrt)
    for seed in range(3):
        point = {v: sp.Rational(7 * seed + 3 * i + 2, 11) * (-1) ** (i + seed) for i, v in
                 enumerate(sorted(expr.free_symbols | {wrt}, key=str))}
        if any(v.xreplace(point) == 0 for v in (x - y,) if {x, y} <= set(point)):
            continue  # max's kink
        expected = complex(sp.N(truth.xreplace(point), 30))
        for form in (result, textbook):
            got = complex(sp.N(_flat(form).xreplace(point), 30))
            assert abs(got - expected) <= 1e-20 * max(1.0, abs(expected)), (name, form, point)
    assert sp.count_ops(result) <= sp.count_ops(textbook), f"{name}: {result} is longer than {textbook}"


def test_the_table_is_a_course():
    assert len(TEXTBOOK) >= 30
