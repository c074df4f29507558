"""symdl.gradcheck: symbolic gradients against central differences and PyTorch.

The expected numbers come from elsewhere: derivatives written by hand and evaluated
with the math module, gradients made wrong on purpose, and 10 000 random expressions
drawn from the op registry, where the reference is the finite difference (and
PyTorch's autograd, where it is installed).
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import importlib.util
import json
import math
import multiprocessing
import random

import numpy as np
import pytest
import sympy as sp

import symdl
from symdl import cli, ops
from symdl.errors import SymdlError
from symdl.functions import (cross_entropy, elu, expm1, exprel, gelu, hypot, leaky_relu, log1p, log_softmax,
                             logaddexp, logsumexp, normal_cdf, normal_pdf, relu, sigmoid, softmax, softplus, swish)
from symdl.rewrite import canonical

HAS_TORCH = importlib.util.find_spec("torch") is not None
gc = importlib.import_module("symdl.gradcheck")  # the module; ``symdl.gradcheck`` is the function

# --- random expressions over the op registry ---------------------------------------------------
# One builder per registry op makes that op from child expressions, each child given with a bound
# on its size over the sampling box [-2, 2]. Builders keep the result where float64 differences
# mean something: logs and square roots of positive quantities, denominators of at least 1, and
# arguments larger than LARGE squashed by tanh before exp, powers, sin and cos.
LARGE = 20.0
CONSTANTS = (sp.Integer(2), sp.Integer(-3), sp.Rational(1, 2), sp.Rational(-3, 4), sp.Integer(3))


def _tame(child):
    expr, bound = child
    return (sp.tanh(expr), 1.0) if bound > LARGE else child


def _scale(rng, a):
    c = rng.choice(CONSTANTS)
    return c * a[0], abs(float(c)) * a[1]


def _shift(rng, a):
    c = rng.choice(CONSTANTS)
    return a[0] + c, abs(float(c)) + a[1]


def _powc(rng, a):
    (e, b), n = _tame(a), rng.choice((2, 3))
    return e**n, b**n


def _expc(rng, a):
    (e, b), c = _tame(a), rng.choice((sp.Integer(2), sp.Rational(1, 3)))
    return c**e, 3.0**b


def _pow(rng, a, b):
    (base, bb), (exponent, eb) = _tame(a), _tame(b)
    return (1 + base**2) ** exponent, (1 + bb**2) ** eb


def _exp(rng, a):
    e, b = _tame(a)
    return sp.exp(e), math.exp(b)


def _expm1(rng, a):
    e, b = _tame(a)
    return expm1(e), math.exp(b)


def _log(rng, a):
    e, b = _tame(a)
    return rng.choice(((sp.log(1 + e**2), 2 * math.log1p(b)), (sp.log(sigmoid(e)), b + 1),
                       (sp.log(1 + sp.exp(e)), b + 1)))  # the last two: softplus and log σ written out


def _sqrt(rng, a):
    return rng.choice(((sp.sqrt(1 + a[0] ** 2), 1 + a[1]), (sp.sqrt(sigmoid(a[0])), 1.0)))


def _sigmoid(rng, a):
    return rng.choice(((sigmoid(a[0]), 1.0), (1 / (1 + sp.exp(-_tame(a)[0])), 1.0)))


def _tanh(rng, a):
    e = _tame(a)[0]
    return rng.choice(((sp.tanh(a[0]), 1.0), ((sp.exp(e) - sp.exp(-e)) / (sp.exp(e) + sp.exp(-e)), 1.0)))


def _leaky_relu(rng, a, slope):
    if rng.random() < 0.3:  # PReLU: the slope is an expression too
        return leaky_relu(a[0], slope[0]), a[1] * max(1.0, slope[1])
    return leaky_relu(a[0], rng.choice((sp.Rational(1, 100), sp.Rational(1, 5)))), a[1]


def _elu(rng, a, alpha):
    if rng.random() < 0.3:  # a learnable α, an expression too
        return elu(a[0], 1 + alpha[0] ** 2), max(a[1], 1 + alpha[1] ** 2)
    return elu(a[0], rng.choice((sp.S.One, sp.Rational(1, 2)))), max(a[1], 1.0)


def _step(rng, a):
    return sp.Heaviside(a[0], rng.choice((sp.S.Zero, sp.S.Half))), 1.0


BUILDERS = {  # op name -> (number of children, builder)
    "add": (2, lambda rng, a, b: (a[0] + b[0], a[1] + b[1])),
    "sub": (2, lambda rng, a, b: (a[0] - b[0], a[1] + b[1])),
    "neg": (1, lambda rng, a: (-a[0], a[1])),
    "mul": (2, lambda rng, a, b: (a[0] * b[0], a[1] * b[1])),
    "scale": (1, _scale),
    "shift": (1, _shift),
    "div": (2, lambda rng, a, b: (a[0] / (1 + b[0] ** 2), a[1])),
    "reciprocal": (1, lambda rng, a: (1 / (1 + a[0] ** 2), 1.0)),
    "powc": (1, _powc),
    "expc": (1, _expc),
    "pow": (2, _pow),
    "exp": (1, _exp),
    "log": (1, _log),
    "sqrt": (1, _sqrt),
    "abs": (1, lambda rng, a: (sp.Abs(a[0]), a[1])),
    "sin": (1, lambda rng, a: (sp.sin(_tame(a)[0]), 1.0)),
    "cos": (1, lambda rng, a: (sp.cos(_tame(a)[0]), 1.0)),
    "tanh": (1, _tanh),
    "sigmoid": (1, _sigmoid),
    "softplus": (1, lambda rng, a: (softplus(a[0]), a[1] + 1)),
    "gelu": (1, lambda rng, a: (gelu(a[0]), a[1])),
    "normal_cdf": (1, lambda rng, a: (normal_cdf(a[0]), 1.0)),
    "normal_pdf": (1, lambda rng, a: (normal_pdf(a[0]), 1.0)),
    "relu": (1, lambda rng, a: (relu(a[0]), a[1])),
    "leaky_relu": (2, _leaky_relu),
    "elu": (2, _elu),
    "swish": (1, lambda rng, a: (swish(a[0]), a[1])),
    "step": (1, _step),
    "floor": (1, lambda rng, a: (sp.floor(a[0]), a[1] + 1)),
    "expm1": (1, _expm1),
    # its argument in (1, 3): at 0 the reference, lambdified (eˣ − 1)/x, is 0/0 (and floor or step give 0)
    "exprel": (1, lambda rng, a: (exprel(sp.tanh(a[0]) + 2), 7.0)),
    "log1p": (1, lambda rng, a: (log1p(a[0] ** 2), 2 * math.log1p(a[1]))),
    "hypot": (2, lambda rng, a, b: (hypot(a[0], 1 + b[0] ** 2), a[1] + 1 + b[1] ** 2)),
    "logaddexp": (2, lambda rng, a, b: (logaddexp(a[0], b[0]), max(a[1], b[1]) + 1)),
    "max": (2, lambda rng, a, b: (sp.Max(*_apart(a[0], b[0])), max(a[1], b[1]) + 1)),
    "softmax": (2, lambda rng, a, b: (softmax(a[0], b[0], rng.choice((1, 2))), 1.0)),
    "log_softmax": (2, lambda rng, a, b: (log_softmax(a[0], b[0], rng.choice((1, 2))), a[1] + b[1] + 1)),
    "logsumexp": (2, lambda rng, a, b: (logsumexp(a[0], b[0]), max(a[1], b[1]) + 1)),
    "cross_entropy": (2, lambda rng, a, b: (cross_entropy(a[0], b[0], rng.choice((1, 2))), a[1] + b[1] + 1)),
    "min": (2, lambda rng, a, b: (sp.Min(*_apart(a[0], b[0])), max(a[1], b[1]) + 1)),
}


def _apart(a: sp.Expr, b: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Two arguments of max/min that are not one function written two ways (tanh and its exponential form):
    such a tie holds everywhere, and a tie's gradient is a convention that no difference can check."""
    return (a, b + 1) if canonical(a) == canonical(b) else (a, b)
