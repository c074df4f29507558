"""One node schema for scalar graphs (:mod:`symdl.graph`) and tensor networks
(:mod:`symdl.tensor.network`): a scalar is a rank-0 tensor, so both kinds of node carry
the same keys with the same meaning, and every printer and the worksheet read them alike.

The table below is generated from :data:`NODE_SCHEMA`, which :func:`violations` checks a
graph against, so the documentation and the check cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import networkx as nx
import numpy as np
import sympy as sp

KINDS = ("input", "parameter", "constant", "op")  # scalar graphs have no "parameter" leaves


@dataclasses.dataclass(frozen=True)
class Key:
    """A node attribute: which nodes carry it, when, its types and who writes it."""

    name: str
    types: tuple[type, ...]
    nodes: str  # "every" or "op"
    when: str  # "built" (always there), "evaluated" (after a forward pass or backward), "optional"
    writer: str
    meaning: str


_NUMBER = (sp.Basic, float, int, np.ndarray, np.generic)

#: Every key a node may carry; a key not listed here is a schema violation.
NODE_SCHEMA: tuple[Key, ...] = (
    Key("kind", (str,), "every", "built", "graph builder / Network leaf or apply",
        "one of " + ", ".join(KINDS)),
    Key("symbol", (sp.Basic,), "every", "built", "graph builder / Network.graph",
        "the node in formulas: a Symbol (rank 0; a number for a scalar constant), a column "
        "MatrixSymbol (rank 1), a MatrixSymbol (rank 2), a name (rank ≥ 3)"),
    Key("shape", (tuple,), "every", "built", "graph builder / Network leaf or apply",
        "the array shape; () for a scalar"),
    Key("op", (str,), "op", "built", "graph builder / Network.apply",
        "the record's name in symdl.ops or symdl.tensor.registry"),
    Key("tensor", (bool,), "op", "built", "graph builder / Network.apply",
        "whether ``op`` is a tensor record (else a scalar one, element-wise on arrays)"),
    Key("inputs", (tuple,), "op", "built", "graph builder / Network.apply",
        "operand node ids in argument order"),
    Key("params", (dict,), "op", "built", "graph builder / Network.apply",
        "the op's declared keyword parameters ({'slope': 0.2}); {} for none"),
    Key("const", (sp.Basic, float, int, type(None)), "op", "built", "graph builder / Network.apply",
        "the constant folded into a scalar gate (+1, ×2, the slope), else None"),
    Key("expr", (sp.Basic,), "op", "built", "graph builder / Network.graph",
        "the value in terms of the operands' symbols (q·z, W x, σ(z))"),
    Key("flat", (sp.Basic,), "every", "optional", "graph.expression / Network.graph (leaves)",
        "the node in terms of the leaves; op nodes of a scalar graph get it when "
        "the graph's expression is first read"),
    Key("value", _NUMBER, "every", "evaluated", "backprop (SymPy number) / Network (ndarray)",
        "the node's number at the point"),
    Key("grad", _NUMBER, "every", "evaluated", "backprop / Network.backward",
        "∂output/∂node, the node's shape; absent where the output does not depend on it"),
    Key("grad_form", (sp.Basic,), "every", "optional", "Network.graph after backward",
        "∂output/∂node as the sum of its consumers' VJP forms"),
)
_BY_NAME = {key.name: key for key in NODE_SCHEMA}


def _table() -> str:
    rows = [(f"``{k.name}``", k.nodes, k.when, k.writer, k.meaning) for k in NODE_SCHEMA]
    header = ("key", "nodes", "present", "written by", "meaning")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule, "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join([*lines, rule])


__doc__ = f"{__doc__}\n{_table()}\n"


def violations(graph: nx.DiGraph, evaluated: bool = False) -> list[str]:
    """What in ``graph``'s nodes breaks :data:`NODE_SCHEMA` (empty when it holds); with
    ``evaluated``, every node must also have its ``value``."""
    found = []
    for node, data in graph.nodes(data=True):
        op = data.get("kind") == "op"
        for name, value in data.items():
            key = _BY_NAME.get(name)
            if key is None:
                found.append(f"{node}: {name!r} is not in the node schema")
            elif key.nodes == "op" and not op:
                found.append(f"{node}: {name!r} belongs on op nodes only")
            elif not isinstance(value, key.types):
                found.append(f"{node}: {name!r} is a {type(value).__name__}")
        for key in NODE_SCHEMA:
            due = key.when == "built" or (evaluated and key.name == "value")
            if due and (key.nodes == "every" or op) and key.name not in data:
                found.append(f"{node}: {key.name!r} is missing")
        found += _consistency(node, data)
    return found


def _consistency(node: str, data: dict) -> list[str]:
    """The checks across keys: a known kind, a value and gradient of the node's shape."""
    found = [] if data.get("kind") in KINDS else [f"{node}: kind {data.get('kind')!r}"]
    shape: Optional[tuple] = data.get("shape")
    for name in ("value", "grad"):
        if name in data and shape is not None and np.shape(_plain(data[name])) != shape:
            found.append(f"{node}: {name} has shape {np.shape(_plain(data[name]))}, not {shape}")
    return found


def _plain(value):
    return float(value) if isinstance(value, sp.Basic) else value
