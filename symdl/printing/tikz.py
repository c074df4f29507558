"""Circuit diagrams as TikZ, laid out by the same Graphviz run as the SVG.

The DOT circuit is rendered to Graphviz's ``json``; each node's box is placed
where Graphviz put its cluster, and each wire follows Graphviz's spline (its
ends attached to the TikZ nodes, so they meet the boxes whatever the TeX font).
Labels are real math: ``$q = x + y$``, the value and ∂f/∂q in colour, and the
local gradient on the wire. The picture needs only ``tikz`` (which loads
``xcolor``); the colours are defined inside it, and ``\\text``/``\\operatorname``
fall back to ``\\mbox``/``\\mathrm`` where amsmath is not loaded. Coordinates are
in big points (``x=1bp``), Graphviz's unit; wrap the picture in
``\\resizebox{\\linewidth}{!}{…}`` to fit a page.

All user text reaches TeX through :mod:`symdl.printing.texsafe`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Optional

from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.printing import dot
from symdl.printing.rendering import render
from symdl.printing.texsafe import is_safe, latex_of, tex_number

VALUE = "symdlvalue"
GRAD = "symdlgrad"

_PREAMBLE = (
    rf"\definecolor{{{VALUE}}}{{HTML}}{{{dot.VALUE_COLOUR[1:].upper()}}}",
    rf"\definecolor{{{GRAD}}}{{HTML}}{{{dot.GRAD_COLOUR[1:].upper()}}}",
    r"\providecommand{\text}[1]{\mbox{#1}}",
    r"\providecommand{\operatorname}[1]{\mathrm{#1}}",
    r"\providecommand{\boldsymbol}[1]{\mathbf{#1}}",
    r"\providecommand{\mathfrak}[1]{\mathrm{#1}}",
    r"\providecommand{\mathscr}[1]{\mathcal{#1}}",
)

_STYLES = (
    "x=1bp, y=1bp, >=stealth",
    "symdl gate/.style={draw, rounded corners=4bp, align=center, inner sep=2bp}",
    "symdl output/.style={symdl gate, very thick}",
    "symdl leaf/.style={align=center, inner sep=2bp}",
    "symdl legend/.style={draw=black!40, rounded corners=4bp, align=left, font=\\footnotesize}",
    "symdl wire/.style={->}",
    f"symdl local/.style={{font=\\footnotesize, text={GRAD}, inner sep=1bp}}",
)


#: The text block of an 11 pt article on A4 paper, in big points: what a picture is fitted to.
PAGE = (345.0, 550.0)


def tikz(source: dot.Source, **circuit_options) -> str:
    """A ``tikzpicture`` of the circuit of ``source``; takes the options of ``dot.circuit``. Without a
    ``rankdir``, the direction that needs the least shrinking to fit a page: a long chain drawn left to
    right would be shrunk until its labels are unreadable, drawn top to bottom it may fit."""
    if "rankdir" not in circuit_options:
        circuit_options["rankdir"] = max(("LR", "TB"), key=lambda r: _page_scale(source, {**circuit_options,
                                                                                          "rankdir": r}))
    options = dot.Options(**circuit_options)
    v = dot.view(source)
    ids = dot.node_ids(v.graph)
    circuit = dot.circuit(source, **circuit_options)
    layout = _layout(render(circuit.source, "json"))
    lines = [r"\begin{tikzpicture}[" + ",\n  ".join(_STYLES) + "]", *_PREAMBLE]
    for node in graphs.topological_order(v.graph):
        lines.append(_node(v, node, ids[node], layout, options))
    for u, w in dot.edges(v.graph):
        lines.append(_wire(v, u, w, ids, layout, options))
    rows = dot.legend_rows(v, options)
    if rows:
        lines.append(_legend(v, rows, layout, options))
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines) + "\n"
    if not is_safe(picture):  # unreachable while every name goes through texsafe; a tripwire
        raise SymdlError("refusing to write TikZ that holds a file or definition command")
    return picture


@dataclasses.dataclass(frozen=True)
class _Layout:
    """What the printer needs from Graphviz's json: cluster boxes (x0, y0, x1, y1) by name,
    and per (tail, head) DOT id the edge's spline points and label position."""

    boxes: dict[str, tuple[float, ...]]
    wires: dict[tuple[str, str], tuple[list[tuple[float, float]], Optional[tuple[float, float]]]]


def _page_scale(source: dot.Source, circuit_options: dict) -> float:
    """How far the circuit laid out with these options must shrink to fit :data:`PAGE` (1: not at all)."""
    data = json.loads(render(dot.circuit(source, **circuit_options).source, "json").decode("utf-8"))
    _, _, width, height = (float(c) for c in data["bb"].split(","))
    return min(1.0, PAGE[0] / max(width, 1.0), PAGE[1] / max(height, 1.0))


