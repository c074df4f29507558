"""Circuit diagrams as TikZ, drawn where :mod:`symdl.printing.tikz_layout` places them.

Each node's box is drawn where Graphviz put it, and each wire follows Graphviz's spline (its ends
attached to the TikZ nodes, so they meet the boxes whatever the TeX font). Labels are real math:
``$q = x + y$``, the value and ∂f/∂q in colour, and the local gradient on the wire. The picture
needs only ``tikz`` (which loads ``xcolor``); the colours are defined inside it, and
``\\text``/``\\operatorname`` fall back to ``\\mbox``/``\\mathrm`` where amsmath is not loaded. A
picture wider than an A4 text block scales itself down, never so far that a label would be under
6 pt: a long circuit comes in parts instead.

All user text reaches TeX through :mod:`symdl.printing.texsafe`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional


from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.printing import scene
from symdl.printing.text import text
from symdl.printing.texsafe import is_safe, latex_of, tex_escape, tex_number
from symdl.printing.values import TEX, value_text
from symdl.printing.tikz_layout import Layout, drawn_scale, laid_out, line_width, lines, scale

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


_NESTED_SCRIPT = re.compile(r"[\^_]\{[^{}]*[\^_]")  # a subscript or superscript inside another

#: The least a picture may shrink: its smallest text, a subscript (8 pt in an 11 pt document, 7 pt
#: tall as pdftotext measures Computer Modern), then sets at 6 pt; without subscripts, 10.95 pt text.
MIN_SCALE = 0.86
MIN_SCALE_WITHOUT_SCRIPTS = 0.62
MIN_SCALE_NESTED = 0.97  # a script's script: 7 pt, measured 6.2 pt
ROOM = 150.0  # bp: a gate's formula wider than this, and than its box's other lines, is written by its op's name


def tikz(source: scene.Source, **circuit_options) -> str:
    """The circuit of ``source`` as TikZ pictures: the legend, then the circuit in one picture, or in
    parts where one would shrink its labels under 6 pt on the page: the gates, in the order they are
    computed, cut into parts that set on the page as words do in a paragraph, side by side where
    they fit, each line a paragraph of its own (:func:`~symdl.printing.tikz_layout.lines`); a node fed from an earlier
    part is shown again there, dashed, with the part it comes from. Each picture scales itself to the
    page width. Takes the options of ``dot.circuit``; without a ``rankdir``, the direction (left to
    right, or top to bottom) that fits best, and each part in the direction that packs best."""
    options = scene.Options(**{"rankdir": "LR", **circuit_options, "narrow": True})
    v = scene.view(source, options.depth)
    directions = ("LR", "TB") if "rankdir" not in circuit_options else (options.rankdir,)
    best = max((dataclasses.replace(options, rankdir=r) for r in directions),
               key=lambda o: scale(laid_out(v, o, _rows).size))
    size, least = _measure(v, best)
    split = scale(size) < least
    parts = lines(v, options, directions, _measure) if split else [[(v, best)]]
    paragraphs = [_legend_picture(v, options)] if scene.legend_rows(v, options) else []
    paragraphs += ["".join(_picture(part, o, split) for part, o in line) for line in parts]
    text = "\n".join(paragraphs)  # a blank line between paragraphs: lines of pictures, one under another
    if not is_safe(text):  # unreachable while every name goes through texsafe; a tripwire
        raise SymdlError("refusing to write TikZ that holds a file or definition command")
    return text


def _picture(v: scene.View, options: scene.Options, split: bool) -> str:
    ids = v.ids()
    layout = laid_out(v, options, _rows)
    fit = drawn_scale(layout.size, _measure(v, options)[1], split)
    shrink = [f"scale={fit:.4f}, transform shape"] if fit < 1 else []
    lines = [r"\begin{tikzpicture}[" + ",\n  ".join(shrink + list(_STYLES)) + "]", *_PREAMBLE,
             rf"\useasboundingbox (0,0) rectangle {_xy(layout.size)};"]  # Graphviz's, not the curves' control points
    for node in graphs.topological_order(v.graph):
        lines.append(_node(v, node, ids[node], layout, options))
    for u, w in scene.edges(v.graph):
        lines.append(_wire(v, u, w, ids, layout, options))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"


def _measure(v: scene.View, options: scene.Options) -> tuple[tuple[float, float], float]:
    """The circuit's size as laid out, and the least it may shrink to: its smallest text at 6 pt."""
    size = laid_out(v, options, _rows).size
    texts = [row for node in v.graph for row in _rows(v, node, options)]
    texts += [_local_label(v, u, w, options) or "" for u, w in scene.edges(v.graph)]
    return size, max(map(_least_scale, texts), default=MIN_SCALE_WITHOUT_SCRIPTS)


