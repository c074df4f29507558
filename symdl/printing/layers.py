"""A network's circuit at a chosen depth, as torchview draws a model: layers as blocks.

Network nodes are named by layer, with dots: ``fc1.Wx`` and ``fc1.weight`` belong to layer
``fc1``, whose output is the node ``fc1``. At ``depth`` d a node is drawn as the block named by
the first d parts of its name (depth 0: one block for the whole network); a block holds the
layer's ops and its own parameters, and shows the value and gradient of the layer's output.
A name with fewer parts than d stays a node of its own, so a large depth draws every op.

A block node has ``kind`` ``"block"`` and the keys a printer reads from a node:

============  ================================================================
``members``   the nodes it holds, in topological order
``inputs``    the nodes outside it that feed it, in the order they are first used
``ops``       the op labels of its members (``@``, ``+``, ``σ``), in order
``holds``     its parameters and constants, as (symbol, shape): a printer writes their names
``primary``   the member whose value and gradient it shows (the layer's output)
``value``     ``grad``, ``shape``, ``symbol``: those of ``primary``
============  ================================================================

An edge into or out of a block carries no local gradient: the layer's Jacobian is not one
edge's; the table below the circuit lists every op's.
"""

from __future__ import annotations

import networkx as nx

from symdl import graph as graphs
from symdl import ops

NETWORK = "network"  # the block's name at depth 0


def block_of(node: str, depth: int) -> str:
    """The block ``node`` belongs to at ``depth``: its name's first ``depth`` parts."""
    return ".".join(node.split(".")[:depth]) if depth > 0 else NETWORK


def collapse(graph: nx.DiGraph, depth: int) -> nx.DiGraph:
    """``graph`` with each layer at ``depth`` drawn as one block node (see the module docstring).
    A group of one op stays that op, so nothing is hidden where nothing would be saved."""
    order = graphs.topological_order(graph)
    groups: dict[str, list[str]] = {}
    for node in order:
        name = block_of(node, depth)
        if graph.nodes[node]["kind"] == "op" or _layer_leaf(graph, node, name, depth):
            groups.setdefault(name, []).append(node)
    groups = {name: members for name, members in groups.items()
              if sum(graph.nodes[m]["kind"] == "op" for m in members) > 1}
    where = {m: name for name, members in groups.items() for m in members}
    drawn = nx.DiGraph(**graph.graph, collapsed_from=graph)  # for the names of nodes inside blocks
    for node in order:
        name = where.get(node, node)
        if name in drawn:
            continue
        drawn.add_node(name, **(_block(graph, name, groups[name], where) if name in groups else graph.nodes[node]))
    for u, w, data in graph.edges(data=True):
        tail, head = where.get(u, u), where.get(w, w)
        if tail != head:
            drawn.add_edge(tail, head, **(data if (tail, head) == (u, w) else {}))
    for node, data in drawn.nodes(data=True):
        if data["kind"] == "op":  # an op fed by a block now reads from the block
            data["inputs"] = tuple(where.get(i, i) for i in data["inputs"])
    return drawn


def _layer_leaf(graph: nx.DiGraph, node: str, name: str, depth: int) -> bool:
    """A parameter or constant used only in its own layer (``fc1.weight``) is drawn inside the block."""
    return graph.nodes[node]["kind"] in ("parameter", "constant") and graph.out_degree(node) > 0 \
        and all(block_of(c, depth) == name for c in graph.successors(node))


def _block(graph: nx.DiGraph, name: str, members: list[str], where: dict[str, str]) -> dict:
    inside = set(members)
    op_members = [m for m in members if graph.nodes[m]["kind"] == "op"]
    leaving = [m for m in op_members if any(c not in inside for c in graph.successors(m))]
    primary = name if name in inside else (leaving or op_members)[-1]
    data = graph.nodes[primary]
    feeding = [i for m in op_members for i in graph.nodes[m]["inputs"] if i not in inside]
    block = {"kind": "block", "members": tuple(members), "inputs": tuple(dict.fromkeys(where.get(i, i) for i in feeding)),
             "ops": tuple(ops.glyph(graph.nodes[m]) for m in op_members),
             "holds": tuple((graph.nodes[m]["symbol"], graph.nodes[m]["shape"]) for m in members if m not in op_members),
             "primary": primary, "shape": data["shape"], "symbol": data["symbol"], "value": data["value"]}
    if "grad" in data:
        block["grad"] = data["grad"]
    return block
