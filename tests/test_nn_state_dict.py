"""``from_state_dict`` / ``load_state_dict`` against real torch modules: after loading a module's
``state_dict()``, the symdl layer's output and every gradient equal torch's in float64."""

from __future__ import annotations

import numpy as np
import pytest

from symdl.errors import SymdlError
from symdl.nn import (BatchNorm1d, Conv2d, Linear, LSTMCell, MultiheadAttention, Network, RNNCell, from_state_dict,
                      lstm_unroll, rnn_unroll)

torch = pytest.importorskip("torch")
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _randomised(module):
    """A float64 torch module with every parameter redrawn, so no default (zeros, ones) hides a slip."""
    module = module.double()
    generator = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    return module


def _squared_sum(net: Network, node: str) -> str:
    return net.apply("sum", net.apply("hadamard", node, node))


def _torch_grads(module, output, inputs):
    (output * output).sum().backward()
    return {name: p.grad.numpy() for name, p in module.named_parameters()}, [x.grad.numpy() for x in inputs]


def _compare_feedforward(layer, module, x, name, param_nodes):
    net = Network()
    out = layer(net, net.input("x", x), name=name)
    grads = net.backward(_squared_sum(net, out))
    xt = torch.tensor(x, requires_grad=True)
    result = module(xt)
    expected, (dx,) = _torch_grads(module, result, [xt])
    np.testing.assert_allclose(net.value(out), result.detach().numpy(), **TOL)
    for key, node in param_nodes.items():
        np.testing.assert_allclose(grads[node], expected[key], err_msg=key, **TOL)
    np.testing.assert_allclose(grads["x"], dx, **TOL)


def test_linear():
    module = _randomised(torch.nn.Linear(3, 2))
    layer = Linear(3, 2, seed=9).load_state_dict(module.state_dict())
    x = np.random.default_rng(1).normal(size=(4, 3))
    _compare_feedforward(layer, module, x, "fc", {"weight": "fc.weight", "bias": "fc.bias"})


def test_conv2d():
    module = _randomised(torch.nn.Conv2d(2, 3, 3, stride=2, padding=1))
    layer = from_state_dict(Conv2d(2, 3, 3, stride=2, padding=1, seed=9), module.state_dict())
    x = np.random.default_rng(2).normal(size=(2, 2, 5, 5))
    _compare_feedforward(layer, module, x, "conv", {"weight": "conv.weight", "bias": "conv.bias"})


def test_batch_norm1d_skips_the_running_statistics():
    module = _randomised(torch.nn.BatchNorm1d(3))
    assert "running_mean" in module.state_dict()
    layer = BatchNorm1d(3).load_state_dict(module.state_dict())
    x = np.random.default_rng(3).normal(size=(5, 3))
    _compare_feedforward(layer, module, x, "bn", {"weight": "bn.weight", "bias": "bn.bias"})


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_recurrent_cells(kind):
    module = _randomised((torch.nn.RNNCell if kind == "rnn" else torch.nn.LSTMCell)(3, 4))
    cell = (RNNCell if kind == "rnn" else LSTMCell)(3, 4, seed=9).load_state_dict(module.state_dict())
    xs = [np.random.default_rng(t).normal(size=(2, 3)) for t in range(3)]
    net = Network()
    run = (rnn_unroll if kind == "rnn" else lstm_unroll)(net, cell, xs)
    grads = net.backward(_squared_sum(net, run.hs[-1]))
    inputs = [torch.tensor(x, requires_grad=True) for x in xs]
    state = None
    for x in inputs:
        state = module(x, state)
    h = state if kind == "rnn" else state[0]
    expected, dxs = _torch_grads(module, h, inputs)
    np.testing.assert_allclose(net.value(run.hs[-1]), h.detach().numpy(), **TOL)
    ours = ({"weight_ih": grads["W_xh"], "weight_hh": grads["W_hh"], "bias_ih": grads["b_xh"],
             "bias_hh": grads["b_hh"]} if kind == "rnn" else cell.stacked_gradients(grads, run.params))
    for key, grad in expected.items():
        np.testing.assert_allclose(ours[key], grad, err_msg=key, **TOL)
    for t, dx in enumerate(dxs, start=1):
        np.testing.assert_allclose(grads[f"x{t}"], dx, **TOL)


def test_multihead_attention():
    module = _randomised(torch.nn.MultiheadAttention(6, 2))
    layer = MultiheadAttention(6, 2, seed=9).load_state_dict(module.state_dict())
    x = np.random.default_rng(5).normal(size=(4, 6))
    net = Network()
    out = layer(net, x)
    grads = layer.stacked_gradients(net.backward(_squared_sum(net, out)))
    xt = torch.tensor(x)
    result, _ = module(xt, xt, xt, need_weights=False)
    expected, _ = _torch_grads(module, result, [])
    np.testing.assert_allclose(net.value(out), result.detach().numpy(), **TOL)
    for key, grad in expected.items():
        np.testing.assert_allclose(grads[key], grad, err_msg=key, **TOL)


def test_a_column_cell_takes_pytorchs_flat_biases():
    module = torch.nn.LSTMCell(2, 3, dtype=torch.float64)
    cell = LSTMCell(2, 3, layout="columns").load_state_dict(module.state_dict())
    assert cell.bias_ih.shape == (12, 1)
    np.testing.assert_array_equal(cell.bias_ih.ravel(), module.bias_ih.detach().numpy())


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd.pop("bias"), "missing keys ['bias']"),
    (lambda sd: sd.update(extra=torch.zeros(1)), "unexpected keys ['extra']"),
    (lambda sd: sd.update(weight=torch.zeros(3, 3)), "'weight' has shape (3, 3)"),
])
def test_a_mismatched_state_dict_is_refused_and_nothing_loaded(change, message):
    state = dict(torch.nn.Linear(3, 2, dtype=torch.float64).state_dict())
    change(state)
    layer = Linear(3, 2, seed=1)
    before = layer.weight.copy()
    with pytest.raises(SymdlError) as refused:
        layer.load_state_dict(state)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    np.testing.assert_array_equal(layer.weight, before)


def test_a_layer_without_a_bias_refuses_one():
    with pytest.raises(SymdlError, match="unexpected keys \\['bias'\\]"):
        Conv2d(1, 1, 2, bias=False).load_state_dict(torch.nn.Conv2d(1, 1, 2).state_dict())
