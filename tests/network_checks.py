"""Central differences for tensor networks, shared by the layer tests (recurrent, attention)."""

from __future__ import annotations

import numpy as np

H = 1e-6


def finite_difference_check(build, leaves: dict[str, np.ndarray], collect=lambda net, grads: grads) -> None:
    """``build(leaves) -> (net, scalar node)``; every leaf's gradient from ``net.backward`` (mapped to the
    leaves' names by ``collect``) must match central differences of the rebuilt network."""
    net, out = build(leaves)
    grads = collect(net, net.backward(out))
    for name, value in leaves.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            for sign in (1, -1):
                shifted = dict(leaves)
                shifted[name] = value.copy()
                shifted[name][idx] += sign * H
                other, node = build(shifted)
                numeric[idx] += sign * other.value(node).item() / (2 * H)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-7, err_msg=name)
