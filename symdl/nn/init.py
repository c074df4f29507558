"""Weight initialisation, seeded, with PyTorch's names and fan conventions.

A weight of shape (out, in, *kernel) has fan_in = in·k and fan_out = out·k, k the
kernel's size, as in ``torch.nn.init``. Every function takes a ``seed`` and draws
from its own ``np.random.default_rng(seed)``, so a worked example is reproducible.

The seed's notes give two schemes: w ~ U[−0.1, 0.1], and w ~ N(0, 2/(n_in + n_out)),
Xavier/Glorot's normal form, chosen so a layer keeps its signal's variance on the way
forward and back. He's N(0, 2/n_in) does the same for ReLU, which zeroes half of it.
:func:`symdl.examples.symmetry.zero_init_symmetry` shows why no scheme may start every weight equal.
"""

from __future__ import annotations

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
    """All zeros: right for biases, wrong for weights (see :mod:`symdl.examples.symmetry`); ``seed`` is unused."""
    return np.zeros(tuple(shape))


INITIALISERS = {"uniform": uniform, "xavier_normal": xavier_normal, "xavier_uniform": xavier_uniform,
                "he_normal": he_normal, "zeros": zeros}
