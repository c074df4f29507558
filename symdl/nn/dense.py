"""Dense layers — ``Linear`` and ``MLP`` — written into a :class:`~symdl.tensor.network.Network`.

A layer holds its weights as NumPy arrays and, when called on a network, adds them as
named parameter nodes and its computation as tensor ops, so ``net.backward`` gives
every weight's gradient and the printers can show each step.

Conventions: PyTorch's names and shapes. ``Linear.weight`` is (out_features,
in_features) and a batch is a stack of rows, (N, in_features) → (N, out_features),
computed as X Wᵀ + b; a single example may be the 1-D vector the seed writes as a
column, computed as W x + b. Unlike PyTorch, whose bias starts at
U(−1/√in, 1/√in), the bias starts at zero unless given.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from symdl.nn.init import INITIALISERS
from symdl.nn.naming import indexed, join_name, layer_index, transposed
from symdl.nn.state_dict import LoadsStateDict
from symdl.tensor.network import Network

ArrayLike = Union[np.ndarray, Sequence]


def _given(value: Optional[ArrayLike], shape: tuple[int, ...], what: str) -> Optional[np.ndarray]:
    if value is None:
        return None
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise ValueError(f"{what} must have shape {shape} (PyTorch's layout), not {array.shape}")
    return array


class Linear(LoadsStateDict):
    """y = W x + b (a batch of rows: Y = X Wᵀ + b), PyTorch's ``nn.Linear``.

    ``init`` names a scheme of :mod:`symdl.nn.init` for the weight when none is given.
    """

    STATE_KEYS = {"weight": "weight", "bias": "bias"}

    def __init__(self, in_features: int, out_features: int, weight: Optional[ArrayLike] = None,
                 bias: Optional[ArrayLike] = None, init: str = "xavier_normal", seed: int = 0) -> None:
        if init not in INITIALISERS:
            raise ValueError(f"unknown init {init!r}; known: {', '.join(INITIALISERS)}")
        self.in_features, self.out_features = in_features, out_features
        shape = (out_features, in_features)
        given = _given(weight, shape, "weight")
        self.weight = INITIALISERS[init](shape, seed=seed) if given is None else given
        given_bias = _given(bias, (out_features,), "bias")
        self.bias = np.zeros(out_features) if given_bias is None else given_bias

    def __call__(self, net: Network, x: str, name: str = "fc1") -> str:
        """Add ``name.weight``, ``name.bias`` and the affine map of node ``x``; return node ``name``. They
        read as W₁, b₁ and z₁ = p₁ + b₁, p₁ = W₁ x, the index the number ``name`` ends in."""
        k = layer_index(name)
        w = net.parameter(join_name(name, "weight"), self.weight, shown=indexed("W", k))
        b = net.parameter(join_name(name, "bias"), self.bias, shown=indexed("b", k))
        if net.value(x).ndim == 1:
            product = net.apply("matmul", w, x, name=join_name(name, "Wx"), shown=indexed("p", k))
        else:
            wt = net.apply("transpose", w, name=join_name(name, "weightᵀ"), shown=transposed(net.shown(w)))
            product = net.apply("matmul", x, wt, name=join_name(name, "xWᵀ"), shown=indexed("p", k))
        return net.apply("add", product, b, name=name, shown=indexed("z", k))

    def __repr__(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"


class MLP:
    """Linear layers of the given ``sizes`` with ``activation`` between them.

    ``activation`` and ``output_activation`` name a unary scalar op of :mod:`symdl.ops`
    (sigmoid, tanh, relu, …), applied element-wise, or a tensor op such as softmax;
    ``output_activation=None`` leaves the last layer linear (logits, for a loss that
    takes logits). Layer i is seeded with ``seed + i`` so layers of equal shape differ.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "sigmoid", output_activation: Optional[str] = None,
                 init: str = "xavier_normal", seed: int = 0, weights: Optional[Sequence[ArrayLike]] = None,
                 biases: Optional[Sequence[ArrayLike]] = None) -> None:
        if len(sizes) < 2:
            raise ValueError(f"an MLP needs at least an input and an output size, not {list(sizes)}")
        count = len(sizes) - 1
        weights = [None] * count if weights is None else list(weights)
        biases = [None] * count if biases is None else list(biases)
        if len(weights) != count or len(biases) != count:
            raise ValueError(f"{count} layers need {count} weights and {count} biases")
        self.activation, self.output_activation = activation, output_activation
        self.layers = [Linear(m, n, weight=w, bias=b, init=init, seed=seed + i)
                       for i, (m, n, w, b) in enumerate(zip(sizes[:-1], sizes[1:], weights, biases))]

    def __call__(self, net: Network, x: str, name: str = "mlp") -> str:
        """Layer i's affine output is node ``name.fc{i}`` (read z_i), its activation ``name.a{i}`` (a_i)."""
        h = x
        for i, layer in enumerate(self.layers, start=1):
            z = layer(net, h, name=join_name(name, f"fc{i}"))
            act = self.activation if i < len(self.layers) else self.output_activation
            h = z if act is None else net.apply(act, z, name=join_name(name, f"a{i}"), shown=indexed("a", str(i)))
        return h

    def __repr__(self) -> str:
        sizes = [self.layers[0].in_features] + [layer.out_features for layer in self.layers]
        return f"MLP({sizes}, activation={self.activation!r}, output_activation={self.output_activation!r})"
