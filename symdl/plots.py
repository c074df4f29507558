"""Plots a person would rather look at than read: activations with their
derivatives, how the gradient's size changes layer by layer in deep chains, and
the perceptrons' decision boundaries.

Every number plotted comes from symdl itself (kernels, backprop, the bundled
problem files), so the pictures show what the engine computes; a constant a plot
chooses itself is named in its legend or title. Output is deterministic SVG, each
figure laid out to fit a 1280 px page with all its text on its canvas.
"""

from __future__ import annotations

import io
from typing import Mapping, Sequence

import numpy as np
import sympy as sp

from symdl import examples as bundled, ops
from symdl.backprop import backprop
from symdl.kernels import kernel
from symdl.nn import perceptron
from symdl.printing.text import text
from symdl.worksheet import load

LEAKY_SLOPE = 0.2  # the gallery's α: the plot's and the d_leaky_relu page's, large enough to see (the worksheet's is 0.01)
ACTIVATIONS = (
    ("sigmoid(x)", "σ(x)", "σ' = σ(1 − σ)"),
    ("tanh(x)", "tanh(x)", "tanh' = 1 − tanh²"),
    ("relu(x)", "ReLU(x)", "ReLU' = H(x)"),
    (f"leaky_relu(x, {LEAKY_SLOPE})", f"LeakyReLU(x), α = {LEAKY_SLOPE}", "LeakyReLU' = 1, or α for x < 0"),
    ("softplus(x)", "softplus(x)", "softplus' = σ"),
)
COLUMNS = 3  # panels per row: five side by side were 1536 px wide
PAGE_WIDTH = 1280  # px: a plot fits a page this wide (an SVG inch is 96 px)
VALUE_COLOUR, GRADIENT_COLOUR = "#1b7837", "#b2182b"  # the circuits' colours: values green, gradients red


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no screen is needed or wanted
    matplotlib.rcParams["svg.hashsalt"] = "symdl"  # stable element ids, so the gallery is byte-for-byte reproducible
    import matplotlib.pyplot as plt

    return plt


def svg_of(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})  # the canvas as laid out
    return buffer.getvalue()


def closed_svg(figure) -> str:
    """The figure as SVG, then closed: pyplot keeps every open figure alive."""
    svg = svg_of(figure)
    pyplot().close(figure)
    return svg


def panels(count: int, width: float = 3.3, height: float = 3.6):
    """A figure of ``count`` panels in rows of at most :data:`COLUMNS`, laid out by matplotlib's constrained
    layout (which keeps titles and legends on the canvas); the unused slots of the last row removed."""
    rows = -(-count // COLUMNS)
    columns = min(count, COLUMNS)
    figure, axes = pyplot().subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False,
                                     layout="constrained")
    for axis in axes.flat[count:]:
        axis.remove()
    return figure, list(axes.flat[:count])


def activations_figure(xs: np.ndarray = np.linspace(-5, 5, 401)):
    """Each activation beside its derivative, both from one compiled kernel; each panel's legend
    under its axes, where no curve passes (inside, it crossed tanh')."""
    figure, axes = panels(len(ACTIVATIONS))
    for axis, (source, title, rule) in zip(axes, ACTIVATIONS):
        value, grads = kernel(source)(x=xs)
        axis.plot(xs, value, color=VALUE_COLOUR, label=title)
        axis.plot(xs, grads["x"], color=GRADIENT_COLOUR, linestyle="--", label=rule)
        axis.axhline(0, color="0.8", linewidth=0.8)
        axis.set_title(title)
        axis.set_xlabel("x")
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)
    return figure


def activations_svg(xs: np.ndarray = np.linspace(-5, 5, 401)) -> str:
    return closed_svg(activations_figure(xs))


def chain_steps(activation: str, depth: int) -> str:
    """Named steps of a one-unit-per-layer chain: z_l = w_l a_{l-1}, a_l = act(z_l), L = ½(a_L − y)²."""
    steps: list[str] = []
    previous = "x"
    for layer in range(1, depth + 1):
        steps += [f"z{layer} = w{layer}*{previous}", f"a{layer} = {activation}(z{layer})"]
        previous = f"a{layer}"
    steps.append(f"L = ({previous} - y)**2/2")
    return "; ".join(steps)


def layer_gradients(activation: str, weight: float, depth: int) -> list[float]:
    """|∂L/∂a_l| for l = 1 … depth, by symdl's backward pass at x = 1, y = 0."""
    point = {"x": 1, "y": 0, **{f"w{layer}": weight for layer in range(1, depth + 1)}}
    grads = {n["id"]: n["grad"] for n in backprop(chain_steps(activation, depth), at=point).to_dict()["nodes"]}
    return [abs(grads[f"a{layer}"]) for layer in range(1, depth + 1)]


CHAINS = (("sigmoid", 0.5), ("tanh", 0.5), ("relu", 5.0), ("relu", 1.0))