def _least_scale(text: str) -> float:
    """How far a line of a box or label may shrink: by its smallest text, a script of a script (in an
    inline fraction's numerator, ``\\frac{1}{q_{9}}``: 7 pt) least, then a script, then 10.95 pt text."""
    inline_fraction = r"\frac" in text and r"\displaystyle" not in text
    if _NESTED_SCRIPT.search(text) or (inline_fraction and re.search(r"[_^]", text)):
        return MIN_SCALE_NESTED
    return MIN_SCALE if re.search(r"[_^]", text) or inline_fraction else MIN_SCALE_WITHOUT_SCRIPTS


def _xy(point: tuple[float, float]) -> str:
    return f"({point[0]:.2f},{point[1]:.2f})"


def _name(v: scene.View, node: str) -> str:
    """A node's symbol in TeX; the output may be in another part (``whole``) or inside a layer block."""
    return latex_of(v.symbol(node))


def _node(v: scene.View, node: str, node_id: str, layout: Layout, options: scene.Options) -> str:
    box = layout.boxes.get(node_id)
    if box is None:
        raise SymdlError(f"the Graphviz layout has no box for node {node!r}")
    x0, y0, x1, y1 = box
    rows, style = _box(v, node, options)
    size = f"minimum width={x1 - x0:.2f}bp, minimum height={y1 - y0:.2f}bp"
    return (rf"\node[{style}, {size}] ({node_id}) at {_xy(((x0 + x1) / 2, (y0 + y1) / 2))} "
            "{" + "".join(row + _line_break(row) for row in rows[:-1]) + rows[-1] + "};")


def _rows(v: scene.View, node: str, options: scene.Options) -> list[str]:
    """A node's lines in its box, which the layout sizes the box for."""
    return _box(v, node, options)[0]


def _box(v: scene.View, node: str, options: scene.Options) -> tuple[list[str], str]:
    """A node's lines (its title, value and ∂f/∂node) and its style. The title's formula may be as
    wide as :data:`ROOM` or as the box's other lines, whichever is wider."""
    value, grad = scene.shown_value(v, node, options), scene.shown_grad(v, node, options)
    beside = scene.value_beside_name(v, node, options)
    rows = _coloured(VALUE, None, value) if value is not None and not beside else []
    if grad is not None:
        partial = rf"\partial {_name(v, v.output)}/\partial {_name(v, node)}"
        rows += _coloured(GRAD, (partial, scene.partial(v, v.output, node)), grad)
    title, style = _title_rows(v, node, max([ROOM] + [line_width(row) for row in rows]))
    if beside:
        title[0] += rf" \textcolor{{{VALUE}}}{{${value_text(value, True, TEX)}$}}"
    return title + rows, style


def _line_break(row: str) -> str:
    """The break after a box's line: a displayed fraction reaches further down than a line's depth,
    so the line under it starts 4 pt lower, clear of the denominator."""
    return r"\\[4pt] " if r"\displaystyle" in row else r"\\ "


