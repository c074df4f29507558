"""Where a TikZ circuit's boxes and wires go on the page, and how a long circuit is cut into parts.

Graphviz places the boxes and routes the wires, but the boxes are sized for the TeX lines they will
hold (:func:`box_size`), not for the DOT circuit's nested clusters, which are about twice as tall as
their text: the wires' labels are the DOT circuit's own, so a page and a browser label a wire alike.
A circuit that would shrink under 6 pt on the page comes in parts, set as words in a paragraph
(:func:`lines`). Coordinates are big points (``x=1bp``), Graphviz's unit.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Callable, Optional

import graphviz
import networkx as nx

from symdl import graph as graphs
from symdl.errors import SymdlError
from symdl.printing import dot, scene
from symdl.printing.latex_layout import TEXT_BLOCK
from symdl.printing.latex_layout import width as layout_width
from symdl.printing.rendering import embedded_only, render

HEADING_AND_LEGEND = 80.0  # pt: a section heading and a three-line legend, kept on the page with the first line
#: What a picture is fitted to, in big points: the article's text block (one place decides it,
#: :data:`~symdl.printing.latex_layout.TEXT_BLOCK`), less room for the heading and the legend above a first line.
PAGE = (TEXT_BLOCK[0] * 72 / 72.27, (TEXT_BLOCK[1] - HEADING_AND_LEGEND) * 72 / 72.27)
_PAGE_HEIGHT = TEXT_BLOCK[1] * 72 / 72.27  # bp: a page after the first, lines of parts one under another
PART_GAP = 24.0  # bp between two parts on a line (the 2em the page sets between them)
LINE_GAP = 8.0  # bp between two lines of parts (the page's \lineskip, \medskipamount, at its most)

#: A rough upper width of one character of a box's math (:func:`~symdl.printing.latex_layout.width`)
#: in bp: Computer Modern at 10.95 pt averages about 4.3 bp a character in a formula; a little more errs early.
GLYPH_WIDTH = 4.5
LINE = 14.5  # bp: a box's line of 10.95 pt text (its baselineskip is 13.6 pt, a little more with scripts)
DISPLAYED_LINE = 28.0  # a line with a displayed fraction, and the 4 pt under it
BOX_PADDING = 12.0  # bp: TikZ's inner sep on both sides, and a little air
OPERATOR_SPACE = 4.0  # bp: the space TeX sets about a relation (5/18 em each side) or an operator (4/18 em),
# or a growing delimiter (``\left(``), which the character count leaves out
ERROR = 0.06  # how far a line's measure may fall short (a delimiter, an output's thick border)
UPRIGHT_EXTRA = 1.0  # bp: an upright letter of a word in math (``\mathrm{saving}``) is wider than an italic one
_SPACED = re.compile(r"(?<![{\\])[=+\-<>]|\\(?:cdot|circ|mapsto|times|odot|otimes|left|right)(?![A-Za-z])")

#: A node's TeX lines, as the drawing sets them in its box.
Rows = Callable[[scene.View, str, scene.Options], list[str]]
#: A part's size as laid out (bp, before any scaling), and the least it may shrink to (its smallest text at 6 pt).
Measure = Callable[[scene.View, scene.Options], tuple[tuple[float, float], float]]
#: A part of a split circuit is drawn at the least its text allows, but no smaller than this (a
#: subscript at 6 pt): more parts share a line, and every part reads at one size.
PART_SCALE = 0.86


@dataclasses.dataclass(frozen=True)
class Layout:
    """Boxes (x0, y0, x1, y1) by DOT id, and per (tail, head) DOT id the wire's spline points and
    label position; and the whole picture's width and height."""

    boxes: dict[str, tuple[float, ...]]
    wires: dict[tuple[str, str], tuple[list[tuple[float, float]], Optional[tuple[float, float]]]]
    size: tuple[float, float] = (0.0, 0.0)


def box_size(rows: list[str]) -> tuple[float, float]:
    """A box's width and height (bp) for these TeX lines, measured roughly and erring large."""
    width = max(line_width(row) for row in rows) * (1 + ERROR)
    height = sum(DISPLAYED_LINE if r"\displaystyle" in row else LINE for row in rows)
    return width + BOX_PADDING, height + BOX_PADDING


def line_width(tex: str) -> float:
    """A line of TeX, roughly measured in bp: a glyph a character, where math ignores spaces but sets
    a thick or medium one about each relation and operator, a growing delimiter is wider than the
    character it is, and its upright words are wider; text
    keeps its spaces."""
    plain = re.sub(r"\\textcolor\{\w+\}", "", tex)
    math = "".join(re.findall(r"\$[^$]*\$", plain))
    plain = re.sub(r"\$[^$]*\$", lambda m: m[0].replace(" ", ""), plain)
    words = "".join(re.findall(r"\\(?:mathrm|operatorname)\{([A-Za-z]+)\}", math))
    return (layout_width(plain) * GLYPH_WIDTH + len(_SPACED.findall(math)) * OPERATOR_SPACE
            + len(words) * UPRIGHT_EXTRA)


