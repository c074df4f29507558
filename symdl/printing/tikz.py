"""Circuit diagrams as TikZ, laid out by the same Graphviz run as the SVG.

The DOT circuit is rendered to Graphviz's ``json``; each node's box is placed
where Graphviz put its cluster, and each wire follows Graphviz's spline (its
ends attached to the TikZ nodes, so they meet the boxes whatever the TeX font).
Labels are real math: ``$q = x + y$``, the value and ∂f/∂q in colour, and the
local gradient on the wire. The picture needs only ``tikz`` (which loads
``xcolor``); the colours are defined inside it, and ``\\text``/``\\operatorname``
fall back to ``\\mbox``/``\\mathrm`` where amsmath is not loaded. Coordinates are
in big points (``x=1bp``), Graphviz's unit; a picture wider than an A4 text block scales itself
down, never so far that a label would be under 6 pt: a long circuit comes in parts instead.

All user text reaches TeX through :mod:`symdl.printing.texsafe`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Optional

import networkx as nx
import numpy as np

from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.printing import dot, scene
from symdl.printing.latex_layout import TEXT_BLOCK
from symdl.printing.latex_layout import width as layout_width
from symdl.printing.rendering import embedded_only, render
from symdl.printing.texsafe import is_safe, latex_of, tex_escape, tex_number

VALUE = "symdlvalue"
GRAD = "symdlgrad"

_PREAMBLE = (
    rf"\definecolor{{{VALUE}}}{{HTML}}{{{scene.VALUE_COLOUR[1:].upper()}}}",
    rf"\definecolor{{{GRAD}}}{{HTML}}{{{scene.GRAD_COLOUR[1:].upper()}}}",
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
    "symdl block/.style={symdl gate, thick}",
    "symdl continued/.style={symdl gate, dashed}",
    "symdl leaf/.style={align=center, inner sep=2bp}",
    "symdl legend/.style={draw=black!40, rounded corners=4bp, align=left}",
    "symdl wire/.style={->}",
    f"symdl local/.style={{text={GRAD}, inner sep=1bp, align=center}}",
)


HEADING_AND_LEGEND = 80.0  # pt: a section heading and a three-line legend, kept on the page with the first line
#: What a picture is fitted to, in big points: the article's text block (one place decides it,
#: :data:`~symdl.printing.latex_layout.TEXT_BLOCK`), less room for the heading and the legend above a first line.
PAGE = (TEXT_BLOCK[0] * 72 / 72.27, (TEXT_BLOCK[1] - HEADING_AND_LEGEND) * 72 / 72.27)
_PAGE_HEIGHT = TEXT_BLOCK[1] * 72 / 72.27  # bp: a page after the first, lines of parts one under another
_NESTED_SCRIPT = re.compile(r"[\^_]\{[^{}]*[\^_]")  # a subscript or superscript inside another

#: The least a picture may shrink: its smallest text, a subscript (8 pt in an 11 pt document, 7 pt
#: tall as pdftotext measures Computer Modern), then sets at 6 pt; without subscripts, 10.95 pt text.
MIN_SCALE = 0.86
MIN_SCALE_WITHOUT_SCRIPTS = 0.62
MIN_SCALE_NESTED = 0.97  # a script's script: 7 pt, measured 6.2 pt

#: A rough upper width of one character of a box's math (:func:`~symdl.printing.latex_layout.width`)
#: in bp: Computer Modern at 10.95 pt averages about 4.3 bp a character in a formula; a little more errs early.
GLYPH_WIDTH = 4.5


def tikz(source: scene.Source, **circuit_options) -> str:
    """The circuit of ``source`` as TikZ pictures: the legend, then the circuit in one picture, or in
    parts where one would shrink its labels under 6 pt on the page (:data:`PAGE`): the gates, in the
    order they are computed, cut into parts that set on the page as words do in a paragraph, side by
    side where they fit, each line a paragraph of its own (:func:`_lines`); a node fed from an earlier
    part is shown again there, dashed, with the part it comes from. Each picture scales itself to the
    page width. Takes the options of ``dot.circuit``; without a ``rankdir``, the direction (left to
    right, or top to bottom) that fits best, and each part in the direction that packs best."""
    options = scene.Options(**{"rankdir": "LR", **circuit_options, "narrow": True})
    v = scene.view(source, options.depth)
    directions = ("LR", "TB") if "rankdir" not in circuit_options else (options.rankdir,)
    best = max((dataclasses.replace(options, rankdir=r) for r in directions), key=lambda o: _page_scale(v, o))
    lines = [[(v, best)]] if _fits(v, best) else _lines(v, options, directions)
    paragraphs = [_legend_picture(v, options)] if scene.legend_rows(v, options) else []
    paragraphs += ["".join(_picture(part, o) for part, o in line) for line in lines]
    text = "\n".join(paragraphs)  # a blank line between paragraphs: lines of pictures, one under another
    if not is_safe(text):  # unreachable while every name goes through texsafe; a tripwire
        raise SymdlError("refusing to write TikZ that holds a file or definition command")
    return text


def _picture(v: scene.View, options: scene.Options) -> str:
    ids = v.ids()
    layout = _laid_out(v, options)
    fit = _scale(layout.size)
    scale = [f"scale={fit:.4f}, transform shape"] if fit < 1 else []  # fits the page by itself
    lines = [r"\begin{tikzpicture}[" + ",\n  ".join(scale + list(_STYLES)) + "]", *_PREAMBLE,
             rf"\useasboundingbox (0,0) rectangle {_xy(layout.size)};"]  # Graphviz's, not the curves' control points
    for node in graphs.topological_order(v.graph):
        lines.append(_node(v, node, ids[node], layout, options))
    for u, w in scene.edges(v.graph):
        lines.append(_wire(v, u, w, ids, layout, options))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"


PART_GAP = 24.0  # bp between two parts on a line (the 2em the page sets between them), and between lines
_Part = tuple[int, int, str]  # gates[i:j] laid out in a direction
_Placed = tuple[int, float, int, list[list[_Part]]]  # pages begun, bp used on the last, parts, the lines


def _lines(v: scene.View, options: scene.Options, directions: tuple[str, ...]) -> list[list[tuple]]:
    """The gates, in the order they are computed, cut into parts and the parts into lines on as few
    pages as can be (then as little of the last page, then as few parts): each part, laid out alone
    in one of ``directions``, fits the page at no less than its smallest text allows (a gate too wide
    alone is a part), a line's parts sit side by side within the page width, and a line that does not
    fit under the last begins a page. A dynamic programme over where parts and lines end: what is
    best up to a gate is best for whatever follows it."""
    g = v.graph
    gates = [n for n in graphs.topological_order(g) if not scene.is_leaf(g.nodes[n])]
    sizes: dict[_Part, Optional[tuple[float, float]]] = {}

    def replace(rankdir: str) -> scene.Options:
        return dataclasses.replace(options, rankdir=rankdir)

    def size(i: int, j: int, rankdir: str) -> Optional[tuple[float, float]]:
        """The part's size on the page (bp, scaled), or None where it would shrink too far."""
        if (i, j, rankdir) not in sizes:
            part, o = _part(v, gates, i, j, replace(rankdir))
            width, height = _laid_out(part, o).size
            fit = _scale((width, height))
            sizes[i, j, rankdir] = (width * fit, height * fit) if _fits(part, o) else None
        return sizes[i, j, rankdir]

    best: dict[int, _Placed] = {0: (1, (HEADING_AND_LEGEND - PART_GAP) * 72 / 72.27, 0, [])}

    def offer(begin: int, end: int, line: list[_Part], height: float) -> None:
        """A line of ``line``'s parts, ``height`` tall, under the best lines up to gate ``begin``."""
        pages, used, parts, lines = best[begin]
        below = used + PART_GAP + height
        placed = (pages, below) if below <= _PAGE_HEIGHT else (pages + 1, height)
        candidate = (*placed, parts + len(line), lines + [line])
        if end not in best or candidate[:3] < best[end][:3]:
            best[end] = candidate

    def extend(begin: int, i: int, used: float, tallest: float, line: list[_Part]) -> None:
        for rankdir in directions:
            for j in range(i + 1, len(gates) + 1):
                drawn = size(i, j, rankdir)
                if drawn is None or used + drawn[0] > PAGE[0]:
                    break  # a longer part is wider still
                offer(begin, j, line + [(i, j, rankdir)], max(tallest, drawn[1]))
                extend(begin, j, used + drawn[0] + PART_GAP, max(tallest, drawn[1]), line + [(i, j, rankdir)])

    for start in range(len(gates)):
        extend(start, start, 0.0, 0.0, [])
        if start + 1 not in best:  # a gate too wide alone in any direction: a line of its own, shrunk as it must be
            rankdir = max(directions, key=lambda r: _page_scale(*_part(v, gates, start, start + 1, replace(r))))
            offer(start, start + 1, [(start, start + 1, rankdir)], PAGE[1])
    lines = best[len(gates)][3]
    flat = [gates[i:j] for line in lines for i, j, _ in line]
    numbered = iter(range(len(flat)))
    return [[(_row_view(v, flat, next(numbered)), replace(rankdir)) for _, _, rankdir in line] for line in lines]