OPS = sorted(BUILDERS)


def random_expression(rng: random.Random, symbols, depth: int, used: collections.Counter):
    """A random tree of registry ops over ``symbols`` and small constants, at most ``depth`` deep."""
    if depth == 0 or rng.random() < 0.15:
        if rng.random() < 0.8:
            return rng.choice(symbols), 2.0
        c = rng.choice(CONSTANTS)
        return c, abs(float(c))
    name = rng.choice(OPS)
    used[name] += 1
    arity, build = BUILDERS[name]
    expr, bound = build(rng, *(random_expression(rng, symbols, depth - 1, used) for _ in range(arity)))
    return _tame((expr, bound))


def expressions(seed: str, count: int):
    """``count`` random expressions, each with its own inputs (x3, y3, z3 for the fourth) and at least one,
    and how often each op was drawn."""
    rng, used, found = random.Random(seed), collections.Counter(), []
    while len(found) < count:
        k = len(found)
        symbols = [sp.Symbol(f"{c}{k}", real=True) for c in "xyz"[:rng.randint(1, 3)]]
        expr = random_expression(rng, symbols, rng.randint(1, 4), used)[0]
        if expr.free_symbols:
            found.append(expr)
    return found, used


def test_the_generator_covers_every_registry_op():
    assert set(BUILDERS) == set(ops.REGISTRY), "a new registry op needs a builder here"


