"""Layers and networks with PyTorch's names, written into a :class:`symdl.tensor.network.Network`.

One module per family: ``dense`` (Linear, MLP), ``init`` (initialisation schemes),
``perceptron`` (step units and the logic gates), ``conv`` (Conv2d, pooling, BatchNorm1d,
residual blocks), ``recurrent`` (RNNCell, LSTMCell, unrolling through time) and
``attention`` (alignment, scaled dot-product and multi-head attention, positional
encoding); ``state_dict`` loads PyTorch weights into them. The seed notes' own networks and
numbers are examples, in :mod:`symdl.examples`.
"""

from symdl.nn import init
from symdl.nn.attention import (MultiheadAttention, additive_alignment, attend, causal_mask, dot_alignment,
                                positional_encoding, scaled_dot_product_attention, self_attention)
from symdl.nn.conv import AvgPool2d, BatchNorm1d, Conv2d, MaxPool2d, residual_block
from symdl.nn.dense import MLP, Linear
from symdl.nn.perceptron import (AND, OR, XOR_NETWORK, Perceptron, SeparabilityProof, TwoLayerPerceptron,
                                 xor_is_not_linearly_separable)
from symdl.nn.recurrent import LSTMCell, RNNCell, lstm_unroll, rnn_unroll, vanishing_exploding
from symdl.nn.state_dict import from_state_dict
from symdl.tensor.network import Network

__all__ = [
    "AND", "AvgPool2d", "BatchNorm1d", "Conv2d", "LSTMCell", "Linear", "MLP", "MaxPool2d", "MultiheadAttention",
    "Network", "OR", "Perceptron", "RNNCell", "SeparabilityProof", "TwoLayerPerceptron", "XOR_NETWORK",
    "additive_alignment", "attend", "causal_mask", "dot_alignment", "from_state_dict", "init",
    "lstm_unroll", "positional_encoding", "residual_block", "rnn_unroll", "scaled_dot_product_attention",
    "self_attention", "vanishing_exploding", "xor_is_not_linearly_separable",
]
