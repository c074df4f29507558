"""What a circuit shows, decided once for its two printers (DOT for the browser, TikZ for the page).

A :class:`View` is the graph to draw; :class:`Options` say which numbers it carries. From them come
each box's title, value and gradient (``shown_*``), each wire's local gradient and where a long
label breaks (:func:`local_lines`, :func:`breaks_box`), and the legend's rows (a value's line itself,
``∈ ℝ²ˣ²  ‖·‖ = 0.304``, is :func:`symdl.printing.values.value_text`): both printers read these, so
the SVG and the PDF say the same things.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Union

import networkx as nx
import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Backprop
from symdl.numbers import MINUS, shown
from symdl.errors import SymdlError
from symdl.printing import layers
from symdl.printing.names import node_symbol
from symdl.printing.text import text
from symdl.printing.values import value_text

VALUE_COLOUR = "#1b7837"  # dark green: forward values
GRAD_COLOUR = "#b2182b"  # dark red: gradients, global and local
RANKDIRS = ("LR", "RL", "TB", "BT")
Source = Union[Backprop, nx.DiGraph]


@dataclasses.dataclass(frozen=True)
class Options:
    """What a circuit shows; shared by the DOT and TikZ printers so both draw the same."""

    values: bool = True
    local: bool = True
    grad: bool = True
    symbolic: bool = True
    rankdir: str = "LR"
    depth: Optional[int] = None  # a network's layers drawn as blocks down to this depth; None: every op
    narrow: bool = False  # long labels broken into lines, for a page (TikZ); a browser scrolls instead

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise SymdlError(f"unknown rankdir {self.rankdir!r}; choose one of {', '.join(RANKDIRS)}")
        if self.depth is not None and (not isinstance(self.depth, int) or self.depth < 0):
            raise SymdlError(f"depth must be a whole number ≥ 0, not {self.depth!r}")


@dataclasses.dataclass(frozen=True)
class View:
    """The graph to draw, its output node, and whether it carries numbers; for one row of a long
    circuit, ``whole`` is the graph the row is cut from (the output may be in another row)."""

    graph: nx.DiGraph
    output: str
    annotated: bool
    whole: Optional[nx.DiGraph] = None

    def symbol(self, node: str) -> sp.Basic:
        """The symbol ``node`` is written by (:func:`symdl.printing.names.node_symbol`), also for the
        output drawn in another row and a node inside a layer block."""
        return node_symbol(node, self.graph, self.whole)

    def name(self, node: str) -> str:
        """``node`` as a person reads it in a label: its symbol as the text printer writes it (θ₀,₁, c₁, z_hi)."""
        return text(self.symbol(node))

    def ids(self) -> dict[str, str]:
        """The DOT ids of the whole graph's nodes, so a node has one id in every row it is drawn in."""
        return node_ids(self.graph if self.whole is None else self.whole)


def view(source: Source, depth: Optional[int] = None) -> View:
    """A ``Backprop`` or a ``Network`` after its backward pass (numbers shown), or a bare
    graph from ``symdl.build_graph`` (names only); with a ``depth``, layers drawn as blocks."""
    if isinstance(source, nx.DiGraph) and "output" in source.graph:
        return View(_at_depth(source, depth), source.graph["output"], False)
    if isinstance(getattr(source, "graph", None), nx.DiGraph) and len(source.graph):
        output = getattr(source, "output", None) or graphs.topological_order(source.graph)[-1]  # before backward
        return View(_at_depth(source.graph, depth), output, True)
    raise SymdlError(f"a circuit is drawn from a Backprop result, a Network after backward or a graph "
                     f"from symdl.build_graph, not {type(source).__name__}")


def _at_depth(graph: nx.DiGraph, depth: Optional[int]) -> nx.DiGraph:
    return graph if depth is None else layers.collapse(graph, depth)


def node_ids(graph: nx.DiGraph) -> dict[str, str]:
    """DOT ids ``n0, n1, …`` in topological order; user names never become DOT ids."""
    return {node: f"n{i}" for i, node in enumerate(graphs.topological_order(graph))}


def is_leaf(data: dict) -> bool:
    """An input, parameter or constant: a node with no gate and no block."""
    return data["kind"] not in ("op", "block")


def edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Every edge once, grouped by result in topological order, operands in argument order."""
    return [(u, node) for node in graphs.topological_order(graph) if not is_leaf(graph.nodes[node])
            for u in dict.fromkeys(graph.nodes[node]["inputs"]) if graph.has_edge(u, node)]


BOX_LINE = 16  # characters; a longer ``∂f/∂x = value`` line in a box puts the value on a line of its own


def breaks_box(name: str, value, narrow: bool) -> bool:
    """Whether a narrow box writes ``name`` (``∂f/∂x0``) on a line of its own, ``= value`` below it,
    so that a long line does not widen the box and its rank; both printers break the same boxes."""
    return narrow and len(f"{name} {value_text(value, narrow)}") > BOX_LINE


def value_beside_name(v: View, node: str, options: Options) -> bool:
    """Whether a narrow leaf writes its value on its name's line (``w0 = 2``): a short leaf saves a
    line, and a column of leaves is what makes a row of a long circuit tall; both printers ask."""
    value = shown_value(v, node, options)
    if not options.narrow or value is None or not is_leaf(v.graph.nodes[node]):
        return False
    return len(f"{title(v, node)} {value_text(value, narrow=True)}") <= BOX_LINE




def shown_value(v: View, node: str, options: Options) -> Optional[sp.Expr]:
    """The forward value to print, if any (not for constants: their name is their value)."""
    data = v.graph.nodes[node]
    if options.values and v.annotated and data["kind"] != "constant" and not data.get("continued"):
        return data["value"]
    return None


def shown_grad(v: View, node: str, options: Options) -> Optional[sp.Expr]:
    """The global gradient ∂output/∂node, if shown and defined (nodes after the output have none)."""
    data = v.graph.nodes[node]
    return data.get("grad") if options.grad and v.annotated and not data.get("continued") else None


def shown_local(v: View, u: str, w: str, options: Options) -> tuple[Optional[sp.Expr], Optional[sp.Expr]]:
    """(symbolic, evaluated) local gradient ∂w/∂u to print; either may be ``None``.
    A local that is already a number is printed once, as a number."""
    if not options.local:
        return None, None
    data = v.graph.edges[u, w]
    if "local" not in data:  # an edge into or out of a layer block
        return None, None
    symbolic = data["local"] if options.symbolic else None
    value = data.get("local_value") if v.annotated else None
    if isinstance(value, np.ndarray) and value.size != 1:
        value = None  # a Jacobian's numbers go in the table below the circuit; the edge names its form
    if symbolic is not None and symbolic.is_Number and value is not None:
        symbolic = None
    return symbolic, value


def partial(v: View, top: str, bottom: str) -> str:
    """``∂f/∂x`` in the nodes' names: a wire's local gradient, a box's global one."""
    return f"∂{v.name(top)}/∂{v.name(bottom)}"


def title(v: View, node: str) -> str:
    """A node's plain-text title: ``q  +`` for a gate, ``z₁  [@ +]`` for a layer, the name for a leaf."""
    data, name = v.graph.nodes[node], v.name(node)
    if data["kind"] == "op" and not data.get("continued"):
        return f"{name}  {ops.glyph(data)}"
    if data["kind"] == "block" and not data.get("continued"):
        return f"{name}  [{block_ops(data)}]"
    return name


BLOCK_OPS = 6  # a layer block lists this many op glyphs; a bigger one, how many ops of which kinds


def block_ops(data: dict) -> str:
    """A layer block's ops as a title says them: ``· + σ``, or ``18 ops: · + σ tanh ⊙``."""
    if len(data["ops"]) <= BLOCK_OPS:
        return " ".join(data["ops"])
    return f"{len(data['ops'])} ops: {' '.join(dict.fromkeys(data['ops']))}"


def legend_rows(v: View, options: Options) -> list[tuple[str, str, str]]:
    """(id, text, colour) of each legend line, for the colours actually used."""
    rows = []
    if any(shown_value(v, n, options) is not None for n in v.graph):
        rows.append(("legend_value", "forward value", VALUE_COLOUR))
    if any(shown_grad(v, n, options) is not None for n in v.graph):
        rows.append(("legend_grad", f"global gradient ∂{v.name(v.output)}/∂node", GRAD_COLOUR))
    if any(shown_local(v, u, w, options) != (None, None) for u, w in v.graph.edges):
        rows.append(("legend_local", "local gradient (on an edge)", GRAD_COLOUR))
    return rows


LABEL_LINE = 10  # characters of an edge label's line; a longer label is broken at its "=" signs
WIDE_LABEL_LINE = 40  # the same where the picture may scroll (SVG): only a label wider than a box is broken


def local_parts(v: View, u: str, w: str, options: Options) -> dict[str, str]:
    """The plain-text parts of an edge label, by kind: ``partial`` ∂w/∂u, ``symbolic``, ``value``."""
    symbolic, value = shown_local(v, u, w, options)
    if symbolic is None and value is None:
        return {}
    parts = {"partial": partial(v, w, u)}
    if symbolic is not None:
        parts["symbolic"] = str(symbolic).replace("-", MINUS) if symbolic.is_Number else text(symbolic)
    if value is not None:
        parts["value"] = shown(value)
    return parts


def local_lines(v: View, u: str, w: str, options: Options) -> list[list[str]]:
    """Which parts of an edge label share a line (kinds as in :func:`local_parts`), packed while a
    line stays within :data:`LABEL_LINE` characters (:data:`WIDE_LABEL_LINE` where the picture may
    scroll): a narrow label keeps the ranks close and off the boxes, and both printers break the same labels."""
    parts = local_parts(v, u, w, options)
    limit = LABEL_LINE if options.narrow else WIDE_LABEL_LINE
    lines: list[list[str]] = []
    for kind in parts:
        if lines and len(" = ".join(parts[k] for k in lines[-1] + [kind])) <= limit:
            lines[-1].append(kind)
        else:
            lines.append([kind])
    return lines


HOLDS_PER_LINE = 2  # a layer's parameters per line of its box, so a big layer's box stays narrow


def extra_lines(data: dict) -> list[str]:
    """What a box says under its title: for a node continued from another part, which part; for a
    layer block, its own parameters by shape (``W₁ 3×4, b₁ 3``)."""
    if data.get("continued"):
        return [f"from part {data['continued']}"]
    shapes = [f"{text(symbol)} {'×'.join(map(str, shape)) or 'scalar'}" for symbol, shape in data.get("holds", ())]
    return [", ".join(shapes[i:i + HOLDS_PER_LINE]) for i in range(0, len(shapes), HOLDS_PER_LINE)]


