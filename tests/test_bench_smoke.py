"""The benchmark's expressions give the same numbers everywhere (no timing here).

symdl's kernel, the naive lambdify and the hand-written fused NumPy must agree on the
bench's kernel cases; the directly written RNN loss must equal the ``symdl.nn`` network's
expansion. A benchmark of wrong numbers would be worthless.
"""

import numpy as np
import pytest
import sympy as sp

kernels = pytest.importorskip("bench.kernels")
cases = pytest.importorskip("bench.cases")


@pytest.mark.parametrize("name", list(kernels.CASES))
def test_kernel_peers_agree(name):
    arrays = kernels.inputs_for(name, 7, seed=1)
    value, grads = kernels.symdl_kernel(name)(arrays)
    naive_value, *naive_grads = kernels.naive_lambdify(name)(arrays)
    fused_value, fused_grads = kernels.fused_numpy(name)(arrays)
    np.testing.assert_allclose(value, naive_value, rtol=1e-10)
    np.testing.assert_allclose(value, fused_value, rtol=1e-10)
    for w, naive in zip(kernels.CASES[name][3], naive_grads):
        np.testing.assert_allclose(grads[w], naive, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads[w], fused_grads[w], rtol=1e-9, atol=1e-12)


def test_direct_rnn_equals_network_expansion():
    direct, _ = cases.rnn(2)
    expanded = cases.network_rnn(2)
    point = {s: 0.1 * (i + 1) for i, s in enumerate(sorted(direct.free_symbols, key=str))}
    by_name = {s.name: v for s, v in point.items()}
    # the network's column inputs are x1_0_0, …; its h0 is an input too, set to 0 as in the direct form
    value = float(expanded.subs({s: by_name.get(s.name, by_name.get(s.name[:-2], 0.0)) for s in expanded.free_symbols}))
    assert value == pytest.approx(float(direct.subs(point)), rel=1e-12)