def gradient_flow_figure(depth: int = 10, chains: Sequence[tuple[str, float]] = CHAINS):
    """The vanishing/exploding story of the seed: gradient size per layer on a log scale, the legend
    beside the axes (inside, it covered the exploding ReLU chain)."""
    figure, axis = pyplot().subplots(figsize=(10, 4), layout="constrained")
    layers = np.arange(1, depth + 1)
    for activation, weight in chains:
        axis.semilogy(layers, layer_gradients(activation, weight, depth), marker="o",
                      label=f"{ops.get(activation).glyph}, all weights {weight:g}")
    axis.set_xlabel("layer l (1 = nearest the input)")
    axis.set_ylabel(r"$|\partial L/\partial a_l|$")
    axis.set_title(f"Gradient size per layer, {depth}-layer chains, at x = 1, y = 0")
    axis.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    return figure


def gradient_flow_svg(depth: int = 10, chains: Sequence[tuple[str, float]] = CHAINS) -> str:
    return closed_svg(gradient_flow_figure(depth, chains))


# Each gate as a worksheet sets it: the plot reads the bundled problem file, so the page and the plot
# draw one perceptron.
LOGIC_GATES = (("AND", "perceptron_and"), ("OR", "perceptron_or"), ("XOR", "perceptron_xor_two_layers"))
CONVENTION = "step(z) = 1 for z > 0, 0 for z ≤ 0, the worksheets' g: an input on a line gives 0."
_X1, _X2, _A1, _A2 = (sp.Symbol(name) for name in ("x_1", "x_2", "a_1", "a_2"))


def worksheet_gates() -> dict[str, perceptron.Perceptron | perceptron.TwoLayerPerceptron]:
    """The perceptron of each gate's bundled problem file, by gate."""
    return {gate: perceptron.from_parameters(load(bundled.path(name)).spec["parameters"])
            for gate, name in LOGIC_GATES}


def sources() -> str:
    """Where the weights come from, named as a reader finds them: by the worksheets' titles (up to
    their colon, "A perceptron for x₁ AND x₂"), not by file name."""
    titles = (load(bundled.path(name)).title.partition(":")[0] for _, name in LOGIC_GATES)
    return "Weights and biases from the worksheets " + ", ".join(f"‘{title}’" for title in titles) + "."


def _formula(model) -> tuple[str, list[str]]:
    """What a panel writes: y as a formula of the inputs (or of the hidden units a₁, a₂), and each drawn
    line's equation, z = 0 for its unit's z."""
    if isinstance(model, perceptron.TwoLayerPerceptron):
        zs = [text(unit.preactivation(_X1, _X2)) for unit in model.hidden]
        labels = [f"{text(a)} = step({z}): {z} = 0" for a, z in zip((_A1, _A2), zs)]
        return f"y = step({text(model.output.preactivation(_A1, _A2))})", labels
    z = text(model.preactivation(_X1, _X2))
    return f"y = step({z})", [f"{z} = 0"]


def logic_gates_figure(models: Mapping[str, perceptron.Perceptron | perceptron.TwoLayerPerceptron]):
    """One panel per gate: its inputs (filled where the output is 1), the region where the model
    outputs 1 shaded, and each unit's line w1 x1 + w2 x2 + b = 0, labelled with its equation; the
    threshold convention under them all."""
    figure, axes = panels(len(models), height=4.2)
    grid = np.linspace(-0.5, 1.5, 101)
    mesh = np.stack(np.meshgrid(grid, grid), axis=-1)
    for axis, (gate, model) in zip(axes, models.items()):
        targets = np.asarray(perceptron.TRUTH_TABLES[gate])
        axis.contourf(grid, grid, model(mesh), levels=[-0.5, 0.5, 1.5], colors=["#f7f7f7", "#d9f0d3"])
        formula, labels = _formula(model)
        for unit, label, style in zip(model.boundaries, labels, ("-", (0, (4, 4)))):
            (w1, w2), b = unit.weight, unit.bias
            if w2:
                axis.plot(grid, -(w1 * grid + b) / w2, color=GRADIENT_COLOUR, linestyle=style, label=label)
            else:
                axis.axvline(-b / w1, color=GRADIENT_COLOUR, linestyle=style, label=label)
        axis.scatter(perceptron.INPUTS[:, 0], perceptron.INPUTS[:, 1], s=70, edgecolors="black",
                     c=[VALUE_COLOUR if t else "white" for t in targets], zorder=3)
        axis.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="x₁", ylabel="x₂", aspect="equal")
        axis.set_title(f"x₁ {gate} x₂\n{formula}", fontsize=10)
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8, frameon=False)
    figure.supxlabel(f"{CONVENTION} {sources()}", fontsize=8, wrap=True)
    return figure


def logic_gates_svg() -> str:
    return closed_svg(logic_gates_figure(worksheet_gates()))
