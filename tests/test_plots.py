"""The gallery's plots: every legend sits where no curve and no label is, computed from matplotlib's
own layout (the legend's box in display coordinates against each line's drawn path)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from symdl import plots  # noqa: E402


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
    made = {"activations": plots.activations_figure(), "gradient_flow": plots.gradient_flow_figure()}
    yield made
    for figure in made.values():
        plots.pyplot().close(figure)


@pytest.mark.parametrize("name", ["activations", "gradient_flow"])
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
