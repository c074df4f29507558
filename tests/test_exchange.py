"""Graphs handed to other tools (networkx's GraphML and node-link JSON) and graphs built by hand."""

from __future__ import annotations

import io
import json

import networkx as nx
import numpy as np
import pytest

import symdl
from symdl.exchange import to_networkx
from symdl.nn import Linear, Network


def _roundtrip_graphml(graph: nx.DiGraph) -> nx.DiGraph:
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer)
    buffer.seek(0)
    return nx.read_graphml(buffer)


def test_backprop_graph_round_trips_through_graphml_with_its_numbers():
    result = symdl.backprop("(x + y)*z", at="x=-2,y=5,z=-4")
    back = _roundtrip_graphml(to_networkx(result))
    # hand derivation: q = x + y = 3, f = q z = -12, df/dx = z = -4, df/dz = q = 3
    assert back.nodes["f"]["value"] == -12.0
    assert back.nodes["x"]["grad"] == -4.0 and back.nodes["z"]["grad"] == 3.0
    assert back.nodes["q"]["inputs"] == "x,y" and back.nodes["q"]["op"] == "add"
    assert back.edges["z", "f"]["local_value"] == 3.0
    assert back.graph["output"] == "f"


def test_every_attribute_is_plain_and_node_link_json_serialises():
    result = symdl.backprop("sigmoid(w*x + b)", at="w=2,x=-1,b=0.5")
    plain = to_networkx(result)
    for _, data in [*plain.nodes(data=True), *((None, d) for *_, d in plain.edges(data=True)), (None, plain.graph)]:
        assert all(type(v) in (str, int, float, bool) for v in data.values()), data
    document = json.loads(json.dumps(nx.node_link_data(plain, edges="links")))
    values = {n["id"]: n.get("value") for n in document["nodes"]}
    z = 2 * -1 + 0.5
    assert values[result.output] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-12)


def test_tensor_network_arrays_become_json_text():
    net = Network()
    x = net.input("x", [1.0, -2.0])
    a = net.apply("sigmoid", Linear(2, 2, seed=0)(net, x, name="fc"))
    loss = net.apply("sum", a, name="L")
    net.backward(loss)
    back = _roundtrip_graphml(to_networkx(net))
    assert json.loads(back.nodes["x"]["value"]) == [1.0, -2.0]
    np.testing.assert_allclose(json.loads(back.nodes[a]["value"]), net.value(a), rtol=0, atol=0)


def test_a_hand_built_graph_is_refused_with_a_clear_message():
    graph = nx.DiGraph()
    graph.add_edge("x", "f")
    with pytest.raises(symdl.SymdlError, match="lacks the graph's 'output' node.*symdl.build_graph"):
        symdl.backprop(graph, at="x=1")
    graph.graph["output"] = "f"
    with pytest.raises(symdl.SymdlError, match="node 'x''s 'kind'"):
        symdl.backprop(graph, at="x=1")


def test_a_built_graph_still_passes_through():
    graph = symdl.build_graph("x*y")
    assert symdl.backprop(graph, at="x=3,y=4").gradients == {"x": 4.0, "y": 3.0}


def test_to_networkx_refuses_other_objects():
    with pytest.raises(TypeError, match="not int"):
        to_networkx(3)
