"""A worked demonstration, not a layer: why no initialisation may start every weight equal.

An MLP whose weights all start at one value, trained by plain gradient descent, keeps every hidden
unit a copy of the others for ever; :mod:`symdl.nn.init`'s seeded random schemes break the tie.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from symdl.nn.dense import MLP
from symdl.tensor.network import Network


@dataclasses.dataclass(frozen=True)
class SymmetryReport:
    """Hidden activations and first-layer weight gradients, one row per hidden unit, after each step."""

    hidden: list[np.ndarray]  # hidden[t][j]: unit j's activation at step t
    weight_grad: list[np.ndarray]  # weight_grad[t][j]: ∂L/∂(row j of the first weight) at step t
    weight: np.ndarray  # the first weight after the last update

    @property
    def units_identical(self) -> bool:
        """True when, at every step, every hidden unit has the same value, gradient and weights."""
        rows = [*self.hidden, *self.weight_grad, self.weight]
        return all(np.allclose(r, r[:1], rtol=0, atol=1e-12) for r in rows)


def zero_init_symmetry(sizes: Sequence[int] = (4, 3, 2), value: float = 0.0, steps: int = 3,
                       learning_rate: float = 0.5, activation: str = "sigmoid", x: Sequence[float] | None = None,
                       y: Sequence[float] | None = None) -> SymmetryReport:
    """Train an MLP whose weights all start at ``value`` with plain gradient descent on ½‖a − y‖²
    and record each hidden unit. Every unit computes the same function of the same input, so it
    gets the same gradient and the same update: the units stay copies of one another for ever.
    With ``value = 0`` and a sigmoid the first layer's gradient is even exactly 0 (the layer above
    sends back Wᵀδ = 0); with any other equal value it is nonzero but still equal across units."""
    x = np.linspace(-1.0, 1.0, sizes[0]) if x is None else np.asarray(x, dtype=float)
    y = np.linspace(0.2, 0.8, sizes[-1]) if y is None else np.asarray(y, dtype=float)
    mlp = MLP(sizes, activation=activation, init="zeros")
    for layer in mlp.layers:
        layer.weight = np.full_like(layer.weight, value)
        layer.bias = np.full_like(layer.bias, value)
    hidden, weight_grad = [], []
    for _ in range(steps):
        net = Network()
        loss = net.apply("half_sse", mlp(net, net.input("x", x), name="mlp"), net.constant("y", y), name="L")
        grads = net.backward(loss)
        hidden.append(net.value("mlp.a1"))
        weight_grad.append(grads["mlp.fc1.weight"])
        for i, layer in enumerate(mlp.layers, start=1):
            layer.weight = layer.weight - learning_rate * grads[f"mlp.fc{i}.weight"]
            layer.bias = layer.bias - learning_rate * grads[f"mlp.fc{i}.bias"]
    return SymmetryReport(hidden, weight_grad, mlp.layers[0].weight)