def _part(v: scene.View, gates: list[str], i: int, j: int, options: scene.Options) -> tuple[scene.View, scene.Options]:
    """gates[i:j] as a part of its own, the gates before it one part and those after another."""
    cut = [chunk for chunk in (gates[:i], gates[i:j], gates[j:]) if chunk]
    return _row_view(v, cut, 1 if i else 0), options


def _row_view(v: scene.View, rows: list[list[str]], k: int) -> scene.View:
    """Part ``k`` of ``rows`` (the gates cut into parts): its gates, the leaves first used there, and
    (dashed) what earlier parts feed it."""
    g = v.graph
    row_of = {n: i for i, row in enumerate(rows) for n in row}
    for leaf in (n for n in g if scene.is_leaf(g.nodes[n])):
        row_of[leaf] = min((row_of[c] for c in g.successors(leaf)), default=0)
    own = [n for n in g if row_of[n] == k]
    fed = [u for n in rows[k] for u in g.predecessors(n) if row_of[u] != k]
    kept = set(own + fed)
    sub = nx.DiGraph(**g.graph)  # not g.subgraph(…), whose nodes come in the order of a set (hash-seeded)
    sub.add_nodes_from((n, dict(g.nodes[n])) for n in g if n in kept)
    sub.add_edges_from((u, w, dict(d)) for u, w, d in g.edges(data=True) if u in kept and w in kept)
    for u in dict.fromkeys(fed):
        sub.nodes[u]["continued"] = row_of[u] + 1
        sub.remove_edges_from(list(sub.in_edges(u)))
    return scene.View(sub, v.output, v.annotated, whole=g)


