"""Extreme inputs: every scalar registry op and the stable tensor ops against mpmath at 50 digits.

Each op runs at 0, ±1, ±30, ±700, ±1e3 and ±1e6, with floating-point flags raised as errors
and warnings as errors. Kernel values and derivatives, and the tensor ops' forward passes and
VJPs, must be finite and within 1e-12 of mpmath relative to the true value; the only slack is
the smallest normal float (2.2e-308) in absolute terms, so a result that underflows must come out
as 0 or as the subnormal (“exactly at underflow”). Where the true value is not a finite float64
(exp(1e6)), or the function is undefined (log(−1)), the point is left out.

The expected numbers are the definitions evaluated in mpmath at 50 digits, with derivatives
written by hand. ``python tests/test_extremes.py`` prints the whole table.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Callable, Optional

import mpmath
import numpy as np
import pytest

import symdl
import symdl.tensor.network  # noqa: F401  (registers every tensor op)
from symdl import ops
from symdl.nn.attention import scaled_dot_product_attention
from symdl.tensor.network import Network
from symdl.tensor.registry import get as tensor_op

POINTS = (0.0, 1.0, -1.0, 30.0, -30.0, 700.0, -700.0, 1e3, -1e3, 1e6, -1e6)
RTOL = 1e-12
TINY = np.finfo(float).tiny  # the smallest normal float: below it, a result may round to a subnormal or 0
mp = mpmath.mp


@dataclasses.dataclass
class Row:
    op: str
    input: str
    what: str
    symdl: float
    truth: mpmath.mpf

    @property
    def error(self) -> float:
        """|symdl − truth| / |truth| (0 when both are 0)."""
        difference = abs(mpmath.mpf(self.symdl) - self.truth)
        return 0.0 if difference == 0 else float(difference / abs(self.truth)) if self.truth != 0 else math.inf

    @property
    def ok(self) -> bool:
        return math.isfinite(self.symdl) and abs(mpmath.mpf(self.symdl) - self.truth) <= RTOL * abs(self.truth) + TINY

    def cells(self) -> tuple[str, ...]:
        return (self.op, self.input, self.what, f"{self.symdl:.16g}", mpmath.nstr(self.truth, 17), f"{self.error:.1e}",
                "" if self.ok else "FAIL")


@pytest.fixture(autouse=True)
def strict_floating_point():
    with warnings.catch_warnings(), np.errstate(all="raise"), mpmath.workdps(50):
        warnings.simplefilter("error")
        yield


def _representable(value: mpmath.mpf) -> bool:
    return mpmath.isfinite(value) and abs(value) <= np.finfo(float).max


# --- scalar ops: value and derivative by hand, in mpmath ------------------------------------------
def _sigma(x):
    return 1 / (1 + mpmath.exp(-x))


def _step(x, left=0, at_zero=0, right=1):
    return right if x > 0 else left if x < 0 else at_zero


E = mpmath.exp
SCALAR: list[tuple[str, str, Callable, Callable, Callable]] = [  # op, text, value, d/dx, defined where
    ("add", "x + x**2", lambda x: x + x**2, lambda x: 1 + 2 * x, None),
    ("sub", "x - x**2", lambda x: x - x**2, lambda x: 1 - 2 * x, None),
    ("neg", "-x", lambda x: -x, lambda x: -1, None),
    ("mul", "x*sin(x)", lambda x: x * mpmath.sin(x), lambda x: mpmath.sin(x) + x * mpmath.cos(x), None),
    ("scale", "3*x", lambda x: 3 * x, lambda x: 3, None),
    ("shift", "x + 2", lambda x: x + 2, lambda x: 1, None),
    ("div", "x/(1 + x**2)", lambda x: x / (1 + x**2), lambda x: (1 - x**2) / (1 + x**2) ** 2, None),
    ("reciprocal", "1/x", lambda x: 1 / x, lambda x: -1 / x**2, lambda x: x != 0),
    ("powc", "x**3", lambda x: x**3, lambda x: 3 * x**2, None),
    ("expc", "2**x", lambda x: mpmath.power(2, x), lambda x: mpmath.power(2, x) * mpmath.log(2), None),
    ("pow", "(x**2 + 1)**(x/1000)", lambda x: (x**2 + 1) ** (x / 1000),
     lambda x: (x**2 + 1) ** (x / 1000) * (mpmath.log(x**2 + 1) / 1000 + x**2 / (500 * (x**2 + 1))), None),
    ("exp", "exp(x)", E, E, None),
    ("log", "log(x)", mpmath.log, lambda x: 1 / x, lambda x: x > 0),
    ("sqrt", "sqrt(x)", mpmath.sqrt, lambda x: 1 / (2 * mpmath.sqrt(x)), lambda x: x > 0),
    ("abs", "abs(x)", abs, lambda x: _step(x, -1), None),
    ("sin", "sin(x)", mpmath.sin, mpmath.cos, None),
    ("cos", "cos(x)", mpmath.cos, lambda x: -mpmath.sin(x), None),
    ("tanh", "tanh(x)", mpmath.tanh, lambda x: mpmath.sech(x) ** 2, None),
    ("tanh", "(exp(x) - exp(-x))/(exp(x) + exp(-x))", mpmath.tanh, lambda x: mpmath.sech(x) ** 2, None),
    ("sigmoid", "sigmoid(x)", _sigma, lambda x: E(-abs(x)) / (1 + E(-abs(x))) ** 2, None),
    ("sigmoid", "1/(1 + exp(-x))", _sigma, lambda x: E(-abs(x)) / (1 + E(-abs(x))) ** 2, None),
    ("softplus", "softplus(x)", lambda x: mpmath.log1p(E(x)), _sigma, None),
    ("softplus", "log(1 + exp(x))", lambda x: mpmath.log1p(E(x)), _sigma, None),
    ("log-sigmoid", "log(sigmoid(x))", lambda x: -mpmath.log1p(E(-x)), lambda x: _sigma(-x), None),
    ("log-sigmoid", "log(1 - sigmoid(x))", lambda x: -mpmath.log1p(E(x)), lambda x: -_sigma(x), None),
    ("gelu", "gelu(x)", lambda x: x * mpmath.ncdf(x), lambda x: mpmath.ncdf(x) + x * mpmath.npdf(x), None),
    ("normal_cdf", "normal_cdf(x)", mpmath.ncdf, mpmath.npdf, None),
    ("normal_pdf", "normal_pdf(x)", mpmath.npdf, lambda x: -x * mpmath.npdf(x), None),
    ("relu", "relu(x)", lambda x: max(x, 0), lambda x: _step(x), None),
    ("leaky_relu", "leaky_relu(x)", lambda x: x if x > 0 else x / 100, lambda x: _step(x, mpmath.mpf(1) / 100,
                                                                                          mpmath.mpf(1) / 100), None),
    ("elu", "elu(x)", lambda x: x if x > 0 else mpmath.expm1(x), lambda x: 1 if x > 0 else E(x), None),
    ("elu", "elu(x, 1/2)", lambda x: x if x > 0 else mpmath.expm1(x) / 2, lambda x: 1 if x > 0 else E(x) / 2, None),
    ("swish", "silu(x)", lambda x: x * _sigma(x), lambda x: _sigma(x) * (1 + x * _sigma(-x)), None),
    ("step", "step(x)", lambda x: _step(x), lambda x: 0, None),
    ("floor", "floor(x)", mpmath.floor, lambda x: 0, None),
    ("expm1", "expm1(x)", mpmath.expm1, E, None),
    ("expm1", "exp(x) - 1", mpmath.expm1, E, None),
    ("exprel", "exprel(x)", lambda x: _exprel(x), lambda x: _exprel_grad(x), None),
    ("exprel", "(exp(x) - 1)/x", lambda x: _exprel(x), lambda x: _exprel_grad(x), None),
    ("log1p", "log1p(x)", mpmath.log1p, lambda x: 1 / (1 + x), lambda x: x > -1),
    ("log1p", "log(1 + x)", mpmath.log1p, lambda x: 1 / (1 + x), lambda x: x > -1),
    ("hypot", "hypot(x, 3)", lambda x: mpmath.hypot(x, 3), lambda x: x / mpmath.hypot(x, 3), None),
    ("hypot", "sqrt(x**2 + 9)", lambda x: mpmath.hypot(x, 3), lambda x: x / mpmath.hypot(x, 3), None),
    ("logaddexp", "logaddexp(x, 2)", lambda x: mpmath.log(E(x) + E(2)), lambda x: _sigma(x - 2), None),
    ("logaddexp", "log(exp(x) + exp(-x))", lambda x: mpmath.log(E(x) + E(-x)), mpmath.tanh, None),
    ("softmax", "softmax(x, 2, -x)[1]", lambda x: E(x) / (E(x) + E(2) + E(-x)),
     lambda x: E(x) * (E(2) + 2 * E(-x)) / (E(x) + E(2) + E(-x)) ** 2, None),
    ("log_softmax", "log_softmax(x, 2)[2]", lambda x: -mpmath.log1p(E(x - 2)), lambda x: -_sigma(x - 2), None),
    ("logsumexp", "logsumexp(x, 2, -x)", lambda x: mpmath.log(E(x) + E(2) + E(-x)),
     lambda x: (E(x) - E(-x)) / (E(x) + E(2) + E(-x)), None),
    ("cross_entropy", "cross_entropy(x, 2)[1]", lambda x: mpmath.log1p(E(2 - x)), lambda x: -_sigma(2 - x), None),
    ("max", "max(x, 1 - x)", lambda x: max(x, 1 - x), lambda x: 1 if x > 1 - x else -1, None),
    ("min", "min(x, 1 - x)", lambda x: min(x, 1 - x), lambda x: 1 if x < 1 - x else -1, None),
]


def _exprel(x):
    return mpmath.expm1(x) / x if x else mpmath.mpf(1)


def _exprel_grad(x):
    """(eˣ(x − 1) + 1)/x², with the digits its cancellation needs (about 2·log10(1/|x|) more); ½ at 0."""
    if not x:
        return mpmath.mpf(1) / 2
    with mpmath.workdps(50 + 2 * max(0, int(-mpmath.log10(abs(x))))):
        return (E(x) * (x - 1) + 1) / x**2


def scalar_rows(op: str, text: str, value: Callable, derivative: Callable, defined: Optional[Callable]) -> list[Row]:
    k = symdl.kernel(text)
    rows = []
    for x in POINTS:
        exact = mpmath.mpf(x)
        if defined is not None and not defined(exact):
            continue
        truth_value, truth_derivative = mpmath.mpf(value(exact)), mpmath.mpf(derivative(exact))
        if not (_representable(truth_value) and _representable(truth_derivative)):
            continue  # exp(1e3) is no float64: nothing to compare
        got, grads = k(x=x)
        rows.append(Row(op, f"{text} at {x:g}", "value", float(got), truth_value))
        rows.append(Row(op, f"{text} at {x:g}", "d/dx", float(grads["x"]), truth_derivative))
    return rows


def test_every_scalar_registry_op_is_swept():
    assert {op for op, *_ in SCALAR} >= set(ops.REGISTRY)


@pytest.mark.parametrize("case", SCALAR, ids=[c[1] for c in SCALAR])
def test_scalar_op_at_extreme_inputs(case):
    rows = scalar_rows(*case)
    assert len(rows) >= 2 * 5
    bad = [r.cells() for r in rows if not r.ok]
    assert not bad, "\n".join(map(str, bad))


# --- tensor ops: forward and VJP -------------------------------------------------------------------
UPSTREAM = np.array([1.0, -2.0, 0.5, 3.0])


def _logits(v: float) -> np.ndarray:
    return np.array([v, v / 2, 0.0, -v])


def _mp_softmax(z):
    top = max(z)
    e = [E(t - top) for t in z]
    return [t / mpmath.fsum(e) for t in e]


def _mp_log_softmax(z):
    """(z_i − max) − log1p(the other terms): at 50 digits, log(1 + e^-350) would be log(1) = 0."""
    m = z.index(max(z))
    rest = mpmath.log1p(mpmath.fsum(E(t - z[m]) for j, t in enumerate(z) if j != m))
    return [(t - z[m]) - rest for t in z]


def _mp_logsumexp(z):
    return max(z) - _mp_log_softmax(z)[z.index(max(z))]


def _mp_softmax_vjp(g, s):
    """s_i (g_i − Σ_j g_j s_j) = s_i Σ_j (g_i − g_j) s_j, since Σ s = 1: no cancellation for the largest s_i."""
    return [si * mpmath.fsum((gi - gj) * sj for gj, sj in zip(g, s)) for gi, si in zip(g, s)]


def softmax_rows(v: float) -> list[Row]:
    z, op = _logits(v), tensor_op("softmax")
    s = op.forward(z)
    (dz,) = op.vjp(UPSTREAM, s, z)
    zs = [mpmath.mpf(t) for t in z]
    ms = _mp_softmax(zs)
    return _rows("softmax", v, {"value": (s, ms), "vjp": (dz, _mp_softmax_vjp(list(map(mpmath.mpf, UPSTREAM)), ms))})


def log_softmax_rows(v: float) -> list[Row]:
    z, op = _logits(v), tensor_op("log_softmax")
    out = op.forward(z)
    (dz,) = op.vjp(UPSTREAM, out, z)
    zs = [mpmath.mpf(t) for t in z]
    ms, g = _mp_softmax(zs), list(map(mpmath.mpf, UPSTREAM))
    return _rows("log_softmax", v, {"value": (out, _mp_log_softmax(zs)),
                                    "vjp": (dz, [gi - si * mpmath.fsum(g) for gi, si in zip(g, ms)])})


def logsumexp_rows(v: float) -> list[Row]:
    z, op = _logits(v), tensor_op("logsumexp")
    out = op.forward(z)
    (dz,) = op.vjp(np.float64(1.5), out, z)
    zs = [mpmath.mpf(t) for t in z]
    return _rows("logsumexp", v, {"value": ([out], [_mp_logsumexp(zs)]),
                                  "vjp": (dz, [mpmath.mpf(1.5) * s for s in _mp_softmax(zs)])})


def cross_entropy_rows(v: float) -> list[Row]:
    rows = []
    for target in (0, 3):  # the largest logit (a confident right answer) and the smallest (a confident wrong one)
        z, op = _logits(v)[None, :], tensor_op("cross_entropy")
        y = np.array([target])
        out = op.forward(z, y)
        dz, _ = op.vjp(np.float64(1.0), out, z, y)
        zs = [mpmath.mpf(t) for t in z[0]]
        ms = _mp_softmax(zs)
        rows += _rows(f"cross_entropy (class {target})", v,
                      {"value": ([out], [-_mp_log_softmax(zs)[target]]),
                       "vjp": (dz[0], [-mpmath.fsum(ms[:i] + ms[i + 1:]) if i == target else s  # s − 1 = −Σ others
                                       for i, s in enumerate(ms)])})
    return rows


def bce_with_logits_rows(v: float) -> list[Row]:
    z, y, op = _logits(v), np.array([1.0, 0.0, 0.0, 1.0]), tensor_op("bce_with_logits")
    out = op.forward(z, y)
    dz, _ = op.vjp(np.float64(1.0), out, z, y)
    zs, ys = [mpmath.mpf(t) for t in z], [mpmath.mpf(t) for t in y]
    loss = mpmath.fsum(mpmath.log1p(E(-abs(t))) + max(t, 0) - yi * t for t, yi in zip(zs, ys)) / 4
    grad = [(yi * -_sigma(-t) + (1 - yi) * _sigma(t)) / 4 for t, yi in zip(zs, ys)]  # σ(z) − y, without cancelling
    return _rows("bce_with_logits", v, {"value": ([out], [loss]), "vjp": (dz, grad)})


def attention_rows(v: float) -> list[Row]:
    """softmax(Q Kᵀ/√d) V for one query over three keys with scores of size v; the loss is Σ out ⊙ G."""
    d = 4
    q = np.array([[1.0, 0.0, 0.0, 0.0]]) * (v * math.sqrt(d))
    k = np.array([[1.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])
    values = np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]])
    upstream = np.array([[1.0, -1.0]])
    net = Network()
    out = scaled_dot_product_attention(net, net.input("q", q), net.input("k", k), net.input("v", values), name="att")
    loss = net.apply("sum", net.apply("hadamard", out, net.constant("G", upstream)), name="L")
    grads = net.backward(loss)
    scores = [mpmath.mpf(q[0, 0]) * mpmath.mpf(k[j, 0]) / 2 for j in range(3)]
    a = _mp_softmax(scores)
    o = [mpmath.fsum(a[j] * values[j, c] for j in range(3)) for c in range(2)]
    da = [mpmath.fsum(upstream[0, c] * values[j, c] for c in range(2)) for j in range(3)]
    ds = _mp_softmax_vjp(da, a)
    dq0 = mpmath.fsum(ds[j] * k[j, 0] for j in range(3)) / 2
    return _rows("attention", v, {"weights": (net.value("att.weights")[0], a), "output": (net.value(out)[0], o),
                                  "∂L/∂q[0]": ([grads["q"][0, 0]], [dq0]),
                                  "∂L/∂v": (grads["v"][:, 0], [a[j] * upstream[0, 0] for j in range(3)])})


def _rows(name: str, v: float, parts: dict) -> list[Row]:
    rows = []
    for what, (got, truth) in parts.items():
        got = np.atleast_1d(np.asarray(got, dtype=float))
        for i, (a, t) in enumerate(zip(got, truth)):
            rows.append(Row(name, f"{v:g}", what if len(truth) == 1 else f"{what}[{i}]", float(a), mpmath.mpf(t)))
    return rows


TENSOR = [softmax_rows, log_softmax_rows, logsumexp_rows, cross_entropy_rows, bce_with_logits_rows, attention_rows]


@pytest.mark.parametrize("rows", TENSOR, ids=[f.__name__[:-5] for f in TENSOR])
def test_tensor_op_at_extreme_inputs(rows):
    found = [r for v in POINTS for r in rows(v)]
    bad = [r.cells() for r in found if not r.ok]
    assert not bad, "\n".join(map(str, bad))


def table() -> str:
    """Every row of the sweep, as a plain-text table."""
    rows = [r for case in SCALAR for r in scalar_rows(*case)]
    rows += [r for rows_of in TENSOR for v in POINTS for r in rows_of(v)]
    cells = [("op", "input", "what", "symdl", "mpmath (50 digits)", "rel. error", "")] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    failures = sum(not r.ok for r in rows)
    return "\n".join(lines[:1] + ["  ".join("-" * w for w in widths)] + lines[1:] +
                     ["", f"{len(rows)} comparisons, {failures} outside 1e-12 relative (+ {TINY:.1e} absolute)"])


if __name__ == "__main__":
    with np.errstate(all="raise"), mpmath.workdps(50):
        print(table())
