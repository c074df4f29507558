"""Each stable rewrite of the kernels, checked at extreme points against mpmath at 60 digits.

The reference is the flat formula as written (``exp(a)/(exp(a) + exp(b))``), evaluated and
differentiated by mpmath, independent of the rewrite; the kernel must match values and gradients
to 1e-12 relative where the float64 answer is normal.
"""

import mpmath
import pytest
import sympy as sp

import symdl
from symdl.rewrite import STABLE_STEPS

mpmath.mp.dps = 60
E, LOG, SQRT = sp.exp, sp.log, sp.sqrt  # the formulas are built as SymPy trees

CASES = [  # rule, kernel expression, mpmath formula, point
    ("logsumexp", "log(exp(a) + exp(b))", lambda a, b: LOG(E(a) + E(b)), dict(a=1000.0, b=999.0)),
    ("logsumexp", "log(exp(a) + exp(b))", lambda a, b: LOG(E(a) + E(b)), dict(a=-1000.0, b=-1200.0)),
    ("logsumexp", "log(exp(a) + exp(b) + exp(c))", lambda a, b, c: LOG(E(a) + E(b) + E(c)),
     dict(a=1000.0, b=990.0, c=1001.0)),
    ("logsumexp", "log(2*exp(a) + exp(b))", lambda a, b: LOG(2 * E(a) + E(b)), dict(a=800.0, b=801.0)),
    ("softmax", "exp(a)/(exp(a) + exp(b))", lambda a, b: E(a) / (E(a) + E(b)), dict(a=1000.0, b=990.0)),
    ("softmax", "exp(a)/(exp(a) + exp(b))", lambda a, b: E(a) / (E(a) + E(b)), dict(a=-1000.0, b=-1010.0)),
    ("softmax", "exp(a)/(exp(a) + exp(b) + exp(c))", lambda a, b, c: E(a) / (E(a) + E(b) + E(c)),
     dict(a=1000.0, b=990.0, c=1001.0)),
    ("expm1", "exp(x) - 1", lambda x: E(x) - 1, dict(x=1e-12)),
    ("expm1", "(exp(x) - 1)*y", lambda x, y: (E(x) - 1) * y, dict(x=-3e-15, y=2.0)),
    ("log1p", "log(1 + x)", lambda x: LOG(1 + x), dict(x=1e-20)),
    ("log1p", "log(1 + x*y)", lambda x, y: LOG(1 + x * y), dict(x=-1e-10, y=3.0)),
    ("hypot", "sqrt(x^2 + 1)", lambda x: SQRT(x**2 + 1), dict(x=1e200)),
    ("hypot", "sqrt(x^2 + 1)", lambda x: SQRT(x**2 + 1), dict(x=-1e-200)),
    ("hypot", "sqrt(x^2 + y^2)", lambda x, y: SQRT(x**2 + y**2), dict(x=1e200, y=-3e200)),
    ("hypot", "sqrt(x^2 + 4)", lambda x: SQRT(x**2 + 4), dict(x=1e300)),
    ("root-difference", "x - sqrt(x^2 - 1)", lambda x: x - SQRT(x**2 - 1), dict(x=1e8)),
    ("root-difference", "x - sqrt(x^2 - 1)", lambda x: x - SQRT(x**2 - 1), dict(x=-1e150)),
    ("root-difference", "2*x*y - 2*sqrt((x*y)^2 - 3)", lambda x, y: 2 * x * y - 2 * SQRT((x * y)**2 - 3),
     dict(x=3e10, y=-2e9)),
    ("root-difference", "x - sqrt(x^2 - 9) + y", lambda x, y: x - SQRT(x**2 - 9) + y, dict(x=4e12, y=1e-3)),
    ("one-minus-cos", "1 - cos(x)", lambda x: 1 - sp.cos(x), dict(x=1e-9)),
    ("one-minus-cos", "3 - 3*cos(x*y)", lambda x, y: 3 - 3 * sp.cos(x * y), dict(x=-2e-12, y=5e-8)),
    ("one-minus-cos", "1 - cos(x)", lambda x: 1 - sp.cos(x), dict(x=2.5)),
]


