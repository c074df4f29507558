"""The seed notes' convolution, pooling and batch-norm examples, computed by symdl.

Each function builds its example with the layers of :mod:`symdl.nn.conv` (or the
lecture arithmetic of :mod:`symdl.tensor.conv`) and returns the numbers, so the
gallery and the worksheets show what the library computes, not copied answers.
``SLIPS`` lists where the handwritten notes say otherwise, with the right number.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from symdl.nn.conv import AvgPool2d, BatchNorm1d, Conv2d, MaxPool2d
from symdl.tensor.conv import (batch_norm_statistics, conv2d_multiplies, conv2d_parameter_count,
                               conv_output_size, same_padding)
from symdl.tensor.network import Network

# The notes' table prints 7 at row 4, column 4 and 8 at row 6, column 3, but every
# worked sum that reads those pixels uses 1 and 5 (the lecture's usual image); so do we.
EDGE_IMAGE = np.array([[3, 0, 1, 2, 7, 4],
                       [1, 5, 8, 9, 3, 1],
                       [2, 7, 2, 5, 1, 3],
                       [0, 1, 3, 1, 7, 8],
                       [4, 2, 1, 6, 2, 8],
                       [2, 4, 5, 2, 3, 9]], dtype=float)
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3, dtype=float)
HORIZONTAL_EDGE = VERTICAL_EDGE.T.copy()

POOL_INPUT = np.array([[1, 3, 2, 1, 3],
                       [2, 9, 1, 1, 5],
                       [1, 3, 2, 3, 2],
                       [8, 3, 5, 1, 0],
                       [5, 6, 1, 2, 9]], dtype=float)

# The 5×5 image as read from the notes' zero-padded 7×7 grid, and its 2×2 filter.
STRIDED_IMAGE = np.array([[2, 3, 4, 5, 6],
                          [6, 6, 9, 8, 7],
                          [3, 4, 8, 3, 8],
                          [7, 8, 3, 6, 6],
                          [11, 2, 1, 8, 3]], dtype=float)
STRIDED_KERNEL = np.array([[1, -1], [0, -1]], dtype=float)

BATCH_NORM_Z = np.array([4, 8, 6, 10], dtype=float)


class Slip(NamedTuple):
    """A number the notes get wrong: where, what they write, what is right, and why."""

    example: str
    notes: str
    correct: str
    why: str


SLIPS = (
    Slip("edge detection, bottom-right cell", "−15", "−16",
         "1−8 + 6−8 + 2−9 = −16; the notes' own sum says −16, the table −15"),
    Slip("edge detection, vertical filter table", "[1 0 −1; 0 0 1; 1 0 −1]", "[1 0 −1; 1 0 −1; 1 0 −1]",
         "every worked sum multiplies each row by 1, 0, −1"),
    Slip("edge detection, image table", "row 4 col 4 = 7, row 6 col 3 = 8", "1 and 5",
         "the worked sums of cells (2,2), (2,4), (3,2), (3,4), (4,2), (4,4) read 1 there, of cell (4,3) 5"),
    Slip("edge detection, table row 1", "−5 −1 0 1 8", "−5 −4 0 8", "the notes' second sum gives −4"),
    Slip("edge detection, cell (3,1) sum", "2 + 0 − 2 + 0 + 0 − 3 + 4 + 0 − 0", "… + 4 + 0 − 1 = 0",
         "the last pixel of the window is 1; the total 0 is right"),
    Slip("edge detection, cell (3,3) sum", "2 − 1 + 3 + 0 − 0 + 1 − 2", "2 − 1 + 3 − 7 + 1 − 2 = −4",
         "the window's middle row is 3, 1, 7; the total −4 is right"),
    Slip("edge detection, cell (4,1) sum", "0 − 3 + 4 − 1 + 2 + 0 − 0", "0 − 3 + 4 − 1 + 2 − 5 = −3",
         "the window's bottom row is 2, 4, 5; the total −3 is right"),
    Slip("edge detection, cell (4,3) sum", "3 − 7 + 1 − 2 + 5 − 0", "3 − 7 + 1 − 2 + 5 − 3 = −3",
         "the window's bottom row is 5, 2, 3; the total −3 is right"),
    Slip("valid convolution size", "6×6 ⋆ 3×3 → 3×3", "4×4", "n − f + 1 = 6 − 3 + 1 = 4"),
    Slip("'same' padding", "p = (n − f + 1)/2 = 2", "p = (f − 1)/2 = 1",
         "n + 2p − f + 1 = n gives p = (f − 1)/2; the notes write this a few lines later"),
    Slip("output size formula", "(n + 2p − f + 1)/s", "⌊(n + 2p − f)/s⌋ + 1",
         "the +1 comes after the division; the notes correct it on the third line"),
    Slip("output size 39 → 37", "(39 + 0 − 3)/3 + 1", "(39 + 0 − 3)/1 + 1 = 37", "that layer's stride is 1"),
    Slip("output size 17 → 7", "(12 + 1)/2 ⇒ 6 + 1", "12/2 + 1 = 7", "the +1 comes after the division"),
    Slip("strided padded convolution", "[−2 −7 −6; −9 −14 −7; 11 4 −3]", "[−2 −4 −6; −9 −11 −7; −18 4 −3]",
         "p = 1, s = 2 as the padded grid and the sums for −2, −6, −9, −7 show; the centre's own sum "
         "6 − 9 + 0 − 8 is −11 (the notes write 5, the table −14)"),
    Slip("max pooling, cell (3,1)", "18", "8", "the window 1 3 2 / 8 3 5 / 5 6 1 has maximum 8"),
    Slip("batch norm mean", "μ = 4 + 8 + 6 + 10 ⇒ 7", "μ = (4 + 8 + 6 + 10)/4 = 28/4 = 7",
         "the sum is 28; the mean divides by the batch size"),
    Slip("5×5 'same' conv cost", "28×28×192×5×5×192", "28×28×32×5×5×192 = 120,422,400",
         "one multiply per output (28·28·32) per filter weight (5·5·192); the total written is right"),
)


def seed_edge_detection() -> dict[str, np.ndarray]:
    """The 6×6 image cross-correlated with the vertical- and horizontal-edge filters (valid, stride 1)."""
    net = Network()
    image = net.input("image", EDGE_IMAGE[None])
    conv = Conv2d(1, 2, 3, bias=False, weight=np.stack([VERTICAL_EDGE, HORIZONTAL_EDGE])[:, None])
    edges = net.value(conv(net, image, name="edges"))
    return {"image": EDGE_IMAGE, "vertical": VERTICAL_EDGE, "horizontal": HORIZONTAL_EDGE,
            "vertical_edges": edges[0], "horizontal_edges": edges[1]}


def seed_strided_convolution() -> dict[str, np.ndarray]:
    """The notes' 5×5 image, 2×2 filter, padding 1, stride 2 → 3×3 (⌊(5 + 2 − 2)/2⌋ + 1 = 3)."""
    net = Network()
    image = net.input("image", STRIDED_IMAGE[None])
    conv = Conv2d(1, 1, 2, stride=2, padding=1, bias=False, weight=STRIDED_KERNEL[None, None])
    return {"image": STRIDED_IMAGE, "kernel": STRIDED_KERNEL, "output": net.value(conv(net, image))[0]}


