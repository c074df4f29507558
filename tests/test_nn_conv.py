"""Conv2d, the pools, BatchNorm1d and the residual block as network layers, and every
convolution example of the seed notes with its numbers worked out here independently.
Where the notes write a wrong number, the test says so and checks the right one."""

from __future__ import annotations

from xml.etree import ElementTree

import numpy as np
import pytest

from symdl.errors import SymdlError
from symdl.examples import seed_conv
from symdl.nn.conv import AvgPool2d, BatchNorm1d, Conv2d, MaxPool2d, residual_block
from symdl.printing import rendering
from symdl.tensor.conv import conv2d_multiplies, conv2d_parameter_count, conv_output_size, same_padding
from symdl.tensor.network import Network

H = 1e-6


def correlate(image, kernel):
    """Valid cross-correlation of one 2-D image with one 2-D kernel, by plain loops."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = sum(image[i + u, j + v] * kernel[u, v] for u in range(kh) for v in range(kw))
    return out


def network_gradient_by_differences(build, values, name):
    """d(scalar output)/d(values[name]) by central differences, rebuilding the network each time."""
    d = np.zeros_like(values[name])
    for idx in np.ndindex(d.shape):
        shifted = []
        for step in (H, -H):
            moved = {k: v.copy() for k, v in values.items()}
            moved[name][idx] += step
            net, out = build(moved)
            shifted.append(net.value(out).item())
        d[idx] = (shifted[0] - shifted[1]) / (2 * H)
    return d


# --- edge detection ------------------------------------------------------------------------
IMAGE = np.array([[3, 0, 1, 2, 7, 4],
                  [1, 5, 8, 9, 3, 1],
                  [2, 7, 2, 5, 1, 3],
                  [0, 1, 3, 1, 7, 8],
                  [4, 2, 1, 6, 2, 8],
                  [2, 4, 5, 2, 3, 9]], dtype=float)
VERTICAL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)


def test_edge_detection_vertical_filter():
    example = seed_conv.seed_edge_detection()
    np.testing.assert_array_equal(example["image"], IMAGE)
    np.testing.assert_array_equal(example["vertical"], VERTICAL)
    expected = correlate(IMAGE, VERTICAL)
    np.testing.assert_array_equal(example["vertical_edges"], expected)
    # The notes' two worked cells, written as they write them.
    assert expected[0, 0] == 3 * 1 + 0 * 0 + 1 * -1 + 1 * 1 + 5 * 0 + 8 * -1 + 2 * 1 + 7 * 0 + 2 * -1 == -5
    assert expected[1, 1] == 5 + 0 - 9 + 7 + 0 - 5 + 1 + 0 - 1 == -2
    # The notes' table ends in −15; their own sum 1 − 8 + 6 − 8 + 2 − 9 and the loops give −16.
    assert expected[3, 3] == -16
    # Their first row reads "−5 −1 0 1 8"; the second sum in the notes gives −4.
    np.testing.assert_array_equal(expected[0], [-5, -4, 0, 8])
    np.testing.assert_array_equal(expected, [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])


def test_edge_detection_horizontal_filter_is_the_transposed_kernel():
    example = seed_conv.seed_edge_detection()
    np.testing.assert_array_equal(example["horizontal"], [[1, 1, 1], [0, 0, 0], [-1, -1, -1]])
    np.testing.assert_array_equal(example["horizontal_edges"], correlate(IMAGE, VERTICAL.T))
    # A horizontal-edge filter on an image is the vertical one on the transposed image.
    np.testing.assert_array_equal(example["horizontal_edges"], correlate(IMAGE.T, VERTICAL).T)


def test_cross_correlation_is_not_the_flipped_textbook_convolution():
    flipped = correlate(IMAGE, VERTICAL[::-1, ::-1])  # the signal-processing convolution
    np.testing.assert_array_equal(flipped, -seed_conv.seed_edge_detection()["vertical_edges"])


def test_strided_padded_convolution():
    example = seed_conv.seed_strided_convolution()
    padded = np.pad(example["image"], 1)
    expected = correlate(padded, example["kernel"])[::2, ::2]  # stride 2 keeps every other window
    assert expected.shape == (3, 3) == (conv_output_size(5, 2, 1, 2),) * 2
    np.testing.assert_array_equal(example["output"], expected)
    # The notes write −7, −14 and 11 for these cells; their centre sum 6 − 9 + 0 − 8 is −11.
    assert (expected[0, 1], expected[1, 1], expected[2, 0]) == (-4, -11, -18)
    assert 6 - 9 + 0 - 8 == expected[1, 1]


# --- sizes, padding, parameters and cost ----------------------------------------------------------
@pytest.mark.parametrize("n, f, p, s, out", [
    (6, 3, 0, 1, 4),      # valid: the notes' "Output 3×3" is wrong, 6 − 3 + 1 = 4
    (6, 3, 1, 1, 6),      # same: p = (f − 1)/2 = 1, not the notes' (n − f + 1)/2 = 2
    (6, 3, "same", 1, 6),
    (6, 3, "valid", 1, 4),
    (7, 3, 0, 2, 3),      # ⌊(7 − 3)/2⌋ + 1
    (6, 3, 0, 2, 2),      # ⌊(6 − 3)/2⌋ + 1: the floor drops the last half step
    (5, 2, 1, 2, 3),
    (39, 3, 0, 1, 37),    # the notes divide by 3 here; the stride is 1
    (37, 5, 0, 2, 17),
    (17, 5, 0, 2, 7),     # the notes' "(12 + 1)/2 ⇒ 6 + 1": it is 12/2 + 1
])
def test_output_size(n, f, p, s, out):
    assert conv_output_size(n, f, p, s) == out
    pad = same_padding(f) if p == "same" else 0 if p == "valid" else p
    assert out == (n + 2 * pad - f) // s + 1
    net = Network()
    x = net.input("x", np.zeros((1, n, n)))
    assert net.value(Conv2d(1, 1, f, stride=s, padding=p)(net, x)).shape == (1, out, out)


def test_seed_output_sizes_follow_the_formula():
    for n, f, p, s, out in seed_conv.seed_output_sizes():
        assert out == (n + 2 * p - f) // s + 1


def test_same_padding():
    assert [same_padding(f) for f in (1, 3, 5, 7)] == [0, 1, 2, 3]
    with pytest.raises(SymdlError):
        same_padding(4)


def test_parameter_count_280():
    assert seed_conv.seed_parameter_count() == 280 == 3 * 3 * 3 * 10 + 10
    assert conv2d_parameter_count(3, 10, 3, bias=False) == 270
    net = Network()
    Conv2d(3, 10, 3)(net, net.input("x", np.zeros((3, 8, 8))), name="conv1")
    assert net.value("conv1.weight").size + net.value("conv1.bias").size == 280


def test_bottleneck_multiply_counts():
    direct = 28 * 28 * 32 * 5 * 5 * 192  # the notes write 28×28×192×5×5×192; their total is this one
    reduce = 28 * 28 * 16 * 192          # 1×1 conv, 192 → 16 channels: 2,408,448
    expand = 28 * 28 * 32 * 5 * 5 * 16   # 5×5 "same" conv, 16 → 32 channels: 10,035,200
    assert (direct, reduce + expand) == (120_422_400, 12_443_648)
    assert seed_conv.seed_bottleneck_cost() == (direct, reduce + expand)
    assert conv2d_multiplies(28, 28, 192, 16, 1) == reduce == 2_408_448
    assert conv_output_size(28, 5, "same") == 28


# --- pooling ------------------------------------------------------------------------------------
def test_max_pooling_5x5_to_3x3():
    example = seed_conv.seed_pooling()
    x = example["input"]
    expected = np.array([[max(x[i:i + 3, j:j + 3].ravel()) for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(example["max"], expected)
    # The notes write 18 at the bottom-left; the window 1 3 2 / 8 3 5 / 5 6 1 has maximum 8.
    np.testing.assert_array_equal(expected, [[9, 9, 5], [9, 9, 5], [8, 6, 9]])
    average = np.array([[x[i:i + 3, j:j + 3].sum() / 9 for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(example["average"], average, rtol=1e-12)


def test_max_pool_gradient_reaches_only_the_winners():
    net = Network()
    x = net.input("x", seed_conv.POOL_INPUT[None])
    grads = net.backward(net.apply("sum", MaxPool2d(3, stride=1)(net, x)))
    expected = np.zeros((5, 5))
    for (i, j), wins in {(1, 1): 4, (1, 4): 2, (3, 0): 1, (4, 1): 1, (4, 4): 1}.items():
        expected[i, j] = wins
    # The 9 at (1,1) wins four windows. The window at (1,2) holds two 5s: the first in
    # row-major order, at (1,4), takes its gradient (as PyTorch), the 5 at (3,2) gets none.
    np.testing.assert_array_equal(grads["x"][0], expected)


def test_pool_layers_default_stride_is_the_kernel():
    net = Network()
    x = net.input("x", np.arange(16.0).reshape(1, 4, 4))
    np.testing.assert_array_equal(net.value(MaxPool2d(2)(net, x, name="m")), [[[5, 7], [13, 15]]])
    np.testing.assert_array_equal(net.value(AvgPool2d(2)(net, x, name="a")), [[[2.5, 4.5], [10.5, 12.5]]])


# --- batch norm ---------------------------------------------------------------------------------
def test_batch_norm_seed_example():
    example = seed_conv.seed_batch_norm()
    z = np.array([4.0, 8.0, 6.0, 10.0])
    mean = (4 + 8 + 6 + 10) / 4  # the notes write "μ = 4 + 8 + 6 + 10 ⇒ 7": the sum is 28, μ = 28/4
    variance = ((4 - 7) ** 2 + (8 - 7) ** 2 + (6 - 7) ** 2 + (10 - 7) ** 2) / 4
    assert (example["mean"], example["variance"]) == (mean, variance) == (7, 5)
    np.testing.assert_allclose(example["normalised"], (z - 7) / np.sqrt(5 + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(example["normalised"], [-1.3416, 0.4472, -0.4472, 1.3416], atol=5e-5)


def build_batch_norm(values):
    net = Network()
    y = BatchNorm1d(1, gamma=values["gamma"], beta=values["beta"])(net, net.input("z", values["z"]), name="bn")
    return net, net.apply("sum", net.apply("hadamard", y, net.constant("c", values["c"])), name="L")


def test_batch_norm_backward_is_central_differences():
    values = {"z": np.array([[4.0], [8.0], [6.0], [10.0]]), "gamma": np.array([1.5]), "beta": np.array([0.5]),
              "c": np.array([[1.0], [-2.0], [0.5], [3.0]])}
    net, loss = build_batch_norm(values)
    grads = net.backward(loss)
    assert set(net.graph.nodes) >= {"bn.weight", "bn.bias"}
    for name, node in [("z", "z"), ("gamma", "bn.weight"), ("beta", "bn.bias")]:
        np.testing.assert_allclose(grads[node], network_gradient_by_differences(build_batch_norm, values, name),
                                   rtol=1e-6, atol=1e-7)


def test_batch_norm_sum_has_no_gradient_wrt_its_input():
    """Σ x̂ = 0 whatever x is, so Σ y = N β and ∂(Σ y)/∂x = 0: the mean path cancels the direct one."""
    net = Network()
    y = BatchNorm1d(2, gamma=[2.0, -1.0], beta=[0.3, 0.1])(net, net.input("x", [[4.0, 1.0], [8.0, 2.0], [6.0, 0.0]]))
    grads = net.backward(net.apply("sum", y))
    np.testing.assert_allclose(grads["x"], 0, atol=1e-12)
    np.testing.assert_allclose(grads["bn.bias"], [3, 3])


# --- Conv2d and the residual block in a network --------------------------------------------
def build_conv_net(values):
    net = Network()
    y = Conv2d(2, 3, 3, stride=2, padding=1, weight=values["w"], bias_value=values["b"])(
        net, net.input("x", values["x"]), name="conv1")
    return net, net.apply("sum", net.apply("relu", y), name="L")


def test_conv2d_layer_backward_is_central_differences():
    rng = np.random.default_rng(3)
    values = {"x": rng.normal(size=(2, 5, 4)), "w": rng.normal(size=(3, 2, 3, 3)), "b": rng.normal(size=3)}
    net, loss = build_conv_net(values)
    grads = net.backward(loss)
    for name, node in [("x", "x"), ("w", "conv1.weight"), ("b", "conv1.bias")]:
        np.testing.assert_allclose(grads[node], network_gradient_by_differences(build_conv_net, values, name),
                                   rtol=1e-6, atol=1e-7)


def test_conv2d_default_initialisation_is_seeded_and_bounded():
    first, again = Conv2d(3, 4, 3, seed=1), Conv2d(3, 4, 3, seed=1)
    np.testing.assert_array_equal(first.weight, again.weight)
    assert first.weight.shape == (4, 3, 3, 3) and np.abs(first.weight).max() <= 1 / np.sqrt(27)
    assert Conv2d(3, 4, 3, bias=False).bias is None
    with pytest.raises(SymdlError):
        Conv2d(3, 4, 3, weight=np.zeros((4, 3, 2, 2)))


def build_residual(values, out_channels=None):
    net = Network()
    out = residual_block(net, net.input("a", values["a"]), 2, out_channels, name="res")
    return net, net.apply("sum", out, name="L")


@pytest.mark.parametrize("out_channels", [None, 3])
def test_residual_block(out_channels):
    a = np.random.default_rng(8).normal(size=(2, 4, 4))
    net, loss = build_residual({"a": a}, out_channels)
    graph = net.graph
    z = net.value("res.conv2")
    shortcut = a if out_channels is None else net.value("res.shortcut")
    np.testing.assert_allclose(net.value("res"), np.maximum(z + shortcut, 0), rtol=1e-12)  # ReLU(z[l+2] + a[l])
    assert net.value("res").shape == (out_channels or 2, 4, 4)
    assert graph.nodes["res.sum"]["inputs"] == ("res.conv2", "a" if out_channels is None else "res.shortcut")
    grads = net.backward(loss)
    expected = network_gradient_by_differences(lambda v: build_residual(v, out_channels), {"a": a}, "a")
    np.testing.assert_allclose(grads["a"], expected, rtol=1e-6, atol=1e-7)


def test_a_conv_network_draws_without_special_cases():
    net = Network()
    pooled = MaxPool2d(2)(net, Conv2d(1, 2, 3, padding="same", seed=1)(net, net.input("x", np.ones((1, 6, 6)))))
    net.backward(net.apply("sum", pooled, name="L"))
    svg = rendering.svg(net)
    ElementTree.fromstring(svg)
    assert "conv ⋆" in svg and "max pool" in svg


@pytest.mark.parametrize("options", [{"dilation": 2}, {"dilation": (1, 2)}, {"groups": 2}])
def test_conv2d_refuses_dilation_and_groups_in_one_line(options):
    with pytest.raises(SymdlError) as refused:
        Conv2d(2, 2, 3, **options)
    message = str(refused.value)
    assert "\n" not in message and "dilation=1 and groups=1" in message


def test_conv2d_accepts_the_default_dilation_and_groups():
    layer = Conv2d(1, 1, 2, dilation=(1, 1), groups=1, weight=[[[[1.0, 0.0], [0.0, 1.0]]]], bias_value=[0.0])
    net = Network()
    out = layer(net, net.input("x", np.arange(9.0).reshape(1, 1, 3, 3)))
    np.testing.assert_allclose(net.value(out)[0, 0], [[0 + 4, 1 + 5], [3 + 7, 4 + 8]])
