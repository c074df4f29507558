"""Weight initialisation, seeded, with PyTorch's names and fan conventions.

A weight of shape (out, in, *kernel) has fan_in = in·k and fan_out = out·k, k the
kernel's size, as in ``torch.nn.init``. Every function takes a ``seed`` and draws
from its own ``np.random.default_rng(seed)``, so a worked example is reproducible.

The seed's notes give two schemes: w ~ U[−0.1, 0.1], and w ~ N(0, 2/(n_in + n_out)),
Xavier/Glorot's normal form, chosen so a layer keeps its signal's variance on the way
forward and back. He's N(0, 2/n_in) does the same for ReLU, which zeroes half of it.
:func:`zero_init_symmetry` shows why no scheme may start every weight equal.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

Shape = Sequence[int]


def _fans(shape: Shape) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError(f"fan-in and fan-out need a weight of at least 2 dimensions, not shape {tuple(shape)}")
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def uniform(shape: Shape, a: float = 0.1, seed: int = 0) -> np.ndarray:
    """w ~ U[−a, a]; the seed's "w_ij ~ uniform[−0.1, 0.1]" (torch.nn.init.uniform_(w, −a, a))."""
    return np.random.default_rng(seed).uniform(-a, a, size=tuple(shape))


def xavier_normal(shape: Shape, seed: int = 0) -> np.ndarray:
    """w ~ N(0, 2/(fan_in + fan_out)): Glorot's compromise between keeping forward and backward
    variance (torch.nn.init.xavier_normal_ with gain 1)."""
    fan_in, fan_out = _fans(shape)
    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=tuple(shape))


def xavier_uniform(shape: Shape, seed: int = 0) -> np.ndarray:
    """w ~ U[−a, a] with a = √(6/(fan_in + fan_out)): the same variance, 2/(fan_in + fan_out), as
    :func:`xavier_normal` (torch.nn.init.xavier_uniform_)."""
    fan_in, fan_out = _fans(shape)
    return uniform(shape, a=np.sqrt(6.0 / (fan_in + fan_out)), seed=seed)


def he_normal(shape: Shape, seed: int = 0) -> np.ndarray:
    """w ~ N(0, 2/fan_in): ReLU passes half its input's variance, the 2 puts it back
    (torch.nn.init.kaiming_normal_ with its defaults)."""
    fan_in, _ = _fans(shape)
    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / fan_in), size=tuple(shape))


def zeros(shape: Shape, seed: int = 0) -> np.ndarray:
    """All zeros: right for biases, wrong for weights (see :func:`zero_init_symmetry`); ``seed`` is unused."""
    return np.zeros(tuple(shape))


INITIALISERS = {"uniform": uniform, "xavier_normal": xavier_normal, "xavier_uniform": xavier_uniform,
                "he_normal": he_normal, "zeros": zeros}


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
    from symdl.nn.dense import MLP  # dense builds on this module; the demonstration builds on dense
    from symdl.tensor.network import Network

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
