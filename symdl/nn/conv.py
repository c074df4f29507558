"""Convolutional layers with PyTorch's names, built into a :class:`symdl.tensor.network.Network`.

A layer holds its parameter values; calling it, ``layer(net, x, name="conv1")``,
adds them to the network as parameters (``conv1.weight``, ``conv1.bias``, the
names of PyTorch's ``state_dict``) and applies the tensor op of
:mod:`symdl.tensor.conv`, returning the output node. Values are seeded, so a
worked example gives the same numbers every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from symdl.errors import SymdlError
from symdl.nn.naming import indexed, layer_index
from symdl.nn.state_dict import LoadsStateDict

if TYPE_CHECKING:
    from symdl.tensor.network import Network

Size = Union[int, tuple[int, int]]


class Conv2d(LoadsStateDict):
    """``out_channels`` filters of ``in_channels × kH × kW``, cross-correlated with the input.

    Without given values the weight and bias are drawn as PyTorch's default does,
    U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels·kH·kW, from ``seed``.
    PyTorch's ``dilation`` and ``groups`` are accepted only at their defaults (1): other
    values are refused with a one-line error rather than silently computing a plain convolution.
    """

    STATE_KEYS = {"weight": "weight", "bias": "bias"}

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1,
                 padding: Union[int, str, tuple[int, int]] = 0, bias: bool = True,
                 weight=None, bias_value=None, seed: int = 0, dilation: Size = 1, groups: int = 1) -> None:
        if dilation not in (1, (1, 1)) or groups != 1:
            raise SymdlError(f"Conv2d supports only dilation=1 and groups=1, not dilation={dilation!r}, "
                             f"groups={groups!r}")
        k_h, k_w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        shape = (out_channels, in_channels, k_h, k_w)
        bound = 1 / np.sqrt(in_channels * k_h * k_w)
        rng = np.random.default_rng(seed)
        self.stride, self.padding = stride, padding
        self.weight = rng.uniform(-bound, bound, shape) if weight is None else np.array(weight, dtype=float)
        if self.weight.shape != shape:
            raise SymdlError(f"Conv2d weight must have shape {shape}, not {self.weight.shape}")
        self.bias: Optional[np.ndarray] = None
        if bias:
            self.bias = rng.uniform(-bound, bound, out_channels) if bias_value is None \
                else np.array(bias_value, dtype=float).reshape(out_channels)
        elif bias_value is not None:
            raise SymdlError("Conv2d got a bias_value but bias=False")

    def __call__(self, net: Network, x: str, name: str = "conv") -> str:
        """Z = X ∗ W + b, read as W₁, b₁ and Z₁ where ``name`` ends in 1 (conv1), W_s for a shortcut."""
        k = "s" if name.endswith("shortcut") else layer_index(name)
        inputs = [x, net.parameter(f"{name}.weight", self.weight, shown=indexed("W", k))]
        if self.bias is not None:
            inputs.append(net.parameter(f"{name}.bias", self.bias, shown=indexed("b", k)))
        return net.apply("conv2d", *inputs, name=name, stride=self.stride, padding=self.padding,
                         shown=indexed("Z", k))


class _Pool2d:
    """A pooling layer has no parameters: only its window and stride, and the op it applies."""

    op: str

    def __init__(self, kernel_size: Size, stride: Optional[Size] = None) -> None:
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def __call__(self, net: Network, x: str, name: str = "pool") -> str:
        return net.apply(self.op, x, name=name, kernel_size=self.kernel_size, stride=self.stride)


class MaxPool2d(_Pool2d):
    """The largest value of each ``kernel_size`` window; ``stride`` defaults to the kernel size."""

    op = "max_pool2d"


class AvgPool2d(_Pool2d):
    """The mean of each ``kernel_size`` window; ``stride`` defaults to the kernel size."""

    op = "avg_pool2d"


class BatchNorm1d(LoadsStateDict):
    """Training-mode batch norm over ``(N, num_features)``: γ ⊙ (x − μ)/√(σ² + ε) + β with
    the batch's own mean and biased variance. γ and β are stored as ``name.weight`` and
    ``name.bias``, PyTorch's names; they default to ones and zeros as there.
    Running averages for evaluation mode are not kept (nor loaded from a state_dict)."""

    STATE_KEYS = {"weight": "gamma", "bias": "beta"}
    IGNORED_KEYS = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features: int, eps: float = 1e-5, gamma=None, beta=None) -> None:
        self.eps = eps
        self.gamma = np.ones(num_features) if gamma is None else np.array(gamma, dtype=float).reshape(num_features)
        self.beta = np.zeros(num_features) if beta is None else np.array(beta, dtype=float).reshape(num_features)

    def __call__(self, net: Network, x: str, name: str = "bn") -> str:
        gamma = net.parameter(f"{name}.weight", self.gamma, shown=indexed("gamma", layer_index(name)))
        beta = net.parameter(f"{name}.bias", self.beta, shown=indexed("beta", layer_index(name)))
        return net.apply("batch_norm1d", x, gamma, beta, name=name, eps=self.eps)


def residual_block(net: Network, a: str, in_channels: int, out_channels: Optional[int] = None,
                   kernel_size: int = 3, name: str = "res", seed: int = 0) -> str:
    """a[l+2] = ReLU(z[l+2] + a[l]), where z[l+2] = conv(ReLU(conv(a[l]))).

    Both convolutions are "same", so z[l+2] has a[l]'s height and width and the skip
    connection is a plain add. If the channel count changes, a[l] goes through a 1×1
    convolution W_s first (a learnt projection, the notes' W·a[l] aside), so the shapes
    agree. Nodes: ``name.conv1``, ``name.a1``, ``name.conv2`` (= z[l+2]), optionally
    ``name.shortcut``, ``name.sum`` and the output ``name``, read as Z₁, A₁, Z₂, Z_s, S and A₂.
    """
    out_channels = in_channels if out_channels is None else out_channels
    first = Conv2d(in_channels, out_channels, kernel_size, padding="same", seed=seed)
    second = Conv2d(out_channels, out_channels, kernel_size, padding="same", seed=seed + 1)
    hidden = net.apply("relu", first(net, a, name=f"{name}.conv1"), name=f"{name}.a1", shown="A_1")
    z = second(net, hidden, name=f"{name}.conv2")
    if out_channels != in_channels:
        a = Conv2d(in_channels, out_channels, 1, bias=False, seed=seed + 2)(net, a, name=f"{name}.shortcut")
    return net.apply("relu", net.apply("add", z, a, name=f"{name}.sum", shown="S"), name=name, shown="A_2")


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "residual_block"]