def seed_pooling() -> dict[str, np.ndarray]:
    """The 5×5 input pooled by 3×3 windows at stride 1 → 3×3, max (as the notes) and average."""
    net = Network()
    x = net.input("x", POOL_INPUT[None])
    return {"input": POOL_INPUT,
            "max": net.value(MaxPool2d(3, stride=1)(net, x, name="max"))[0],
            "average": net.value(AvgPool2d(3, stride=1)(net, x, name="average"))[0]}


def seed_batch_norm() -> dict[str, object]:
    """z = [4, 8, 6, 10] as a batch of four one-feature examples: μ = 7, σ² = 5, and z normalised."""
    mean, variance, _ = batch_norm_statistics(BATCH_NORM_Z[:, None])
    net = Network()
    out = BatchNorm1d(1)(net, net.input("z", BATCH_NORM_Z[:, None]))
    return {"z": BATCH_NORM_Z, "mean": float(mean[0]), "variance": float(variance[0]),
            "normalised": net.value(out)[:, 0]}


def seed_output_sizes() -> list[tuple[int, int, int, int, int]]:
    """(n, f, p, s, output) for the notes' size examples: valid and "same" on 6×6, then 39 → 37 → 17 → 7."""
    cases = [(6, 3, 0, 1), (6, 3, same_padding(3), 1), (5, 2, 1, 2), (39, 3, 0, 1), (37, 5, 0, 2), (17, 5, 0, 2)]
    return [(n, f, p, s, conv_output_size(n, f, p, s)) for n, f, p, s in cases]


def seed_parameter_count() -> int:
    """Ten 3×3×3 filters, each with a bias: 10·(27 + 1) = 280."""
    return conv2d_parameter_count(3, 10, 3)


def seed_bottleneck_cost() -> tuple[int, int]:
    """Multiplies of a 5×5 "same" conv 28×28×192 → 32 channels, direct and through a 1×1 conv to 16."""
    direct = conv2d_multiplies(28, 28, 192, 32, 5)
    bottleneck = conv2d_multiplies(28, 28, 192, 16, 1) + conv2d_multiplies(28, 28, 16, 32, 5)
    return direct, bottleneck