def _title_rows(v: scene.View, node: str, room: float) -> tuple[list[str], str]:
    """The first lines of a node's box, and its style: ``$q = x + y$`` for a gate (a tensor gate by
    its matrix form, ``$z_1 = W_1 x$``), the name and op glyphs of a layer block with its parameters,
    the name of a leaf, and for a node continued from another part, its name and that part. A formula
    wider than ``room`` (bp) is written by its op's name: a box as wide would crowd out its neighbours."""
    data = v.graph.nodes[node]
    if data.get("continued"):
        return [f"${_name(v, node)}$", *scene.extra_lines(data)], "symdl continued"
    if data["kind"] == "block":
        rows = [rf"$\mathbf{{{_name(v, node)}}}$\ [{tex_escape(scene.block_ops(data))}]"]
        return rows + [tex_escape(line) for line in scene.extra_lines(data)], "symdl block"
    if data["kind"] != "op":
        return [f"${_name(v, node)}$"], "symdl leaf"
    name, operands = _name(v, node), [_name(v, i) for i in data["inputs"]]
    glyph = rf"\mathrm{{{tex_escape(ops.glyph(data))}}}"
    formula = latex_of(data["expr"]) if data.get("tensor") else ops.gate(data).tex(operands, data["const"])
    style = "symdl output" if node == v.output else "symdl gate"
    if data.get("tensor") and v.name(node) == text(data["expr"]):  # a transpose named by its formula, K₁ᵀ:
        # K₁ᵀ = K₁ᵀ would say nothing; its glyph instead, as the DOT title has it
        return [rf"${name}$\ ${glyph}$"], style
    if line_width(f"${name} = {formula}$") > room or _NESTED_SCRIPT.search(formula):
        # by its op, as the DOT title says it, applied to its operands (M₁ = mask(Z₁): M₁ is no mask); a
        # nested script, e^{q_5}, would set its 5 at 6 pt, under 6 pt once shrunk
        formula = rf"{glyph}({', '.join(operands)})"
    if r"\frac" in formula:
        formula = rf"\displaystyle {formula}"  # a fraction's q₇ at full size, not a subscript's subscript
    return [f"${name} = {formula}$"], style


def _wire(v: scene.View, u: str, w: str, ids: dict[str, str], layout: Layout, options: scene.Options) -> str:
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
             "value": None if value is None else tex_number(value)}
    lines = [f"${'= ' if i else ''}{' = '.join(parts[k] for k in kinds)}$"
             for i, kinds in enumerate(scene.local_lines(v, u, w, options))]
    return r"\\ ".join(lines) if lines else None


def _coloured(colour: str, name: Optional[tuple[str, str]], value) -> list[str]:
    """A box's value or gradient line(s) in its colour: ``= value``, or ``name = value`` with the name
    (TeX, and the plain text that decides the break) on a line of its own where the DOT box breaks it."""
    lines = [value_text(value, True, TEX)]
    if name is not None:
        tex, plain = name
        lines = [tex, *lines] if scene.breaks_box(plain, value, narrow=True) else [f"{tex} {lines[0]}", *lines[1:]]
    return [rf"\textcolor{{{colour}}}{{${line}$}}" for line in lines]


def _legend_picture(v: scene.View, options: scene.Options) -> str:
    """The legend alone, a picture above the circuit's."""
    rows = scene.legend_rows(v, options)
    return "\n".join([r"\begin{tikzpicture}[" + ",\n  ".join(_STYLES) + "]", *_PREAMBLE,
                      _legend(v, rows, options), r"\end{tikzpicture}"]) + "\n"


def _legend(v: scene.View, rows: list[tuple[str, str, str]], options: scene.Options) -> str:
    colour = {scene.VALUE_COLOUR: VALUE, scene.GRAD_COLOUR: GRAD}
    texts = {
        "legend_value": "forward value",
        "legend_grad": rf"global gradient $\partial {_name(v, v.output)}/\partial\,\mathrm{{node}}$",
        "legend_local": "local gradient (on an edge)",
    }
    lines = [rf"\textcolor{{{colour[c]}}}{{{texts[row_id]}}}" for row_id, _, c in rows]
    return (r"\node[symdl legend] (legend) at (0,0) "
            "{" + r"\\ ".join(lines) + "};")