@dataclasses.dataclass(frozen=True)
class _Layout:
    """What the printer needs from Graphviz's json: cluster boxes (x0, y0, x1, y1) by name,
    and per (tail, head) DOT id the edge's spline points and label position."""

    boxes: dict[str, tuple[float, ...]]
    wires: dict[tuple[str, str], tuple[list[tuple[float, float]], Optional[tuple[float, float]]]]
    size: tuple[float, float] = (0.0, 0.0)  # the whole picture's width and height


def _fits(v: scene.View, options: scene.Options) -> bool:
    """Whether the circuit fits :data:`PAGE` shrunk no further than its smallest text allows."""
    texts = [row for node in v.graph for row in _title_rows(v, node)[0]]
    texts += [_local_label(v, u, w, options) or "" for u, w in scene.edges(v.graph)]
    return _page_scale(v, options) >= max(map(_least_scale, texts), default=MIN_SCALE_WITHOUT_SCRIPTS)


def _least_scale(text: str) -> float:
    """How far a line of a box or label may shrink: by its smallest text, a script of a script (in an
    inline fraction's numerator, ``\\frac{1}{q_{9}}``: 7 pt) least, then a script, then 10.95 pt text."""
    inline_fraction = r"\frac" in text and r"\displaystyle" not in text
    if _NESTED_SCRIPT.search(text) or (inline_fraction and re.search(r"[_^]", text)):
        return MIN_SCALE_NESTED
    return MIN_SCALE if re.search(r"[_^]", text) or inline_fraction else MIN_SCALE_WITHOUT_SCRIPTS


def _page_scale(v: scene.View, options: scene.Options) -> float:
    """How far the circuit (its legend apart) laid out with these options must shrink to fit
    :data:`PAGE` (1: not at all)."""
    return _scale(_laid_out(v, options).size)


def _scale(size: tuple[float, float]) -> float:
    """How far a picture of this size (bp) must shrink to fit :data:`PAGE` (1: not at all)."""
    return min(1.0, PAGE[0] / max(size[0], 1.0), PAGE[1] / max(size[1], 1.0))