# --- 10 000 expressions ------------------------------------------------------------------------
EXPRESSIONS = 10_000
CHUNK = 25  # expressions summed into one gradcheck: each has its own inputs, so the checks stay independent
WORKERS = 2


def check_chunk(index: int) -> dict:
    """Gradcheck the sum of one chunk of expressions at two random points per input."""
    exprs, used = expressions(f"gradcheck-{index}", CHUNK)
    result = gc.gradcheck(sp.Add(*exprs), points=2, seed=index)
    owner = {s.name: e for e in exprs for s in e.free_symbols}
    return {
        "expressions": len(exprs),
        "checks": result.count(gc.PASS) + result.count(gc.FAIL),
        "torch": result.torch is not None,
        "failures": [f"{owner[c.input]}: d/d{c.input} symdl {c.symbolic!r}, difference {c.numeric!r} "
                     f"± {c.numeric_error:.1e}, torch {c.torch!r}" for c in result.failures],
        "unchecked": [f"{owner[name]}: d/d{name}" for name in result.unchecked],
        "used": used,
    }


@pytest.mark.slow
def test_ten_thousand_random_expressions():
    """The suite's main gradient check: every input of 10 000 expressions, at two points each. Marked slow
    (about 75 s of CPU): CI runs it; ``pytest -m "not slow"`` leaves it out of a quick local run."""
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads (torch, BLAS)
    with concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        chunks = list(pool.map(check_chunk, range(EXPRESSIONS // CHUNK)))
    failures = [f for c in chunks for f in c["failures"]]
    unchecked = [u for c in chunks for u in c["unchecked"]]
    used = sum((c["used"] for c in chunks), collections.Counter())
    checks = sum(c["checks"] for c in chunks)
    print(f"\ngradcheck: {sum(c['expressions'] for c in chunks)} expressions, {checks} checks, "
          f"{len(failures)} failures, {len(unchecked)} unchecked, PyTorch {chunks[0]['torch']}")
    assert sum(c["expressions"] for c in chunks) >= 10_000
    assert not failures, "\n".join(failures[:20])
    assert not unchecked, "\n".join(unchecked[:20])
    assert checks >= 2 * 10_000
    assert min(used[name] for name in OPS) >= 500, used


# --- the differences against derivatives written by hand -----------------------------------------
def _sigma(t):
    return 1 / (1 + math.exp(-t))


HAND = [  # (expression, point, {input: derivative by hand at the point})
    ("exp(x)*sin(y)", {"x": 0.3, "y": 1.1}, {"x": math.exp(0.3) * math.sin(1.1), "y": math.exp(0.3) * math.cos(1.1)}),
    ("x**3/(1 + y**2)", {"x": -1.5, "y": 0.5}, {"x": 3 * 1.5**2 / 1.25, "y": -2 * (-1.5) ** 3 * 0.5 / 1.25**2}),
    ("log(1 + exp(x))", {"x": -3.0}, {"x": _sigma(-3.0)}),
    ("tanh(2*x)*y", {"x": 0.4, "y": -2.0}, {"x": -2.0 * 2 * (1 - math.tanh(0.8) ** 2), "y": math.tanh(0.8)}),
    ("sigmoid(w*x + b)", {"w": 2.0, "x": -1.0, "b": -3.0},
     {"w": -_sigma(-5) * (1 - _sigma(-5)), "x": 2 * _sigma(-5) * (1 - _sigma(-5)), "b": _sigma(-5) * (1 - _sigma(-5))}),
    ("x**y", {"x": 1.7, "y": 2.5}, {"x": 2.5 * 1.7**1.5, "y": 1.7**2.5 * math.log(1.7)}),
    ("gelu(x)", {"x": -1.2}, {"x": 0.5 * math.erfc(1.2 / math.sqrt(2)) - 1.2 * math.exp(-0.72) / math.sqrt(2 * math.pi)}),
    ("sqrt(x) + 1000*x", {"x": 250.0}, {"x": 0.5 / math.sqrt(250.0) + 1000}),
]


@pytest.mark.parametrize("text, point, expected", HAND, ids=[h[0] for h in HAND])
def test_the_difference_and_its_error_estimate_are_honest(text, point, expected):
    result = gc.gradcheck(text, at=point)
    assert result.ok and result.count(gc.PASS) == len(expected)
    for check in result.checks:
        truth = expected[check.input]
        assert abs(check.numeric - truth) <= check.numeric_error, check  # the estimate bounds the real error
        assert check.numeric_error <= 1e-8 * max(1.0, abs(truth))  # and is small
        assert check.symbolic == pytest.approx(truth, rel=1e-12, abs=1e-15)


def test_random_points_are_seeded_and_inside_the_domain():
    first = gc.gradcheck("x*y + z", points=3, seed=7, domain=(0.5, 1.5))
    again = gc.gradcheck("x*y + z", points=3, seed=7, domain=(0.5, 1.5))
    other = gc.gradcheck("x*y + z", points=3, seed=8, domain=(0.5, 1.5))
    assert np.array_equal(first.points, again.points) and not np.array_equal(first.points, other.points)
    assert np.all((first.points >= 0.5) & (first.points <= 1.5))
    assert first.ok and first.count(gc.PASS) == 3 * 3
    assert {c.input for c in first.checks} == {"x", "y", "z"}


# --- kinks and points outside the domain ---------------------------------------------------------
@pytest.mark.parametrize("text, point", [
    ("relu(x)", "x=0"), ("relu(x)", "x=1e-4"), ("abs(x - y)", "x=1,y=1"), ("max(x, y)", "x=2,y=2"),
    ("floor(x)", "x=3"), ("step(x)*y", "x=0,y=1"), ("leaky_relu(x, 1/5)", "x=0"),
])
def test_a_kink_inside_the_stencil_is_reported_not_judged(text, point):
    result = gc.gradcheck(text, at=point)
    assert gc.KINK in {c.status for c in result.checks}
    assert not result.ok and result.unchecked and not result.failures


def test_a_point_outside_the_domain_is_undefined():
    assert [c.status for c in gc.gradcheck("log(x)", at="x=-1").checks] == [gc.UNDEFINED]
    assert [c.status for c in gc.gradcheck("sqrt(x)", at="x=1e-4").checks] == [gc.UNDEFINED]  # x − 4h < 0


def test_random_points_avoid_kinks_and_undefined_places():
    result = gc.gradcheck("relu(x) + abs(y) + max(x, y) + floor(3*x) + log(x + 1) + step(y)", points=50)
    assert result.ok and result.count(gc.PASS) == 2 * 50
    x = result.points[result.status[:, 0] == gc.PASS, 0]
    assert np.all(np.abs(x) > 4 * 2.0**-10) and np.all(x > -1)


def test_an_input_rewritten_away_has_gradient_zero():
    """tanh written out is read as tanh, and min(−2, tanh u) is −2: the kernel drops the input
    (found among the random expressions), and the check still covers it."""
    u = sp.Symbol("z", real=True) ** 2
    result = gc.gradcheck(sp.Min(-2, (sp.exp(u) - sp.exp(-u)) / (sp.exp(u) + sp.exp(-u))), points=2)
    assert result.ok and [c.symbolic for c in result.checks] == [0.0, 0.0]


# --- wrong gradients are caught -------------------------------------------------------------------
EXAMPLES = {  # one expression per registry op, in which the fused graph has that gate
    "add": "x + y", "sub": "x - y", "neg": "-x", "mul": "x*y", "scale": "3*x", "shift": "x + 2",
    "div": "x/(3 + y)", "reciprocal": "1/(3 + x)", "powc": "x**3", "expc": "2**x", "pow": "(3 + x)**y",
    "exp": "exp(x)", "log": "log(3 + x)", "sqrt": "sqrt(3 + x)", "abs": "abs(x)", "sin": "sin(x)", "cos": "cos(x)",
    "tanh": "tanh(x)", "sigmoid": "sigmoid(x)", "softplus": "softplus(x)", "gelu": "gelu(x)", "normal_cdf": "normal_cdf(x)",
    "normal_pdf": "normal_pdf(x)", "relu": "relu(x)",
    "leaky_relu": "leaky_relu(x, y)", "elu": "elu(x, y)", "swish": "silu(x)", "step": "step(x)", "floor": "floor(x)", "max": "max(x, y)", "min": "min(x, y)",
    "expm1": "expm1(x)", "exprel": "exprel(x)", "log1p": "log1p(x**2)", "hypot": "hypot(x, y)",
    "logaddexp": "logaddexp(x, y)",
    "softmax": "softmax(x, y, 2*x)[1]", "log_softmax": "log_softmax(x, y)[2]", "logsumexp": "logsumexp(x, y, x*y)",
    "cross_entropy": "cross_entropy(x, y, 3)[2]",
}
SLIGHTLY = sp.Rational(1, 10_000)


def test_every_registry_op_has_an_example():
    assert set(EXAMPLES) == set(ops.REGISTRY)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_slightly_wrong_local_derivative_is_caught(name, monkeypatch):
    """Each op's rule made wrong by 1e-4 (relative, plus 1e-4/7 so a zero derivative is wrong too)."""
    assert gc.gradcheck(EXAMPLES[name], points=3).ok
    op = ops.REGISTRY[name]
    wrong = dataclasses.replace(op, local=lambda o, a, c: tuple(d * (1 + SLIGHTLY) + SLIGHTLY / 7
                                                                for d in op.local(o, a, c)))
    monkeypatch.setitem(ops.REGISTRY, name, wrong)
    result = gc.gradcheck(EXAMPLES[name], points=3)
    assert not result.ok and result.failures


def test_a_wrong_kernel_gradient_is_caught_and_named(monkeypatch):
    """A kernel whose ∂/∂y is off by one part in 10⁵: only y's checks fail."""
    def perturbed(source, wrt=None):
        good = symdl.kernel(source, wrt)

        def function(*inputs):
            value, *grads = good.function(*inputs)
            grads[good.wrt.index("y")] = grads[good.wrt.index("y")] * (1 + 1e-5)
            return [value, *grads]
        return dataclasses.replace(good, function=function)

    monkeypatch.setattr(gc, "kernel", perturbed)
    result = gc.gradcheck("tanh(x*y) + y**2", points=4)
    assert not result.ok
    assert {c.input for c in result.failures} == {"y"} and result.count(gc.FAIL) == 4
    assert all(c.error > c.tolerance for c in result.failures)


# --- PyTorch ------------------------------------------------------------------------------------
@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install torch==2.13.0)")
def test_pytorch_agrees_with_symdl():
    result = gc.gradcheck("gelu(x)*softplus(y) + leaky_relu(x - y, 1/5) + sigmoid(x)*max(x, y, 0)", points=6,
                          torch=True)
    assert result.ok and result.torch is not None
    symbolic = np.array([c.symbolic for c in result.checks])
    assert np.allclose(symbolic, [c.torch for c in result.checks], rtol=1e-6, atol=1e-9)


def test_asking_for_pytorch_without_it_is_an_error(monkeypatch):
    monkeypatch.setattr(gc.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SymdlError, match="PyTorch is not installed"):
        gc.gradcheck("x**2", torch=True)
    assert gc.gradcheck("x**2").torch is None  # by default, it is simply left out


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"wrt": "q"}, "inputs are x, y"), ({"wrt": []}, "nothing to check"), ({"points": 0}, "at least 1"),
    ({"at": "x=1e400,y=1"}, "runs in float64"), ({"seed": -1}, "the seed must be a whole number"), ({"at": "x=1"}, "no value given for y"), ({"domain": (1, 1)}, "domain"),
])
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(SymdlError, match=message):
        gc.gradcheck("x*y", **kwargs)