GATES = {"logsumexp": "logaddexp(", "softmax": "sigmoid(", "expm1": "expm1(", "log1p": "log1p(", "hypot": "hypot(",
         "root-difference": "abs(", "one-minus-cos": "numpy.sin("}


def _reference(formula, point):
    """Value and gradients of the flat formula: SymPy differentiates it, mpmath evaluates at 60 digits."""
    names = list(point)
    symbols = sp.symbols(names)
    flat = formula(*symbols)
    at = {s: sp.Float(point[n], 60) for s, n in zip(symbols, names)}
    value = mpmath.mpf(flat.evalf(60, subs=at))
    return value, {n: mpmath.mpf(sp.diff(flat, s).evalf(60, subs=at)) for s, n in zip(symbols, names)}


def _close(got, want):
    assert abs(mpmath.mpf(float(got)) - want) <= 1e-12 * abs(want) + 1e-300, (float(got), mpmath.nstr(want, 17))


@pytest.mark.parametrize("rule, text, formula, point", CASES, ids=[f"{c[0]}:{c[1]}@{c[3]}" for c in CASES])
def test_kernel_matches_mpmath_at_extremes(rule, text, formula, point):
    assert rule in {r.name for r in STABLE_STEPS}
    value, grads = symdl.kernel(text)(**point)
    want_value, want_grads = _reference(formula, point)
    _close(value, want_value)
    for name in point:
        _close(grads[name], want_grads[name])


@pytest.mark.parametrize("rule, text, formula, point", CASES[::3], ids=[c[1] for c in CASES[::3]])
def test_rule_fires_and_kernel_source_runs(rule, text, formula, point):
    kernel = symdl.kernel(text)
    assert GATES[rule] in kernel.source
    namespace: dict = {}
    exec(compile(kernel.source, "<kernel>", "exec"), namespace)  # noqa: S102 — generated code, as `symdl kernel` prints it
    rerun = namespace["kernel"](*(point[a] for a in kernel.args))
    value, _ = kernel(**point)
    assert float(rerun[0]) == float(value)


@pytest.mark.parametrize("x", [1e-40, 1e-12, 1e-8, 1e-3, -0.5, 0.5, -1.0, 1.0, 2.0, -30.0, 30.0, 700.0, 0.0])
def test_exprel_quotient_value_and_gradient_match_mpmath(x):
    """(exp(x) − 1)/x at 1e-12 was −8.9e7, and with expm1 alone its quotient-rule gradient eˣ/x − expm1(x)/x²
    was 3.6e-8 wrong at 1e-8; as exprel, whose gradient is a function of its own (a series near 0), both are
    within a few ulps of mpmath's, at the digits the cancellation needs."""
    kernel = symdl.kernel("(exp(x) - 1)/x")
    assert {type(rhs).__name__ for _, rhs in kernel.program} >= {"exprel", "exprel_grad"}
    value, grads = kernel(x=x)
    with mpmath.workdps(200):
        X = mpmath.mpf(x)
        truth = (mpmath.expm1(X) / X, (mpmath.exp(X) * (X - 1) + 1) / X**2) if x else (1, mpmath.mpf(1) / 2)
        for got, expected in zip((float(value), float(grads["x"])), truth):
            assert abs(got - expected) <= 2e-16 * abs(expected) * max(1, abs(x))  # exp(x)'s own conditioning is x




@pytest.mark.parametrize("x", [1.0, 30.0, 300.0, 700.0, 708.0])
def test_x_exp_minus_x_is_exact_while_exp_minus_x_is_a_normal_float(x):
    """x·e^−x and its gradient (1 − x)·e^−x need no rewrite while e^−x is a normal float64 (x ≤ 708.4): no
    intermediate overflows and nothing cancels. Past it e^−x is subnormal and loses digits (3.8e-15 relative at
    712, where the result 4.3e-307 is still normal; past 715 the result is subnormal itself)."""
    value, grads = symdl.kernel("x*exp(-x)")(x=x)
    with mpmath.workdps(50):
        X = mpmath.mpf(x)
        for got, expected in ((float(value), X * mpmath.exp(-X)), (float(grads["x"]), (1 - X) * mpmath.exp(-X))):
            assert abs(got - expected) <= 4e-16 * abs(expected)