def _laid_out(v: scene.View, options: scene.Options) -> _Layout:
    """Graphviz's layout of the circuit, its legend apart (drawn as a picture of its own). The boxes
    hold TeX's text, not a system font's: the embedded engine's fixed width tables measure them, so
    a page comes out the same on every machine, with or without a system ``dot``."""
    with embedded_only():
        return _layout(render(dot.draw(v, options, legend=False).source, "json"))


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
        _, _, width, height = (float(c) for c in data["bb"].split(","))
    except (ValueError, KeyError, TypeError) as error:
        raise SymdlError(f"could not read the Graphviz layout: {error}") from None
    return _Layout(boxes, wires, (width, height))


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")[-2:]
    return float(x), float(y)


def _spline(pos: str) -> list[tuple[float, float]]:
    """The B-spline points of an edge's ``pos``, without the arrowhead end (``e,x,y``)."""
    return [_point(p) for p in pos.split() if not p.startswith(("e,", "s,"))]


def _xy(point: tuple[float, float]) -> str:
    return f"({point[0]:.2f},{point[1]:.2f})"


def _name(v: scene.View, node: str) -> str:
    """A node's symbol in TeX; the output may be in another part (``whole``) or inside a layer block."""
    graph = next(g for g in (v.graph, v.whole, v.graph.graph.get("collapsed_from")) if g is not None and node in g)
    return latex_of(graph.nodes[node]["symbol"])


def _node(v: scene.View, node: str, node_id: str, layout: _Layout, options: scene.Options) -> str:
    data = v.graph.nodes[node]
    box = layout.boxes.get(f"cluster_{node_id}")
    if box is None:
        raise SymdlError(f"the Graphviz layout has no box for node {node!r}")
    x0, y0, x1, y1 = box
    rows, style = _title_rows(v, node, room=x1 - x0)
    value, grad = scene.shown_value(v, node, options), scene.shown_grad(v, node, options)
    if scene.value_beside_name(v, node, options):
        rows[0] += rf" \textcolor{{{VALUE}}}{{$= {_number(value)}$}}"
    elif value is not None:
        rows += _coloured(VALUE, None, value)
    if grad is not None:
        partial = rf"\partial {_name(v, v.output)}/\partial {_name(v, node)}"
        rows += _coloured(GRAD, (partial, f"∂{v.output}/∂{data.get('primary', node)}"), grad)
    size = f"minimum width={x1 - x0:.2f}bp, minimum height={y1 - y0:.2f}bp"
    return (rf"\node[{style}, {size}] ({node_id}) at {_xy(((x0 + x1) / 2, (y0 + y1) / 2))} "
            "{" + "".join(row + _line_break(row) for row in rows[:-1]) + rows[-1] + "};")


def _line_break(row: str) -> str:
    """The break after a box's line: a displayed fraction reaches further down than a line's depth,
    so the line under it starts 4 pt lower, clear of the denominator."""
    return r"\\[4pt] " if r"\displaystyle" in row else r"\\ "


def _title_rows(v: scene.View, node: str, room: Optional[float] = None) -> tuple[list[str], str]:
    """The first lines of a node's box, and its style: ``$q = x + y$`` for a gate (a tensor gate by
    its matrix form, ``$z_1 = W_1 x$``), the name and op glyphs of a layer block with its parameters,
    the name of a leaf, and for a node continued from another part, its name and that part. A formula
    wider than ``room`` (the box Graphviz made for the DOT title, in bp) is written by its op's name:
    a wider box would run into its wires' labels."""
    data = v.graph.nodes[node]
    if data.get("continued"):
        return [f"${_name(v, node)}$", *scene.extra_lines(data)], "symdl continued"
    if data["kind"] == "block":
        rows = [rf"\textbf{{{tex_escape(node)}}}\ [{tex_escape(scene.block_ops(data))}]"]
        return rows + [tex_escape(line) for line in scene.extra_lines(data)], "symdl block"
    if data["kind"] != "op":
        return [f"${_name(v, node)}$"], "symdl leaf"
    name, operands = _name(v, node), [_name(v, i) for i in data["inputs"]]
    glyph = rf"\mathrm{{{tex_escape(ops.glyph(data))}}}"
    formula = latex_of(data["expr"]) if data.get("tensor") else ops.gate(data).tex(operands, data["const"])
    if not _within(f"{name} = {formula}", room) or _NESTED_SCRIPT.search(formula):
        # by its op, as the DOT title says it, applied to its operands (M₁ = mask(Z₁): M₁ is no mask); a
        # nested script, e^{q_5}, would set its 5 at 6 pt, under 6 pt once shrunk
        formula = rf"{glyph}({', '.join(operands)})"
    style = "symdl output" if node == v.output else "symdl gate"
    if r"\frac" in formula:
        formula = rf"\displaystyle {formula}"  # a fraction's q₇ at full size, not a subscript's subscript
    return [f"${name} = {formula}$"], style


