"""The seed notes' dense examples: the four-input MLP and the perceptron logic gates, with the
seed's own numbers (the library's textbook gates are :mod:`symdl.nn.perceptron`'s AND, OR, XOR_NETWORK).
"""

from __future__ import annotations

import numpy as np

from symdl.examples.worked import SeedExample
from symdl.nn.dense import MLP
from symdl.nn.perceptron import Perceptron, TwoLayerPerceptron
from symdl.tensor.network import Network

SEED_X = (-2.4, 1.2, -0.8, 1.1)  # the notes' 4-input example; every weight 0.1, no bias

# The seed's own weights: they work, but with H(0) = 0 some inputs sit exactly on the line.
SEED_AND = Perceptron((1.0, 1.0), -1.0)
SEED_OR = Perceptron((1.0, 1.0), 0.0)
# XOR = (x1 AND NOT x2) OR (x2 AND NOT x1); the seed's first hidden unit is w = (1, −1), b = 0.
SEED_XOR_NETWORK = TwoLayerPerceptron((Perceptron((1.0, -1.0), 0.0), Perceptron((-1.0, 1.0), 0.0)),
                                      Perceptron((1.0, 1.0), 0.0))


def seed_four_input_mlp(target: int = 0) -> tuple[Network, str]:
    """The notes' example: x = (−2.4, 1.2, −0.8, 1.1) into 3 ReLU units, then 2 units and a softmax,
    every weight 0.1 and every bias 0. Returns the network and its loss node ``L``.

    Each hidden unit gets z = 0.1·(−2.4 + 1.2 − 0.8 + 1.1) = −0.09, so ReLU gives 0 everywhere,
    the output logits are 0 and the softmax is (½, ½). The notes leave out the loss; here it is
    cross-entropy against class ``target``, so the backward pass shows the dead layer: only the
    output bias receives a gradient, softmax − one-hot = (−½, ½) for class 0.
    """
    net = Network()
    mlp = MLP((4, 3, 2), activation="relu", weights=[np.full((3, 4), 0.1), np.full((2, 3), 0.1)])
    logits = mlp(net, net.input("x", SEED_X), name="")
    net.apply("softmax", logits, name="p")
    return net, net.apply("cross_entropy", logits, net.constant("y", target), name="L")


def seed_mlp() -> SeedExample:
    """The four-input MLP after its backward pass, with the notes' slip in words."""
    net, loss = seed_four_input_mlp()
    net.backward(loss)
    remarks = ("Each hidden pre-activation is 0.1·(−2.4 + 1.2 − 0.8 + 1.1) = −0.09; the notes write 0.06 "
               "(the third term is −0.08, not +0.08), then ReLU(0.09) and Z₃ = −0.9.",
               "So every ReLU outputs 0, the logits are 0 and the softmax is (½, ½); with cross-entropy "
               "against class 0 only the output bias receives a gradient, (−½, ½): a dead layer.")
    return SeedExample("MLP with four inputs", {}, {}, remarks, net)
