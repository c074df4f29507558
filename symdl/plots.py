"""Plots a person would rather look at than read: activations with their
derivatives, and how the gradient's size changes layer by layer in deep chains.

Every number plotted comes from symdl itself (kernels and backprop), so the
pictures show what the engine computes. Output is deterministic SVG.
"""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from symdl import ops
from symdl.backprop import backprop
from symdl.kernels import kernel

ACTIVATIONS = (
    ("sigmoid(x)", "σ(x)", "σ' = σ(1 − σ)"),
    ("tanh(x)", "tanh(x)", "tanh' = 1 − tanh²"),
    ("relu(x)", "ReLU(x)", "ReLU' = H(x)"),
    ("leaky_relu(x, 0.1)", "LeakyReLU(x, 0.1)", "1 or 0.1"),
    ("softplus(x)", "softplus(x)", "softplus' = σ"),
)
VALUE_COLOUR, GRADIENT_COLOUR = "#1b7837", "#b2182b"  # the circuits' colours: values green, gradients red


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no screen is needed or wanted
    matplotlib.rcParams["svg.hashsalt"] = "symdl"  # stable element ids, so the gallery is byte-for-byte reproducible
    import matplotlib.pyplot as plt

    return plt


def svg_of(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return buffer.getvalue()


def closed_svg(figure) -> str:
    """The figure as SVG, then closed: pyplot keeps every open figure alive."""
    svg = svg_of(figure)
    pyplot().close(figure)
    return svg


def activations_figure(xs: np.ndarray = np.linspace(-5, 5, 401)):
    """Each activation beside its derivative, both from one compiled kernel; each panel's legend
    under its axes, where no curve passes (inside, it crossed tanh')."""
    figure, axes = pyplot().subplots(1, len(ACTIVATIONS), figsize=(3.2 * len(ACTIVATIONS), 3.4), sharex=True)
    for axis, (text, title, rule) in zip(axes, ACTIVATIONS):
        value, grads = kernel(text)(x=xs)
        axis.plot(xs, value, color=VALUE_COLOUR, label=title)
        axis.plot(xs, grads["x"], color=GRADIENT_COLOUR, linestyle="--", label=rule)
        axis.axhline(0, color="0.8", linewidth=0.8)
        axis.set_title(title)
        axis.set_xlabel("x")
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)
    figure.tight_layout()
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
    figure, axis = pyplot().subplots(figsize=(8, 4))
    layers = np.arange(1, depth + 1)
    for activation, weight in chains:
        axis.semilogy(layers, layer_gradients(activation, weight, depth), marker="o",
                      label=f"{ops.get(activation).glyph}, all weights {weight:g}")
    axis.set_xlabel("layer l (1 = nearest the input)")
    axis.set_ylabel(r"$|\partial L/\partial a_l|$")
    axis.set_title(f"Gradient size per layer, {depth}-layer chains")
    axis.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    figure.tight_layout()
    return figure


def gradient_flow_svg(depth: int = 10, chains: Sequence[tuple[str, float]] = CHAINS) -> str:
    return closed_svg(gradient_flow_figure(depth, chains))
