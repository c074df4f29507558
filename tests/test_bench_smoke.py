"""The benchmark's expressions give the same numbers everywhere (no timing here).

symdl's kernel, the naive lambdify and the hand-written fused NumPy must agree on the
bench's kernel cases; the directly written RNN loss must equal the ``symdl.nn`` network's
expansion; the named steps symdl derives from must spell the flat expression naive SymPy
differentiates. A benchmark of wrong numbers would be worthless.
"""

import numpy as np
import pytest
import sympy as sp

from symdl import graph as graphs

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


def _program_values(steps, point):
    """Run a straight-line program on numbers, one assignment after another."""
    env = dict(point)
    for target, rhs in steps:
        env[target] = sp.Float(rhs.xreplace(env), 30)
    return env


@pytest.mark.parametrize("family", ["RNN (H=2)", "LSTM (H=2)", "LSTM (H=4)"])
@pytest.mark.parametrize("steps", [1, 2])
def test_named_steps_give_the_flat_loss_and_its_gradients(family, steps):
    """symdl gets named steps, naive diff the flat expression: the same loss, the same parameters,
    and the gradient program's numbers equal ``sympy.diff`` of the flat expression."""
    from bench.derivation import symdl_gradients

    program, params = cases.FAMILIES[family].symdl(steps)
    flat, flat_params = cases.FAMILIES[family].naive(steps)
    assert set(params) == set(flat_params)
    graph, assignments, gradients = symdl_gradients(program, params)
    point = {s: sp.Float(0.37 * ((i * 7) % 11 - 5) / 5, 30) for i, s in enumerate(sorted(flat.free_symbols, key=str))}
    env = _program_values(assignments, point)
    for p, g in list(zip(params, gradients))[::max(1, len(params) // 12)]:  # diff of the flat tree is slow
        assert float(g.xreplace(env)) == pytest.approx(float(sp.diff(flat, p).xreplace(point)), rel=1e-12, abs=1e-15)
    value = _program_values([(graph.nodes[n]["symbol"], graph.nodes[n]["expr"]) for n in graphs.op_nodes(graph)], point)
    loss = value[graph.nodes[graph.graph["output"]]["symbol"]]
    assert float(loss) == pytest.approx(float(flat.xreplace(point)), rel=1e-12)


def test_the_eager_bench_compares_the_same_gradients():
    """symdl's eager networks and PyTorch eager compute the same gradients in bench/eager.py."""
    pytest.importorskip("torch")
    from bench import eager

    grads = eager.symdl_mlp()()
    for (i, name), theirs in zip([(i, n) for i in (1, 2) for n in ("weight", "bias")], eager.torch_mlp()()):
        np.testing.assert_allclose(grads[f"mlp.fc{i}.{name}"], theirs.numpy(), rtol=1e-9, atol=1e-12)
    stacked = eager.symdl_lstm()()
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    for name, theirs in zip(names, eager.torch_lstm()()):
        np.testing.assert_allclose(np.reshape(stacked[name], theirs.shape), theirs.numpy(), rtol=1e-9, atol=1e-12)