def _within(tex: str, room: Optional[float]) -> bool:
    """Whether a box's line of math, roughly measured, is no wider than ``room`` bp (no room given: any is)."""
    return room is None or layout_width(tex.replace(" ", "")) * GLYPH_WIDTH <= room  # math ignores spaces


def _wire(v: scene.View, u: str, w: str, ids: dict[str, str], layout: _Layout, options: scene.Options) -> str:
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


def _local_label(v: scene.View, u: str, w: str, options: scene.Options) -> Optional[str]:
    """``$\\partial q/\\partial x = w = 2$``, broken into lines where the DOT label is."""
    symbolic, value = scene.shown_local(v, u, w, options)
    parts = {"partial": rf"\partial {_name(v, w)}/\partial {_name(v, u)}",
             "symbolic": None if symbolic is None else latex_of(symbolic),
             "value": None if value is None else _number(value)}
    lines = [f"${'= ' if i else ''}{' = '.join(parts[k] for k in kinds)}$"
             for i, kinds in enumerate(scene.local_lines(v, u, w, options))]
    return r"\\ ".join(lines) if lines else None


def _number(value) -> str:
    """A number as ``tex_number`` writes it; an array as :func:`symdl.printing.scene.summary` says it."""
    return r"\ ".join(_number_lines(value))


def _number_lines(value) -> list[str]:
    """The lines :func:`symdl.printing.scene.summary_lines` gives on a page, in math (``2{\\times}1\\ [0.5, -0.1]``)."""
    if not isinstance(value, np.ndarray) or value.size == 1:
        return [tex_number(value)]
    s = scene.summarise(value)
    shape = r"{\times}".join(str(n) for n in s.shape)
    entries = ", ".join(tex_number(float(f"{x:.3g}")) for x in s.entries)
    if s.zeros and not s.whole_vector:
        return [rf"{shape}\ \mathrm{{zeros}}"]
    if s.norm is None:
        return [f"[{entries}]" if s.whole_vector else rf"{shape}\ [{entries}]"]
    return [rf"{shape}\ \|\cdot\| = {tex_number(float(f'{s.norm:.3g}'))}"]  # its entries: the table below


def _coloured(colour: str, name: Optional[tuple[str, str]], value) -> list[str]:
    """A box's value or gradient line(s) in its colour: ``= value``, or ``name = value`` with the name
    (TeX, and the plain text that decides the break) on a line of its own where the DOT box breaks it."""
    lines = [f"= {line}" if i == 0 else line for i, line in enumerate(_number_lines(value))]
    if name is not None:
        tex, plain = name
        lines = [tex, *lines] if scene.breaks_box(plain, value, narrow=True) else [f"{tex} {lines[0]}", *lines[1:]]
    return [rf"\textcolor{{{colour}}}{{${line}$}}" for line in lines]


def _legend_picture(v: scene.View, options: scene.Options) -> str:
    """The legend alone, a picture above the circuit's."""
    rows = scene.legend_rows(v, options)
    return "\n".join([r"\begin{tikzpicture}[" + ",\n  ".join(_STYLES) + "]", *_PREAMBLE,
                      _legend(v, rows, _Layout({}, {}), options), r"\end{tikzpicture}"]) + "\n"


def _legend(v: scene.View, rows: list[tuple[str, str, str]], layout: _Layout, options: scene.Options) -> str:
    colour = {scene.VALUE_COLOUR: VALUE, scene.GRAD_COLOUR: GRAD}
    texts = {
        "legend_value": "forward value",
        "legend_grad": rf"global gradient $\partial {_name(v, v.output)}/\partial\,\mathrm{{node}}$",
        "legend_local": "local gradient (on an edge)",
    }
    lines = [rf"\textcolor{{{colour[c]}}}{{{texts[row_id]}}}" for row_id, _, c in rows]
    x0, y0, x1, y1 = layout.boxes.get("cluster_legend", (0.0, 0.0, 0.0, 0.0))
    return (rf"\node[symdl legend] (legend) at {_xy(((x0 + x1) / 2, (y0 + y1) / 2))} "
            "{" + r"\\ ".join(lines) + "};")
