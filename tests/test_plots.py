"""The gallery's plots: every legend sits where no curve and no label is, every text on a canvas that
fits a 1280 px page, computed from matplotlib's own layout (boxes in display coordinates against each
line's drawn path); the logic gates' lines are the bundled worksheets' own."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.text import Text  # noqa: E402

from symdl import examples as bundled, plots  # noqa: E402


def _path(line, step: float = 1.0) -> np.ndarray:
    """The display points of a drawn line, every ``step`` px along each segment (a segment may cross a
    box with both ends outside it), clipped to its axes, as the drawing is."""
    points = line.get_transform().transform(np.column_stack(line.get_data()))
    dense = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(int(np.hypot(*(b - a)) / step), 1)
        dense.append(a + (b - a) * np.linspace(0, 1, n + 1)[1:, None])
    dense = np.concatenate(dense)
    box = line.axes.get_window_extent()
    keep = (dense[:, 0] >= box.x0) & (dense[:, 0] <= box.x1) & (dense[:, 1] >= box.y0) & (dense[:, 1] <= box.y1)
    return dense[keep]


def legend_clashes(figure) -> list[str]:
    """What each legend's box covers: a point of a line (the marker's radius around it), a tick
    label, an axis label or title of any panel, another legend."""
    renderer = figure.canvas.get_renderer()
    figure.canvas.draw()
    legends = [(axis, axis.get_legend()) for axis in figure.axes if axis.get_legend()]
    assert legends, "no legend to check"
    found = []
    for axis, legend in legends:
        box = legend.get_window_extent(renderer)
        for other in figure.axes:
            for line in other.lines:
                marked = line.get_marker() not in ("None", None, "")
                reach = line.get_markersize() * figure.dpi / 72 / 2 if marked else 0
                near = box.expanded(1, 1).padded(reach)
                inside = [near.contains(x, y) for x, y in _path(line)]
                if any(inside):
                    found.append(f"{axis.get_title()}: the legend covers {line.get_label()!r}")
            texts = [other.xaxis.get_tightbbox(renderer), other.yaxis.get_tightbbox(renderer),
                     other.title.get_window_extent(renderer)]
            if any(t is not None and t.width and box.overlaps(t) for t in texts):
                found.append(f"{axis.get_title()}: the legend covers a label of {other.get_title()!r}")
        for _, neighbour in legends:
            if neighbour is not legend and box.overlaps(neighbour.get_window_extent(renderer)):
                found.append(f"{axis.get_title()}: two legends overlap")
    return found


@pytest.fixture(scope="module")
def figures():
    made = {"activations": plots.activations_figure(), "gradient_flow": plots.gradient_flow_figure(),
            "logic_gates": plots.logic_gates_figure(plots.worksheet_gates())}
    yield made
    for figure in made.values():
        plots.pyplot().close(figure)


PLOTS = ["activations", "gradient_flow", "logic_gates"]


@pytest.mark.parametrize("name", PLOTS)
def test_no_legend_covers_a_curve_or_a_label(figures, name):
    assert legend_clashes(figures[name]) == []


def test_the_check_finds_a_legend_inside_the_data():
    """Issue 12's cases, put back: the legend at the upper left of the tanh panel crosses tanh', and
    at the upper right of the gradient-flow axes it covers the exploding ReLU chain."""
    activations, flow = plots.activations_figure(), plots.gradient_flow_figure()
    try:
        activations.axes[1].legend(loc="upper left", fontsize=8, frameon=False)
        flow.axes[0].legend(loc="upper right", frameon=False)
        assert any("tanh" in clash for clash in legend_clashes(activations))
        assert any("ReLU, all weights 5" in clash for clash in legend_clashes(flow))
    finally:
        plots.pyplot().close(activations)
        plots.pyplot().close(flow)


def test_the_plots_show_what_the_engine_computes():
    """The exploding chain by hand: z_l = 5 a_(l−1), a_l = z_l (all positive), so a_10 = 5¹⁰ and
    ∂L/∂a_l = a_10 · 5^(10−l) = 5^(20−l) at x = 1, y = 0: 5¹⁹ at layer 1. Read off the drawn line."""
    figure = plots.gradient_flow_figure()
    try:
        (relu5,) = [line for line in figure.axes[0].lines if line.get_label() == "ReLU, all weights 5"]
        assert np.allclose(relu5.get_ydata(), [5.0 ** (20 - l) for l in range(1, 11)])
    finally:
        plots.pyplot().close(figure)


def texts_off_the_canvas(figure) -> list[str]:
    """What is drawn off the figure's canvas (half a pixel of slack): a panel with its tick labels, axis
    labels, title and legend (its tight box, the ticks drawn only), or a text of the figure's own."""
    figure.canvas.draw()
    renderer, canvas = figure.canvas.get_renderer(), figure.bbox
    boxes = [(f"panel {axis.get_title()!r}", axis.get_tightbbox(renderer)) for axis in figure.axes]
    boxes += [(item.get_text(), item.get_window_extent(renderer)) for item in figure.get_children()
              if isinstance(item, Text) and item.get_visible() and item.get_text().strip()]
    return [name for name, box in boxes
            if box.x0 < canvas.x0 - 0.5 or box.y0 < canvas.y0 - 0.5 or box.x1 > canvas.x1 + 0.5
            or box.y1 > canvas.y1 + 0.5]


