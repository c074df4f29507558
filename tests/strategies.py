"""Hypothesis strategies shared by the tests: random expressions over the op registry."""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

from symdl.functions import (cross_entropy, elu, expm1, exprel, gelu, hypot, leaky_relu, log1p, log_softmax,
                             logaddexp, logsumexp, normal_cdf, normal_pdf, relu, sigmoid, softmax, softplus, swish)

X, Y, Z = (sp.Symbol(n, real=True) for n in "xyz")
SYMBOLS = (X, Y, Z)

leaves = st.one_of(
    st.sampled_from(SYMBOLS),
    st.integers(-3, 3).map(sp.Integer),
    st.sampled_from([sp.Rational(1, 2), sp.Rational(-3, 4)]),
)

# Unary builders keep values in a range where float64 finite differences are meaningful.
UNARY = (
    sp.tanh, sigmoid, softplus, relu, sp.sin, sp.cos, sp.Abs,
    lambda e: leaky_relu(e, sp.Rational(1, 5)),
    lambda e: sp.exp(sp.tanh(e)),
    lambda e: sp.log(1 + e**2),
    lambda e: sp.sqrt(1 + e**2),
    lambda e: -e,
    lambda e: e**2,
    lambda e: e**3,
)
BINARY = (
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1 + b**2),
    lambda a, b: sp.Max(a, b),
    lambda a, b: sp.Min(a, b),
    lambda a, b: 2 * a + b / 3,
)


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0](t[1])),
        st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0](t[1], t[2])),
    )


expressions = st.recursive(leaves, _extend, max_leaves=8)
points = st.tuples(*(st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)) for _ in SYMBOLS))


# Builders that between them use every scalar op record (tests/test_kernel_program.py checks
# that they do): the kernel property tests draw from these.
EVERY_OP_UNARY = UNARY + (
    gelu, normal_cdf, normal_pdf, sp.floor, lambda e: sp.Heaviside(e, 0), swish, lambda e: elu(e, sp.Rational(1, 2)),
    lambda e: sp.exp(e / 4), lambda e: 1 / (1 + e**2), lambda e: 2 ** sp.tanh(e), lambda e: e + 1,
    expm1, lambda e: log1p(e**2), exprel,
)
EVERY_OP_BINARY = BINARY + (
    lambda a, b: (1 + a**2) ** sp.tanh(b),
    lambda a, b: sp.log(2 + sp.sin(a) * b / (1 + b**2)),
    lambda a, b: hypot(a, 1 + b**2), logaddexp,
    lambda a, b: softmax(a, b, a + b, 2), lambda a, b: log_softmax(a, b, 1), logsumexp,
    lambda a, b: cross_entropy(a, b, 2),
)


def _extend_every_op(children):
    return st.one_of(
        st.tuples(st.sampled_from(EVERY_OP_UNARY), children).map(lambda t: t[0](t[1])),
        st.tuples(st.sampled_from(EVERY_OP_BINARY), children, children).map(lambda t: t[0](t[1], t[2])),
    )


every_op_expressions = st.recursive(leaves, _extend_every_op, max_leaves=8)
