"""A circuit on an HTML page: the SVG as drawn, which scrolls sideways on a screen, and, for a circuit
wider than a printed page's text column (or taller than the page), the same drawing in parts for print.

Paper does not scroll: a wide figure was cut at the page's edge (softmax_jacobian ended at "[0.659, 0"),
and shrunk to the page its labels would be ~1 pt. So each part is a window on the one drawing (an SVG
``<use>`` of it, no second copy) at full size, one page column wide, cut where no node or label is
(an arrow may cross a cut) and cropped to what it shows, so it has no empty band above it. The page's
stylesheet shows the parts in print only.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

PART_WIDTH = 480.0  # pt: within the text column of a printed A4 or Letter page with 1.5 cm margins
PART_HEIGHT = 620.0  # pt: within that page's height (Letter's 707 pt), with room for the heading above
_SVG = "{http://www.w3.org/2000/svg}"
_PAIR = re.compile(r"(-?[\d.]+)[, ](-?[\d.]+)")
_CHARACTER = 0.62  # a label's character width per unit of font size, generous for the monospace labels
_PAD = 4.0  # pt around a part's content

Box = tuple[float, float, float, float]  # x0, x1, y0, y1 in the drawing's own coordinates


def circuit_figure(svg: str, printable: bool) -> str:
    """The ``<figure>`` of an inline circuit ``svg``; with ``printable`` (a page, whose stylesheet hides
    them on screen) and the drawing wider than a part, its parts for print after it."""
    parts = print_parts(svg) if printable else []
    if not parts:
        return f'<figure class="circuit">\n{svg}\n</figure>'
    shown = "\n".join(parts)
    return f'<figure class="circuit in-parts">\n{svg}\n<div class="print-parts">\n{shown}\n</div>\n</figure>'


def print_parts(svg: str) -> list[str]:
    """The windows on ``svg`` that print it whole, each at most :data:`PART_WIDTH` wide and
    :data:`PART_HEIGHT` high; none when the drawing fits in one, or when it has no group to point at."""
    root = ET.fromstring(svg)
    group = root.find(f"{_SVG}g[@id]")
    width, height = (float(root.get(k, "0pt").removesuffix("pt")) for k in ("width", "height"))
    if group is None or (width <= PART_WIDTH and height <= PART_HEIGHT):
        return []
    solid, lines = _boxes(group)
    every = solid + lines
    windows = []
    for x0, x1 in _spans([b[:2] for b in solid], min(b[0] for b in every), max(b[1] for b in every), PART_WIDTH):
        strip = [b for b in every if b[0] < x1 and b[1] > x0]
        if not strip:  # a window on empty paper is left out
            continue
        across = [b[2:] for b in solid if b[0] < x1 and b[1] > x0]
        for y0, y1 in _spans(across, min(b[2] for b in strip), max(b[3] for b in strip), PART_HEIGHT):
            if any(b[2] < y1 and b[3] > y0 for b in strip):
                windows.append((x0, y0, x1 - x0, y1 - y0))
    return [f'<svg class="part" width="{w:.1f}pt" height="{h:.1f}pt" viewBox="{x:.1f} {y:.1f} {w:.1f} {h:.1f}" '
            f'role="img" aria-label="Part {i} of {len(windows)} of the circuit"><use href="#{group.get("id")}"/></svg>'
            for i, (x, y, w, h) in enumerate(windows, 1)]


def _boxes(group: ET.Element) -> tuple[list[Box], list[Box]]:
    """The extents of what must not be cut (nodes, boxes, every label) and of the edges' lines (which may
    be), in the coordinates of the SVG's viewBox (the group's translate applied)."""
    dx, dy = (float(v) for v in re.search(r"translate\((-?[\d.]+)[ ,](-?[\d.]+)\)", group.get("transform", "")
                                          or "translate(0 0)").groups())
    solid, lines = [], []
    for g in group.iter(f"{_SVG}g"):
        for shape in g:
            tag = shape.tag.removeprefix(_SVG)
            if tag == "text":
                solid.append(_text_box(shape))
            elif tag in ("path", "polygon", "polyline", "ellipse") and g is not group:  # the group's own: the page
                points = _points(shape)
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                (lines if g.get("class") == "edge" else solid).append((min(xs), max(xs), min(ys), max(ys)))
    return [(x0 + dx, x1 + dx, y0 + dy, y1 + dy) for x0, x1, y0, y1 in solid], \
        [(x0 + dx, x1 + dx, y0 + dy, y1 + dy) for x0, x1, y0, y1 in lines]


def _points(shape: ET.Element) -> list[tuple[float, float]]:
    """A shape's corners (an ellipse's box), or the points of a path's segments."""
    if shape.tag == f"{_SVG}ellipse":
        cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
        return [(cx - rx, cy - ry), (cx + rx, cy + ry)]
    return [(float(x), float(y)) for x, y in _PAIR.findall(shape.get("d") or shape.get("points", ""))]


def _text_box(text: ET.Element) -> Box:
    x, y, size = float(text.get("x")), float(text.get("y")), float(text.get("font-size", "14"))
    width = _CHARACTER * size * len("".join(text.itertext()))
    start = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor", "start"), x)
    return start, start + width, y - size, y + size / 4


def _spans(solid: list[tuple[float, float]], low: float, high: float, size: float) -> list[tuple[float, float]]:
    """Consecutive spans from ``low`` to ``high`` (padded), each at most ``size`` long and ending at the
    furthest point where no ``solid`` interval is, just before or after one (else at its full length,
    through whatever is there)."""
    cuts = [low - _PAD]
    while cuts[-1] + size < high + _PAD:
        start, limit = cuts[-1], cuts[-1] + size
        ends = [limit, *(a - 1 for a, _ in solid), *(b + 1 for _, b in solid)]
        free = [x for x in ends if start + 1 < x <= limit and not any(a < x < b for a, b in solid)]
        cuts.append(max(free, default=limit))
    cuts.append(high + _PAD)
    return list(zip(cuts, cuts[1:]))
