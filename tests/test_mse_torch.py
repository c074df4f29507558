"""``mse`` is torch.nn.functional.mse_loss (mean or sum), value and both gradients, in float64."""

import numpy as np
import pytest

from symdl.tensor.network import Network

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,))])
def test_mse_matches_torch(reduction, shapes):
    rng = np.random.default_rng(11)
    a, y = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    net = Network()
    grads = net.backward(net.apply("mse", net.input("a", a), net.input("y", y), reduction=reduction, name="L"))
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.mse_loss(ta, ty.expand_as(ta), reduction=reduction)
    loss.backward()
    assert net.value("L") == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grads["a"], ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["y"], ty.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_half_sse_is_half_the_summed_mse():
    rng = np.random.default_rng(3)
    a, y = rng.normal(size=4), rng.normal(size=4)
    net = Network()
    half = net.apply("half_sse", net.constant("a", a), net.constant("y", y), name="H")
    assert net.value(half) == pytest.approx(0.5 * torch.nn.functional.mse_loss(
        torch.tensor(a), torch.tensor(y), reduction="sum").item(), rel=1e-12)