def laid_out(v: scene.View, options: scene.Options, rows: Rows) -> Layout:
    """Graphviz's layout of the circuit (its legend apart), each box the size of its TeX lines. The
    embedded engine's fixed width tables measure the wires' labels, so a page comes out the same on
    every machine, with or without a system ``dot``."""
    ids = v.ids()
    g = graphviz.Digraph("layout")
    g.attr("graph", rankdir=options.rankdir, nodesep="0.25", ranksep="0.2")
    g.attr("node", shape="box", fixedsize="true", label="")
    g.attr("edge", fontname=dot.PAGE_FONT, fontsize=dot.EDGE_FONT_SIZE[True], arrowsize="0.7")
    for node in graphs.topological_order(v.graph):
        width, height = box_size(rows(v, node, options))
        g.node(ids[node], width=f"{width / 72:.3f}", height=f"{height / 72:.3f}")
    for u, w in scene.edges(v.graph):
        g.edge(ids[u], ids[w], label=dot.local_text(v, u, w, options))
    with embedded_only():
        return _layout(render(g.source, "json"))


def _layout(json_bytes: bytes) -> Layout:
    try:
        data = json.loads(json_bytes.decode("utf-8"))
        objects = {o["_gvid"]: o for o in data.get("objects", [])}
        boxes = {}
        for o in objects.values():
            (x, y), half_w, half_h = _point(o["pos"]), float(o["width"]) * 36, float(o["height"]) * 36
            boxes[o["name"]] = (x - half_w, y - half_h, x + half_w, y + half_h)
        wires = {}
        for edge in data.get("edges", []):
            key = (objects[edge["tail"]]["name"], objects[edge["head"]]["name"])
            wires[key] = (_spline(edge.get("pos", "")), _point(edge["lp"]) if "lp" in edge else None)
        _, _, width, height = (float(c) for c in data["bb"].split(","))
    except (ValueError, KeyError, TypeError) as error:
        raise SymdlError(f"could not read the Graphviz layout: {error}") from None
    return Layout(boxes, wires, (width, height))


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")[-2:]
    return float(x), float(y)


def _spline(pos: str) -> list[tuple[float, float]]:
    """The B-spline points of an edge's ``pos``, without the arrowhead end (``e,x,y``)."""
    return [_point(p) for p in pos.split() if not p.startswith(("e,", "s,"))]


def scale(size: tuple[float, float]) -> float:
    """How far a picture of this size (bp) must shrink to fit :data:`PAGE` (1: not at all)."""
    return min(1.0, PAGE[0] / max(size[0], 1.0), PAGE[1] / max(size[1], 1.0))


def drawn_scale(size: tuple[float, float], least: float, split: bool) -> float:
    """The scale a picture is drawn at: shrunk to fit the page, and a part of a split circuit to
    the least its text allows (:data:`PART_SCALE` at the least)."""
    return min(scale(size), max(least, PART_SCALE)) if split else scale(size)


_Part = tuple[int, int, str]  # gates[i:j] laid out in a direction
_Placed = tuple[int, float, int, list[list[_Part]]]  # pages begun, bp used on the last, parts, the lines


def lines(v: scene.View, options: scene.Options, directions: tuple[str, ...],
          measure: Measure) -> list[list[tuple[scene.View, scene.Options]]]:
    """The gates, in the order they are computed, cut into parts and the parts into lines on as few
    pages as can be (then as little of the last page, then as few parts): each part, laid out alone
    in one of ``directions``, fits the page at no less than its smallest text allows (a gate too wide
    alone is a part), a line's parts sit side by side within the page width, and a line that does not
    fit under the last begins a page. A dynamic programme over where parts and lines end: what is
    best up to a gate is best for whatever follows it."""
    g = v.graph
    gates = [n for n in graphs.topological_order(g) if not scene.is_leaf(g.nodes[n])]
    sizes: dict[_Part, tuple[tuple[float, float], float]] = {}

    def replace(rankdir: str) -> scene.Options:
        return dataclasses.replace(options, rankdir=rankdir)

    def measured(i: int, j: int, rankdir: str) -> tuple[tuple[float, float], float]:
        if (i, j, rankdir) not in sizes:
            sizes[i, j, rankdir] = measure(*_part(v, gates, i, j, replace(rankdir)))
        return sizes[i, j, rankdir]

    def size(i: int, j: int, rankdir: str) -> Optional[tuple[float, float]]:
        """The part's size on the page (bp, scaled), or None where it would shrink too far."""
        (width, height), least = measured(i, j, rankdir)
        fit = drawn_scale((width, height), least, True)
        return (width * fit, height * fit) if fit >= least else None

    best: dict[int, _Placed] = {0: (1, (HEADING_AND_LEGEND - LINE_GAP) * 72 / 72.27, 0, [])}

    def offer(begin: int, end: int, line: list[_Part], height: float) -> None:
        """A line of ``line``'s parts, ``height`` tall, under the best lines up to gate ``begin``."""
        pages, used, parts, chosen = best[begin]
        below = used + LINE_GAP + height
        placed = (pages, below) if below <= _PAGE_HEIGHT else (pages + 1, height)
        candidate = (*placed, parts + len(line), chosen + [line])
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
            rankdir = max(directions, key=lambda r: scale(measured(start, start + 1, r)[0]))
            offer(start, start + 1, [(start, start + 1, rankdir)], PAGE[1])
    chosen = best[len(gates)][3]
    flat = [gates[i:j] for line in chosen for i, j, _ in line]
    numbered = iter(range(len(flat)))
    return [[(row_view(v, flat, next(numbered)), replace(rankdir)) for _, _, rankdir in line] for line in chosen]


def _part(v: scene.View, gates: list[str], i: int, j: int, options: scene.Options) -> tuple[scene.View, scene.Options]:
    """gates[i:j] as a part of its own, the gates before it one part and those after another."""
    cut = [chunk for chunk in (gates[:i], gates[i:j], gates[j:]) if chunk]
    return row_view(v, cut, 1 if i else 0), options


def row_view(v: scene.View, rows: list[list[str]], k: int) -> scene.View:
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
