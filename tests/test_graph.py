"""Decomposing expressions into computational graphs at each granularity."""

from __future__ import annotations

import networkx as nx
import pytest
import sympy as sp

import symdl
from symdl.errors import LimitError, SymdlError
from symdl.graph import inputs, op_nodes
from symdl.limits import limited

x, y, z = sp.symbols("x y z", real=True)


def ops_of(graph):
    return [graph.nodes[n]["op"] for n in op_nodes(graph)]


def test_lecture_gates_for_the_sigmoid_neuron():
    graph = symdl.build_graph("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))")
    assert sorted(ops_of(graph)) == sorted(["mul", "mul", "add", "add", "neg", "exp", "shift", "reciprocal"])
    assert ops_of(graph)[-4:] == ["neg", "exp", "shift", "reciprocal"]
    shift = op_nodes(graph)[-2]
    assert graph.nodes[shift]["const"] == 1
    assert graph.graph["output"] == "f" and op_nodes(graph)[-1] == "f"
    assert inputs(graph) == ["w0", "w1", "w2", "x0", "x1"]


def test_ops_granularity_keeps_nary_sums():
    graph = symdl.build_graph("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", granularity="ops")
    adds = [n for n in op_nodes(graph) if graph.nodes[n]["op"] == "add"]
    assert len(adds) == 1 and len(graph.nodes[adds[0]]["inputs"]) == 3


@pytest.mark.parametrize("text, fused", [
    ("1/(1 + exp(-(w*x + b)))", "sigmoid"),
    ("(exp(x) - exp(-x))/(exp(x) + exp(-x))", "tanh"),
    ("log(1 + exp(x))", "softplus"),
])
def test_fused_granularity_makes_one_gate_of_an_activation(text, fused):
    graph = symdl.build_graph(text, granularity="fused")
    assert ops_of(graph)[-1] == fused
    assert "exp" not in ops_of(graph)


def test_a_single_intermediate_is_q_and_the_output_f():
    graph = symdl.build_graph("(x + y)*z")
    assert op_nodes(graph) == ["q", "f"]
    assert graph.nodes["f"]["expr"] == sp.Symbol("q", real=True) * z
    assert graph.edges["q", "f"]["local"] == z
    assert graph.edges["z", "f"]["local"] == sp.Symbol("q", real=True)


def test_names_never_collide_with_inputs():
    graph = symdl.build_graph("(f + q)*q1")
    assert set(op_nodes(graph)).isdisjoint({"f", "q", "q1"})
    assert sorted(inputs(graph)) == ["f", "q", "q1"]


def test_named_steps_keep_their_names_and_share_nodes():
    graph = symdl.build_graph("q = x + y; f = q*z + q")
    assert "q" in graph and graph.graph["output"] == "f"
    assert graph.out_degree("q") == 2  # fan-out: used by the product and the sum
    assert graph.graph["expression"] == (x + y) * z + x + y


def test_repeated_operand_sums_its_local_gradients():
    graph = symdl.build_graph("x**x")
    (node,) = op_nodes(graph)
    assert graph.nodes[node]["op"] == "pow"
    local = graph.edges["x", node]["local"].xreplace({graph.nodes[node]["symbol"]: x**x})
    assert sp.simplify(local - sp.diff(x**x, x)) == 0


def test_common_subexpressions_become_one_node():
    graph = symdl.build_graph(sigmoid_sq := "sigmoid(x*y) + sigmoid(x*y)**2")
    muls = [n for n in op_nodes(graph) if graph.nodes[n]["op"] == "mul"]
    assert len(muls) == 1, sigmoid_sq


def test_graph_is_acyclic_and_flat_expressions_match():
    expr = sp.tanh(x * y + z) / (1 + sp.exp(-x)) - sp.Max(x, z) ** 2
    graph = symdl.build_graph(expr)
    assert nx.is_directed_acyclic_graph(graph)
    assert graph.graph["expression"] == expr
    for node in op_nodes(graph):
        data = graph.nodes[node]
        operands = {graph.nodes[i]["symbol"]: graph.nodes[i]["flat"] for i in data["inputs"]}
        assert data["expr"].xreplace(operands) == data["flat"]


def test_deep_expressions_do_not_hit_the_recursion_limit():
    expr = x
    for _ in range(3000):
        expr = symdl.sigmoid(expr)
    graph = symdl.build_graph(expr)
    assert len(op_nodes(graph)) == 3000


def test_graph_size_is_bounded():
    with limited(max_nodes=10):
        with pytest.raises(LimitError, match="max_nodes"):
            symdl.build_graph(sum(sp.tanh(sp.Symbol(f"x{i}", real=True)) for i in range(20)))


@pytest.mark.parametrize("bad", [
    "q = x; f = q*2",  # a step that only renames
    "q = x + y; r = x + y; f = q*r",  # two names for one value
])
def test_bad_steps(bad):
    with pytest.raises(SymdlError):
        symdl.build_graph(bad)


def test_unknown_granularity():
    with pytest.raises(SymdlError, match="granularity"):
        symdl.build_graph("x", granularity="atoms")


def test_the_flat_expression_keeps_a_product_as_the_graph_has_it():
    """2·(xy + max(z, w)) is a ×2 gate after the sum, and the expression printed beside the circuit says
    so: SymPy would distribute it into 2xy + 2max(z, w) (structure checked by hand)."""
    flat = symdl.backprop("2*(x*y + max(z, w))", at={"x": 3, "y": -4, "z": 2, "w": -1}).graph.graph["expression"]
    assert isinstance(flat, sp.Mul) and sorted(map(type, flat.args), key=str) == sorted([sp.Integer, sp.Add], key=str)
