"""The op registry: every record's canonical local derivative equals a numerical
derivative of its forward form (central differences at 50 digits, h = 1e-20)."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from symdl import ops

A, B, C = (sp.Symbol(n, real=True) for n in "abc")

# (op, constant folded into it, number of inputs, a point away from kinks and poles)
CASES = [
    ("add", None, 3, (0.3, -1.2, 2.0)), ("sub", None, 2, (0.3, -1.2)), ("neg", None, 1, (0.7,)),
    ("mul", None, 3, (0.3, -1.2, 2.0)), ("scale", sp.Integer(-3), 1, (0.7,)), ("shift", sp.Integer(1), 1, (0.7,)),
    ("div", None, 2, (0.3, -1.2)), ("reciprocal", None, 1, (0.7,)), ("powc", sp.Integer(3), 1, (-0.7,)),
    ("powc", sp.Rational(-3, 2), 1, (0.7,)), ("expc", sp.Integer(2), 1, (0.7,)), ("pow", None, 2, (1.3, 0.4)),
    ("exp", None, 1, (0.7,)), ("log", None, 1, (0.7,)), ("sqrt", None, 1, (0.7,)), ("abs", None, 1, (-0.7,)),
    ("sin", None, 1, (0.7,)), ("cos", None, 1, (0.7,)), ("tanh", None, 1, (1.9,)), ("sigmoid", None, 1, (-0.4,)),
    ("softplus", None, 1, (0.7,)), ("gelu", None, 1, (-0.7,)), ("relu", None, 1, (0.7,)), ("relu", None, 1, (-0.7,)),
    ("leaky_relu", sp.Rational(1, 5), 1, (-0.7,)), ("leaky_relu", None, 1, (0.7,)), ("leaky_relu", None, 2, (-0.7, 0.3)),
    ("elu", sp.Rational(1, 2), 1, (-0.7,)), ("elu", None, 1, (0.7,)), ("elu", None, 2, (-0.7, 1.3)),
    ("swish", None, 1, (-0.7,)), ("step", sp.Integer(0), 1, (0.7,)), ("max", None, 2, (0.3, -1.2)), ("max", None, 3, (0.3, -1.2, 2.0)),
    ("min", None, 2, (0.3, -1.2)), ("floor", None, 1, (2.7,)),
]


H = sp.Float("1e-20", 50)


def along(forward, at, arg, step):
    """The forward form with one argument moved by ``step``, at 50 significant digits."""
    shifted = {a: sp.Float(v, 50) for a, v in at.items()}
    shifted[arg] += step
    return sp.N(forward.xreplace(shifted), 50)


@pytest.mark.parametrize("name, const, arity, point", CASES, ids=lambda v: str(v))
def test_local_derivative_matches_numerical_derivative(name, const, arity, point):
    op = ops.get(name)
    args = (A, B, C)[:arity]
    forward = op.forward(args, const)
    out = sp.Symbol("out", real=True)
    locals_ = op.local(out, args, const)
    assert len(locals_) == arity
    at = dict(zip(args, point))
    for i, local in enumerate(locals_):
        value = sp.N(local.xreplace({out: forward}).xreplace(at), 30)

        numerical = (along(forward, at, args[i], +H) - along(forward, at, args[i], -H)) / (2 * H)
        assert float(value) == pytest.approx(float(numerical), rel=1e-12, abs=1e-12)


def test_canonical_forms_are_written_through_the_output():
    out, x = sp.symbols("out x", real=True)
    assert ops.get("tanh").local(out, (x,), None) == (1 - out**2,)
    assert ops.get("sigmoid").local(out, (x,), None) == (out * (1 - out),)
    assert ops.get("exp").local(out, (x,), None) == (out,)
    assert ops.get("reciprocal").local(out, (x,), None) == (-out**2,)


def test_every_op_has_a_glyph_a_teaching_sentence_and_a_numpy_form():
    for op in ops.REGISTRY.values():
        assert op.glyph and op.latex and op.rule.endswith(".") and callable(op.numpy)


def test_registry_refuses_a_second_record_with_the_same_name():
    with pytest.raises(ValueError, match="registered twice"):
        ops.register(ops.get("add"))


def test_labels_fill_in_the_constant():
    assert ops.get("shift").label(sp.Integer(1)) == "+1"
    assert ops.get("scale").label(sp.Integer(-1)) == "×−1"  # U+2212, a minus sign
    assert ops.get("powc").label(sp.Integer(2)) == "(·)²"  # as a textbook writes a power
    assert ops.get("powc").label(sp.Integer(12)) == "(·)¹²"
    assert ops.get("powc").label(sp.Rational(-1, 2)) == "(·)^(−½)"  # no superscript slash in Unicode
    assert ops.get("powc").label(sp.Rational(-2, 17)) == "(·)^(−2/17)"
    assert ops.get("expc").label(sp.Integer(2)) == "2^(·)"


def test_no_glyph_names_a_variable():
    """Issue 12: the square gate read "x²", which in max_gate (inputs x, y, z, w) reads as x squared;
    a glyph marks its operand's place with (·), so no glyph holds a letter an input could be named."""
    for name, op in ops.REGISTRY.items():
        label = op.label(sp.Integer(2)) if "{c}" in op.glyph else op.label()
        assert not re.search(r"(?<![A-Za-z0-9])[a-z](?![A-Za-z0-9])", label), (name, label)


def test_floor_parses_builds_a_gate_and_passes_no_gradient():
    """⌊(n + 2p − f)/s⌋ + 1, the output-size formula, needs floor as a function op."""
    from symdl.backprop import backprop
    from symdl.parsing import parse

    x = sp.Symbol("x", real=True)
    assert parse("floor(x/2)") == sp.floor(x / 2)
    result = backprop("floor(x/2)", {"x": 7})
    assert float(result.graph.nodes[result.output]["value"]) == 3.0
    assert float(result.graph.nodes["x"]["grad"]) == 0.0
    assert ops.get("floor").numpy(-0.5) == -1.0


def test_a_tensor_gate_shows_its_constant_and_its_operand_place():
    """A network's scale gate wrote ×c, whatever c was, and its transpose a bare ᵀ beside Wᵀ: the glyph
    every printer asks ops.glyph for holds the scale's own constant (1/√2, as a scalar gate writes it) and
    marks the transposed operand's place."""
    import math

    import symdl.tensor.linalg  # noqa: F401  (registers scale and transpose)
    scale = {"op": "scale", "tensor": True, "params": {"c": 1 / math.sqrt(2)}, "const": None}
    assert ops.glyph(scale) == "×1/√2"
    assert ops.glyph({"op": "transpose", "tensor": True, "params": {}, "const": None}) == "(·)ᵀ"
    assert ops.glyph({"op": "leaky_relu", "const": sp.Rational(1, 100)}) == "LeakyReLU(0.01)"  # a rational constant stays exact
    assert ops.glyph({"op": "leaky_relu", "const": sp.Rational(1, 17)}) == "LeakyReLU(1/17)"