def _layout(json_bytes: bytes) -> _Layout:
    try:
        data = json.loads(json_bytes.decode("utf-8"))
        objects = {o["_gvid"]: o for o in data.get("objects", [])}
        boxes = {o["name"]: tuple(float(c) for c in o["bb"].split(","))
                 for o in objects.values() if "bb" in o}
        wires = {}
        for edge in data.get("edges", []):
            key = (objects[edge["tail"]]["name"], objects[edge["head"]]["name"])
            wires[key] = (_spline(edge.get("pos", "")), _point(edge["lp"]) if "lp" in edge else None)
    except (ValueError, KeyError, TypeError) as error:
        raise SymdlError(f"could not read the Graphviz layout: {error}") from None
    return _Layout(boxes, wires)


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")[-2:]
    return float(x), float(y)


def _spline(pos: str) -> list[tuple[float, float]]:
    """The B-spline points of an edge's ``pos``, without the arrowhead end (``e,x,y``)."""
    return [_point(p) for p in pos.split() if not p.startswith(("e,", "s,"))]


def _xy(point: tuple[float, float]) -> str:
    return f"({point[0]:.2f},{point[1]:.2f})"


def _name(v: dot.View, node: str) -> str:
    return latex_of(v.graph.nodes[node]["symbol"])


def _node(v: dot.View, node: str, node_id: str, layout: _Layout, options: dot.Options) -> str:
    data = v.graph.nodes[node]
    box = layout.boxes.get(f"cluster_{node_id}")
    if box is None:
        raise SymdlError(f"the Graphviz layout has no box for node {node!r}")
    x0, y0, x1, y1 = box
    if data["kind"] == "op":
        operands = [_name(v, i) for i in data["inputs"]]
        rows = [f"${_name(v, node)} = {ops.gate(data).tex(operands, data['const'])}$"]
        style = "symdl output" if node == v.output else "symdl gate"
    else:
        rows = [f"${_name(v, node)}$"]
        style = "symdl leaf"
    value, grad = dot.shown_value(v, node, options), dot.shown_grad(v, node, options)
    if value is not None:
        rows.append(rf"\textcolor{{{VALUE}}}{{$= {tex_number(value)}$}}")
    if grad is not None:
        rows.append(rf"\textcolor{{{GRAD}}}{{$\partial {_name(v, v.output)}/\partial {_name(v, node)}"
                    rf" = {tex_number(grad)}$}}")
    size = f"minimum width={x1 - x0:.2f}bp, minimum height={y1 - y0:.2f}bp"
    return (rf"\node[{style}, {size}] ({node_id}) at {_xy(((x0 + x1) / 2, (y0 + y1) / 2))} "
            "{" + r"\\ ".join(rows) + "};")


def _wire(v: dot.View, u: str, w: str, ids: dict[str, str], layout: _Layout, options: dot.Options) -> str:
    """Graphviz's spline, its first and last points replaced by the nodes themselves."""
    points, label_at = layout.wires.get((ids[u], ids[w]), ([], None))
    path = f"({ids[u]})"
    inner = points[1:-1]
    if len(inner) % 3 == 2:  # cubic pieces: control, control, end … the last end is the head node
        for i in range(0, len(inner) - 2, 3):
            path += f" .. controls {_xy(inner[i])} and {_xy(inner[i + 1])} .. {_xy(inner[i + 2])}"
        path += f" .. controls {_xy(inner[-2])} and {_xy(inner[-1])} .. ({ids[w]})"
    else:
        path += f" -- ({ids[w]})"
    label = _local_label(v, u, w, options)
    if label is not None and label_at is not None:
        path += f" node[symdl local] at {_xy(label_at)} {{{label}}}"
    return rf"\draw[symdl wire] {path};"


def _local_label(v: dot.View, u: str, w: str, options: dot.Options) -> Optional[str]:
    symbolic, value = dot.shown_local(v, u, w, options)
    if symbolic is None and value is None:
        return None
    parts = [rf"\partial {_name(v, w)}/\partial {_name(v, u)}"]
    if symbolic is not None:
        parts.append(latex_of(symbolic))
    if value is not None:
        parts.append(tex_number(value))
    return f"${' = '.join(parts)}$"


def _legend(v: dot.View, rows: list[tuple[str, str, str]], layout: _Layout, options: dot.Options) -> str:
    colour = {dot.VALUE_COLOUR: VALUE, dot.GRAD_COLOUR: GRAD}
    texts = {
        "legend_value": "forward value",
        "legend_grad": rf"global gradient $\partial {_name(v, v.output)}/\partial\,\mathrm{{node}}$",
        "legend_local": "local gradient (on an edge)",
    }
    lines = [rf"\textcolor{{{colour[c]}}}{{{texts[row_id]}}}" for row_id, _, c in rows]
    x0, y0, x1, y1 = layout.boxes.get("cluster_legend", (0.0, 0.0, 0.0, 0.0))
    across = options.rankdir in ("LR", "RL")  # Graphviz lays the legend out along a rank
    return (rf"\node[symdl legend] (legend) at {_xy(((x0 + x1) / 2, (y0 + y1) / 2))} "
            "{" + (r"\quad " if across else r"\\ ").join(lines) + "};")
