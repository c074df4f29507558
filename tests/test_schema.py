"""Scalar graphs and tensor networks follow the one node schema of symdl.schema."""

from __future__ import annotations

import numpy as np
import sympy as sp

import symdl
from symdl import schema
from symdl.nn.recurrent import LSTMCell, lstm_unroll
from symdl.tensor.network import Network


def test_the_docstring_table_lists_every_key_of_the_schema():
    for key in schema.NODE_SCHEMA:
        assert f"``{key.name}``" in schema.__doc__


def test_every_node_of_an_evaluated_scalar_graph_follows_the_schema():
    result = symdl.backprop("leaky_relu(w*x + b, 0.2) + log(1 + exp(x))*x", at="w=1.5,x=-2,b=0.25")
    graph = result.graph
    assert graph.graph["expression"] is not None  # every op node now has its ``flat`` as well
    assert schema.violations(graph, evaluated=True) == []
    assert {d["shape"] for _, d in graph.nodes(data=True)} == {()}  # a scalar is a rank-0 tensor
    leaky = next(d for _, d in graph.nodes(data=True) if d.get("op") == "leaky_relu")
    assert leaky["params"] == {"slope": sp.Rational(1, 5)} and leaky["tensor"] is False


def test_every_node_of_a_tensor_network_follows_the_schema():
    rng = np.random.default_rng(3)
    net = Network()
    cell = LSTMCell(3, 2, seed=1, layout="columns")
    unrolled = lstm_unroll(net, cell, [rng.standard_normal((3, 4)) for _ in range(2)])
    probabilities = net.apply("softmax", unrolled.hs[-1], axis=0)
    leaky = net.apply("leaky_relu", probabilities, slope=0.1)
    loss = net.apply("half_sse", leaky, net.constant("target", np.zeros((2, 4))), name="L")
    net.backward(loss)
    assert schema.violations(net.graph, evaluated=True) == []
    assert net.graph.nodes[leaky]["params"] == {"slope": 0.1}
    assert net.graph.nodes[loss]["shape"] == ()


def test_the_check_finds_what_breaks_the_schema():
    graph = symdl.backprop("x*y", at="x=1,y=2").graph
    node = next(n for n, d in graph.nodes(data=True) if d["kind"] == "op")
    graph.nodes[node]["colour"] = "red"
    del graph.nodes[node]["shape"]
    graph.nodes["x"]["op"] = "mul"
    graph.nodes["y"]["grad"] = np.ones(3)
    found = schema.violations(graph)
    assert f"{node}: 'colour' is not in the node schema" in found
    assert f"{node}: 'shape' is missing" in found
    assert "x: 'op' belongs on op nodes only" in found
    assert "y: grad has shape (3,), not ()" in found
