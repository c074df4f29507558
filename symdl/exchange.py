"""Graphs for other tools: every attribute as a plain ``str``, ``int``, ``float`` or ``bool``.

symdl's graphs hold SymPy objects and NumPy arrays in their attributes, which
``networkx.write_graphml`` and ``json.dumps(node_link_data(...))`` cannot store.
:func:`to_networkx` copies a graph with each attribute made plain: a number
becomes a float, an expression its text, an array its JSON, a tuple of node
ids a comma-separated string; ``None`` is left out.
"""

from __future__ import annotations

import json
import numbers
from typing import Any, Optional

import networkx as nx
import numpy as np
import sympy as sp


def to_networkx(source: Any) -> nx.DiGraph:
    """A plain copy of the graph of ``source``: a :class:`~symdl.backprop.Backprop` result, a
    tensor :class:`~symdl.tensor.network.Network` or a graph from :func:`symdl.build_graph`."""
    graph = getattr(source, "graph", source)
    if not isinstance(graph, nx.DiGraph):
        raise TypeError(f"to_networkx takes a backprop result, a network or a graph, not {type(source).__name__}")
    plain = nx.DiGraph()
    plain.graph.update(_plain_attributes(graph.graph))
    for node, data in graph.nodes(data=True):
        plain.add_node(str(node), **_plain_attributes(data))
    for u, v, data in graph.edges(data=True):
        plain.add_edge(str(u), str(v), **_plain_attributes(data))
    return plain


def _plain_attributes(data: dict) -> dict:
    converted = ((str(key), plain_value(value)) for key, value in data.items())
    return {key: value for key, value in converted if value is not None}


def plain_value(value: Any) -> Optional[str | int | float | bool]:
    """``value`` as one GraphML-storable scalar (``None`` for ``None``)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray):
        return float(value) if value.size == 1 else json.dumps(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, sp.Basic):
        return float(value) if value.is_number and value.is_real and value.is_finite else str(value)
    if isinstance(value, (tuple, list)):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps({str(k): plain_value(v) for k, v in value.items()})
    return str(value)
