"""NumPy implementations of the activations, stable at extreme inputs.

Each is written so that no intermediate overflows: sigmoid(-1000) is 0 and
softplus(1000) is 1000, with no floating-point warnings.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def softplus(x):
    """log(1 + e^x) as logaddexp(0, x): exact to rounding for all x."""
    return np.logaddexp(0.0, x)


def log_sigmoid(x):
    """log σ(x) = −softplus(−x); log_sigmoid(−800) is −800, not −inf."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=float))


def sigmoid(x):
    """σ(x) = exp(−softplus(−x)); underflows quietly to 0 far left, saturates at 1 far right."""
    return np.exp(log_sigmoid(x))


def relu(x):
    return np.maximum(x, 0.0)


def leaky_relu(x, slope=0.01):
    return np.where(np.asarray(x) > 0, x, np.multiply(slope, x))


def heaviside(x, at_zero=0.0):
    return np.heaviside(x, at_zero)


def gelu(x):
    """x·Φ(x) with Φ(x) = erfc(−x/√2)/2: no cancellation far left, where 1 + erf would lose every digit."""
    return x * special.erfc(-np.asarray(x, dtype=float) / np.sqrt(2.0)) / 2