def svg_width_px(svg: str) -> float:
    """The width a browser gives the SVG: its width in pt, at 96 px to 72 pt."""
    width = ElementTree.fromstring(svg).get("width")
    assert width.endswith("pt"), width
    return float(width[:-2]) * 96 / 72


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_fits_a_1280_px_page_with_its_text_on_the_canvas(figures, name):
    """activations.svg was five panels in a row, 1536 px: its fifth was cut off at 1280 px."""
    figure = figures[name]
    assert figure.get_size_inches()[0] * 96 <= 1280
    assert texts_off_the_canvas(figure) == []
    assert svg_width_px(plots.svg_of(figure)) <= 1280  # the file is the canvas, not a box around more


def test_the_checks_find_a_text_off_the_canvas_and_a_page_too_wide():
    figure = plots.pyplot().figure(figsize=(16, 3))
    try:
        figure.text(0.9, 0.5, "a caption that runs off the right edge")
        assert texts_off_the_canvas(figure) == ["a caption that runs off the right edge"]
        assert svg_width_px(plots.svg_of(figure)) == 1536
    finally:
        plots.pyplot().close(figure)


def test_the_plots_own_leaky_relu_slope_is_in_its_legend(figures):
    """The legend's α is the slope drawn: LeakyReLU(x) = αx for x < 0, by a finite difference of the curve."""
    (axis,) = [a for a in figures["activations"].axes if a.get_title().startswith("LeakyReLU")]
    value, derivative = axis.get_lines()[:2]
    alpha = float(re.search(r"α = ([0-9.]+)", value.get_label()).group(1))
    assert alpha == 0.2 and "α" in derivative.get_label()  # the d_leaky_relu page's slope, 1/5
    x, y = value.get_data()
    left = x < -1
    assert np.allclose(np.diff(y[left]) / np.diff(x[left]), alpha)
    assert np.allclose(derivative.get_ydata()[left], alpha)


def worksheet_parameters(name: str) -> dict:
    """A bundled problem file's parameters, read with tomllib (not symdl's loader)."""
    network = tomllib.loads((bundled.folder() / f"{name}.toml").read_text(encoding="utf-8"))["network"]
    return network["parameters"]


def test_the_logic_gates_draw_the_worksheets_weights_and_biases(figures):
    """Each drawn line is w·x + b = 0 for the worksheet's w, b (XOR: each column of W1 with b1), and, by
    hand from the worksheets' titles, AND's is x₁ + x₂ = 1 (b = −1), OR's x₁ + x₂ = 0 (b = 0), and both
    of XOR's hidden units (1, −1) and (−1, 1) with bias 0 lie on x₁ = x₂ (the textbook's 1.5, 0.5 and
    ±0.5 were drawn before)."""
    panels = {re.match(r"x₁ (\w+) x₂", a.get_title()).group(1): a for a in figures["logic_gates"].axes}
    assert list(panels) == ["AND", "OR", "XOR"]
    by_hand = {"AND": [(1, 1, -1)], "OR": [(1, 1, 0)], "XOR": [(1, -1, 0), (-1, 1, 0)]}
    files = {"AND": "perceptron_and", "OR": "perceptron_or", "XOR": "perceptron_xor_two_layers"}
    for gate, axis in panels.items():
        p = worksheet_parameters(files[gate])
        units = ([(*p["w"], p["b"])] if "w" in p else
                 [(*column, bias) for column, bias in zip(np.asarray(p["W1"]).T, p["b1"])])
        assert units == by_hand[gate]
        lines = [line for line in axis.get_lines() if line.get_label().endswith("= 0")]
        assert len(lines) == len(units)
        for line, (w1, w2, b) in zip(lines, units):
            x1, x2 = line.get_data()
            assert len(x1) > 1 and np.allclose(w1 * np.asarray(x1) + w2 * np.asarray(x2) + b, 0)


def test_the_logic_gates_say_the_threshold_convention(figures):
    """The notes' g(0) = 0: inputs on a line give 0 (AND's (0, 1) and (1, 0), OR's (0, 0)); the plot says so."""
    caption = figures["logic_gates"].get_supxlabel()
    assert "1 for z > 0" in caption and "0 for z ≤ 0" in caption
    gates = plots.worksheet_gates()
    assert gates["AND"].truth_table() == (0, 0, 0, 1) and gates["OR"].truth_table() == (0, 1, 1, 1)
    assert gates["XOR"].truth_table() == (0, 1, 1, 0)


def test_logic_gates_svg_is_well_formed_and_deterministic():
    svg = plots.logic_gates_svg()
    assert ElementTree.fromstring(svg).tag.endswith("svg")
    assert svg == plots.logic_gates_svg()
    assert all(f"<!-- x₁ {gate} x₂" in svg for gate in ("AND", "OR", "XOR"))  # the panels' titles