# --- the command line ----------------------------------------------------------------------------
def test_cli_agrees_and_prints_json(capsys):
    assert cli.main(["gradcheck", "sigmoid(w*x + b)", "--at", "w=2,x=-1,b=-3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and len(report["checks"]) == 3
    w = next(c for c in report["checks"] if c["input"] == "w")
    assert w["symbolic"] == pytest.approx(-_sigma(-5) * (1 - _sigma(-5)), rel=1e-12)
    assert cli.main(["gradcheck", r"\tanh(x) y", "--latex", "--points", "2", "--seed", "3"]) == 0
    assert "4 checks: 4 agree, 0 disagree" in capsys.readouterr().out


def test_cli_exit_status_1_on_disagreement(capsys, monkeypatch):
    op = ops.REGISTRY["tanh"]
    monkeypatch.setitem(ops.REGISTRY, "tanh", dataclasses.replace(op, local=lambda o, a, c: (1 - o,)))
    assert cli.main(["gradcheck", "tanh(x)"]) == 1
    assert "fail" in capsys.readouterr().out
    assert cli.main(["gradcheck", "relu(x)", "--at", "x=0"]) == 1  # a kink: nothing could be checked


@pytest.mark.parametrize("argv", [
    ["gradcheck", "x*"], ["gradcheck", "x", "--points", "0"], ["gradcheck", "x", "--points", "many"],
    ["gradcheck", "x", "--at", "y=1"], ["gradcheck", "x", "--wrt", "__class__"], ["gradcheck", "7"],
])
def test_cli_bad_input_is_exit_2_and_one_line(argv, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("symdl gradcheck: ") and captured.err.count("\n") == 1
