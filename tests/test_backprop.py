"""Forward and backward passes: the seed's circuits with numbers derived by hand
(or by an independent chain-rule calculation in plain Python), and properties
against SymPy's diff of the flat expression and central finite differences."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import assume, given

import symdl
from symdl.backprop import adjoint_symbol, adjoints, gradient_expressions, gradient_program
from symdl.errors import SymdlError
from strategies import SYMBOLS, expressions, points


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def test_add_then_multiply():
    result = symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4})
    assert result.value == -12
    assert result.gradients == {"x": -4, "y": -4, "z": 3}
    (q,) = [n for n in result.to_dict()["nodes"] if n["op"] == "add"]
    assert q == {"id": "q", "op": "add", "inputs": ["x", "y"], "expr": "x + y", "value": 3.0,
                 "local": {"x": 1.0, "y": 1.0}, "grad": -4.0}


def test_add_after_multiply_passes_gradient_to_x():
    """The notes write ∂f/∂x = 0 for f = x + yz; the add gate hands it 1."""
    result = symdl.backprop("x + y*z", at="x=-2,y=5,z=-4")
    assert result.value == -22
    assert result.gradients == {"x": 1, "y": -4, "z": 5}


def test_sigmoid_neuron_gate_by_gate():
    result = symdl.backprop("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", at="w0=2,x0=-1,w1=-3,x1=-2,w2=-3")
    s = sig(2 * -1 + -3 * -2 + -3)  # = σ(1)
    local = s * (1 - s)
    assert result.value == pytest.approx(0.7310585786, abs=1e-10)
    expected = {"w0": -1 * local, "x0": 2 * local, "w1": -2 * local, "x1": -3 * local, "w2": local}
    assert result.gradients == pytest.approx(expected, abs=1e-12)
    assert [round(expected[k], 3) for k in ("w0", "w1", "w2", "x0", "x1")] == [-0.197, -0.393, 0.197, 0.393, -0.59]
    ops = [n["op"] for n in result.to_dict()["nodes"]]
    assert sorted(ops) == sorted(["mul", "mul", "add", "add", "neg", "exp", "shift", "reciprocal"])


def test_fused_sigmoid_neuron_has_one_sigmoid_gate():
    result = symdl.backprop("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", at="w0=2,x0=-1,w1=-3,x1=-2,w2=-3",
                            granularity="fused")
    nodes = result.to_dict()["nodes"]
    assert [n["op"] for n in nodes][-1] == "sigmoid"
    assert "exp" not in [n["op"] for n in nodes]
    s = sig(1)
    assert nodes[-1]["local"] == pytest.approx({nodes[-1]["inputs"][0]: s * (1 - s)})


def test_max_gate_routes_to_the_larger_input():
    result = symdl.backprop("2*(x*y + max(z, w))", at="x=3,y=-4,z=2,w=-1")
    assert result.value == -20
    assert result.gradients == {"w": 0, "x": -8, "y": 6, "z": 2}


def test_vanishing_gradient_through_three_sigmoid_layers():
    steps = ("z1 = w1*x; a1 = sigmoid(z1); z2 = w2*a1; a2 = sigmoid(z2); z3 = w3*a2; a3 = sigmoid(z3); "
             "L = (a3 - y)**2/2")
    result = symdl.backprop(steps, at="x=1,y=1,w1=0.5,w2=0.5,w3=0.5")
    # independent chain rule, by hand
    w, x, y = 0.5, 1.0, 1.0
    a1 = sig(w * x); a2 = sig(w * a1); a3 = sig(w * a2)
    dz3 = (a3 - y) * a3 * (1 - a3)
    dz2 = dz3 * w * a2 * (1 - a2)
    dz1 = dz2 * w * a1 * (1 - a1)
    assert result.value == pytest.approx(0.5 * (a3 - y) ** 2, rel=1e-12)
    assert result.gradients == pytest.approx({"w1": dz1 * x, "w2": dz2 * a1, "w3": dz3 * a2, "x": dz1 * w, "y": y - a3},
                                             rel=1e-12)
    assert abs(result.gradients["x"]) < abs(dz3) / 10  # it vanishes layer by layer
    grads = {n["id"]: n["grad"] for n in result.to_dict()["nodes"]}
    assert grads["a3"] == pytest.approx(a3 - y) and round(a3, 3) == 0.572


def test_exploding_gradient_through_three_relu_layers():
    """The notes end with ∂L/∂x = 155; it is 124 · 5³ = 15500."""
    steps = "f1 = x*w1; f2 = relu(f1); f3 = w2*f2; f4 = relu(f3); f5 = w3*f4; f6 = relu(f5); f7 = f6 - y; f8 = f7**2; f9 = f8/2"
    result = symdl.backprop(steps, at="x=1,y=1,w1=5,w2=5,w3=5")
    assert result.value == 7688
    assert result.gradients["x"] == 15500
    assert result.gradients["w1"] == 124 * 25
    grads = {n["id"]: n["grad"] for n in result.to_dict()["nodes"]}
    assert grads["f7"] == 124 and grads["f8"] == 0.5


def test_fan_out_sums_gradients():
    result = symdl.backprop("q = x*y; f = q + sigmoid(q)", at="x=0.5,y=2")
    s = sig(1.0)
    assert result.gradients["x"] == pytest.approx((1 + s * (1 - s)) * 2)


def test_other_output_node():
    result = symdl.backprop("q = x + y; f = q*z", at="x=-2,y=5,z=-4", output="q")
    assert result.value == 3 and result.gradients == {"x": 1, "y": 1, "z": 0}


def test_extreme_inputs_stay_finite():
    result = symdl.backprop("sigmoid(x)", at="x=-1000")
    assert 0 <= result.value < 1e-300  # e^-1000 ≈ 5e-435 underflows a float to 0
    assert math.isfinite(result.gradients["x"])


@pytest.mark.parametrize("expr, at, message", [
    ("log(x)", "x=-1", "not a real number"),
    ("1/x", "x=0", r"f = 1/x has a pole at this point \(x = 0\)"),
    ("x + y", "x=1", "no value given for y"),
    ("x + y", "x=1,y=2,z=3", "does not use"),
])
def test_bad_points_are_clear_errors(expr, at, message):
    with pytest.raises(SymdlError, match=message):
        symdl.backprop(expr, at=at)


def test_symbolic_adjoints_are_written_through_node_symbols():
    graph = symdl.build_graph("(x + y)*z")
    q, z = sp.symbols("q z", real=True)
    assert adjoints(graph)["q"] == adjoint_symbol("f") * z
    assert str(adjoints(graph)["q"]) == "grad_f*z"  # printed as before, but not the input of that name:
    assert adjoint_symbol("f") != sp.Symbol("grad_f", real=True)
    assert gradient_expressions(graph, ["x", "z"]) == [z, sp.Symbol("x", real=True) + sp.Symbol("y", real=True)]


def test_gradient_program_keeps_symbols_and_only_the_assignments_it_needs():
    graph = symdl.build_graph("q = x + y; r = w*w; f = q*z + r")
    steps, gradients = gradient_program(graph, ["x", "z"])
    targets = [t.name for t, _ in steps]
    assert gradients == [adjoint_symbol("x"), adjoint_symbol("z")]
    assert "r" not in targets and "grad_w" not in targets  # nothing asked for needs them
    assert all(len(rhs.free_symbols) <= 3 for _, rhs in steps)  # symbols, never substituted closed forms
    x, y, z, w = sp.symbols("x y z w", real=True)
    assert gradient_expressions(graph, ["x", "z", "w"]) == [z, x + y, 2 * w]


def test_gradient_program_size_is_linear_in_a_deep_chain():
    """400 named sigmoid layers: the flat expression is never built, the program stays small."""
    layers = [(f"a{i}", symdl.sigmoid(sp.Symbol(f"w{i}", real=True) * sp.Symbol(f"a{i - 1}" if i else "x", real=True)))
              for i in range(400)]
    graph = symdl.build_graph(layers, "fused")
    steps, gradients = gradient_program(graph, [f"w{i}" for i in range(400)])
    assert "expression" not in graph.graph  # built only when read
    assert len(steps) <= 3 * graph.number_of_nodes()
    assert sum(sp.count_ops(rhs) for _, rhs in steps) <= 6 * graph.number_of_nodes()


def _at(point):
    return dict(zip(SYMBOLS, (sp.Float(v, 30) for v in point)))


def _ties(expr: sp.Expr, subs: dict) -> bool:
    """Whether two arguments of a max or min are equal here: a corner, where no derivative exists and
    the gradient is a convention (symdl splits it among the tied arguments, SymPy's H(0) = 1/2 another)."""
    for call in expr.atoms(sp.Max, sp.Min):
        values = [sp.N(arg.xreplace(subs), 30) for arg in call.args]
        gaps = [abs(a - b) for i, a in enumerate(values) for b in values[i + 1:]]
        if any(gap.is_extended_real and gap < 1e-20 for gap in gaps):  # a NaN or zoo gap is no tie
            return True
    return False


@given(expressions, points)
def test_gradients_match_sympy_diff_of_the_flat_expression(expr, point):
    assume(expr.free_symbols)
    subs = _at(point)
    assume(not _ties(expr, subs))
    try:
        result = symdl.backprop(expr, at={s.name: v for s, v in subs.items() if s in expr.free_symbols})
    except SymdlError:  # undefined at this point (e.g. a kink's derivative); sympy must agree it is not finite
        return
    for s in expr.free_symbols:
        expected = sp.N(sp.diff(expr, s).xreplace(subs), 30)
        assume(expected.is_finite and expected.is_real)
        assert result.gradients[s.name] == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


def _passes_a_kink(expr, subs) -> bool:
    """Whether some part of ``expr`` sits on its kink at the point: a tie of max/min, or 0 in relu, |·|, H.
    There the chain rule uses a subgradient (PyTorch's convention), which a difference of the whole need
    not show."""
    for part in sp.preorder_traversal(expr):
        if isinstance(part, (sp.Max, sp.Min)):
            values = [a.xreplace(subs).evalf(30) for a in part.args]
            if any(abs(a - b) < 1e-20 for i, a in enumerate(values) for b in values[i + 1:]):
                return True
        elif part.is_Function and type(part).__name__ in ("relu", "leaky_relu", "Abs", "Heaviside", "sign"):
            if abs(part.args[0].xreplace(subs).evalf(30)) < 1e-20:
                return True
    return False


@given(expressions, points)
def test_gradients_match_central_differences(expr, point):
    assume(expr.free_symbols)
    subs = _at(point)
    try:
        result = symdl.backprop(expr, at={s.name: v for s, v in subs.items() if s in expr.free_symbols})
    except SymdlError:
        return
    assume(not _passes_a_kink(expr, subs))  # f = min(x, relu(x)) is smooth at 0, but its relu is not there
    h = sp.Float("1e-12", 30)
    for s in expr.free_symbols:
        left = (expr.xreplace(subs) - expr.xreplace({**subs, s: subs[s] - h})).evalf(30) / h
        right = (expr.xreplace({**subs, s: subs[s] + h}) - expr.xreplace(subs)).evalf(30) / h
        assume(abs(left - right) < 1e-6)  # smooth here: not on a kink of relu, abs, max
        assert result.gradients[s.name] == pytest.approx(float((left + right) / 2), rel=1e-6, abs=1e-6)
