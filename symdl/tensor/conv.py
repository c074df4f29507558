"""Convolution, pooling and batch norm as tensor ops, registered at import.

Layouts are PyTorch's, so a student can read one against the other: an image is
``(C, H, W)`` or a batch ``(N, C, H, W)``, a kernel bank ``(C_out, C_in, kH, kW)``,
batch-norm input ``(N, F)``. ``stride``, ``kernel_size`` and ``padding`` take an
int or an ``(h, w)`` pair; ``padding`` also takes ``"valid"`` (0) and ``"same"``.

**Convolution is cross-correlation here**, as in PyTorch:
``Y[o, i, j] = b[o] + Σ_c Σ_u Σ_v X[c, s·i + u, s·j + v] · K[o, c, u, v]``.
The textbook (signal-processing) convolution turns the kernel 180° first; deep
learning drops the flip because the kernel is learnt, and a flipped kernel is
just another kernel. The flip comes back in the backward pass:
``∂L/∂X = ∂L/∂Y ∗ rot180(K)`` with full padding, which is how the VJP is written.

``symbolic`` writes every output entry as its sum (or max) of SymPy terms. It takes
the forward's layouts as nested lists, object arrays or ``sympy.Array`` and returns a
``sympy.Array``; a 2-D ``sympy.Matrix`` image is one channel (and a 2-D kernel one
filter), and then a one-channel result comes back as a ``sympy.Matrix``.

The plain functions at the end are the arithmetic of the lecture (output size,
"same" padding, parameter and multiply counts), for worked examples.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np
import sympy as sp
from numpy.lib.stride_tricks import sliding_window_view
from sympy.printing.precedence import PRECEDENCE

from symdl.errors import SymdlError
from symdl.limits import check_elements
from symdl.tensor import matrix_forms as forms
from symdl.tensor import notation
from symdl.tensor.registry import TensorOp, register
from symdl.tensor.symbolic import is_matrix, opaque_vjps

Array = np.ndarray
Size = Union[int, Sequence[int]]
Padding = Union[int, str, Sequence[int]]


# --- shapes ------------------------------------------------------------------------------
def _pair(value: Size, what: str) -> tuple[int, int]:
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise SymdlError(f"{what} must be a positive int or a pair of them, not {value!r}")
    return int(pair[0]), int(pair[1])


def _padding(padding: Padding, kernel: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    if padding == "valid":
        return 0, 0
    if padding == "same":
        if stride != (1, 1):  # PyTorch refuses it too: with stride s the output is ⌈n/s⌉, not n
            raise SymdlError("padding='same' needs stride 1")
        return same_padding(kernel[0]), same_padding(kernel[1])
    pair = (padding, padding) if np.isscalar(padding) else tuple(padding)
    if len(pair) != 2 or any(isinstance(p, str) or int(p) != p or p < 0 for p in pair):
        raise SymdlError(f"padding must be 'valid', 'same', a non-negative int or a pair, not {padding!r}")
    return int(pair[0]), int(pair[1])


def _batch(x, op: str) -> tuple[Array, bool]:
    """``(N, C, H, W)`` and whether the caller's array already had the batch axis."""
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise SymdlError(f"{op}: input must be (C, H, W) or (N, C, H, W), not shape {x.shape}")
    return (x, True) if x.ndim == 4 else (x[None], False)


def _windows(x: Array, kernel: tuple[int, int], stride: tuple[int, int]) -> Array:
    """Every kernel-sized window of ``(N, C, H, W)``, shape ``(N, C, H_out, W_out, kH, kW)``."""
    if x.shape[2] < kernel[0] or x.shape[3] < kernel[1]:
        raise SymdlError(f"a {kernel[0]}×{kernel[1]} window does not fit a {x.shape[2]}×{x.shape[3]} (padded) image")
    return sliding_window_view(x, kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]


def _padded_shape(x: Array, pad: tuple[int, int], limit_name: str) -> tuple[int, int, int, int]:
    """The padded image's shape, refused before it is allocated when it is too large."""
    n, c, h, w = x.shape
    shape = (n, c, h + 2 * pad[0], w + 2 * pad[1])
    check_elements(shape, "the padded image", limit_name)
    return shape


def _pad(x: Array, pad: tuple[int, int]) -> Array:
    _padded_shape(x, pad, "max_tensor_elements")
    return np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))


# --- symbolic helpers: the same ops on SymPy entries, for small shapes -------------------
def _objects(value) -> Array:
    """SymPy Matrices and Arrays, nested lists or arrays, all as one NumPy object array."""
    return np.array(value.tolist() if hasattr(value, "tolist") else value, dtype=object)


def _symbolic_image(x) -> tuple[Array, bool, bool]:
    """A SymPy image as an object array ``(N, C, H, W)``; a 2-D Matrix is one channel.
    Also returns whether it was a Matrix and whether it had a batch axis."""
    matrix = isinstance(x, sp.MatrixBase)
    array = _objects(x)
    if matrix:
        array = array[None]
    return (array, matrix, True) if array.ndim == 4 else (array[None], matrix, False)


def _symbolic_result(out: Array, matrix: bool, batched: bool):
    out = out if batched else out[0]
    if matrix and out.shape[0] == 1:
        return sp.Matrix(out[0].tolist())
    return sp.Array(out.tolist())


def _symbolic_pad(x: Array, pad: tuple[int, int]) -> Array:
    h, w = x.shape[2:]
    padded = np.full(_padded_shape(x, pad, "max_nodes"), sp.S.Zero, dtype=object)  # each entry a SymPy number
    padded[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    return padded


def _symbolic_pool(x, kernel_size: Size, stride: Optional[Size], reduce):
    array, matrix, batched = _symbolic_image(x)
    kernel = _pair(kernel_size, "kernel_size")
    step = _pair(stride if stride is not None else kernel_size, "stride")
    n, c, h, w = array.shape
    out = np.empty((n, c, (h - kernel[0]) // step[0] + 1, (w - kernel[1]) // step[1] + 1), dtype=object)
    for b, ch, i, j in np.ndindex(out.shape):
        out[b, ch, i, j] = reduce(array[b, ch, i * step[0]:i * step[0] + kernel[0],
                                        j * step[1]:j * step[1] + kernel[1]].ravel())
    return _symbolic_result(out, matrix, batched)


# --- conv2d ------------------------------------------------------------------------------
def _conv2d(x, weight, bias=None, *, stride: Size = 1, padding: Padding = 0) -> Array:
    x4, batched = _batch(x, "conv2d")
    weight = np.asarray(weight)
    if weight.ndim != 4 or weight.shape[1] != x4.shape[1]:
        raise SymdlError(f"conv2d: weight must be (C_out, {x4.shape[1]}, kH, kW) for {x4.shape[1]} input "
                         f"channels, not shape {weight.shape}")
    kernel, step = weight.shape[2:], _pair(stride, "stride")
    windows = _windows(_pad(x4, _padding(padding, kernel, step)), kernel, step)
    y = np.einsum("nchwuv,ocuv->nohw", windows, weight)
    if bias is not None:
        y = y + np.asarray(bias).reshape(-1, 1, 1)
    return y if batched else y[0]


def _conv2d_vjp(g, out, x, weight, bias=None, *, stride: Size = 1, padding: Padding = 0) -> list[Array]:
    x4, batched = _batch(x, "conv2d")
    g4 = np.asarray(g).reshape((x4.shape[0],) + np.shape(out)[-3:])
    weight = np.asarray(weight)
    kernel, step = weight.shape[2:], _pair(stride, "stride")
    pad = _padding(padding, kernel, step)
    d_weight = np.einsum("nchwuv,nohw->ocuv", _windows(_pad(x4, pad), kernel, step), g4)  # X ⋆ ∂L/∂Y
    d_x = _conv2d_input_gradient(g4, weight, x4.shape, pad, step)
    grads = [d_x if batched else d_x[0], d_weight]
    if bias is not None:
        grads.append(g4.sum(axis=(0, 2, 3)))
    return grads


def _conv2d_input_gradient(g: Array, weight: Array, x_shape: tuple, pad: tuple[int, int],
                           step: tuple[int, int]) -> Array:
    """∂L/∂X = ∂L/∂Y ∗ rot180(K): spread ∂L/∂Y out by the stride, pad it by k − 1 ("full"),
    cross-correlate with the turned kernel whose in and out channels swap roles, and
    drop the rows the padding added (rows the stride never reached get zero)."""
    n, c_out, h_out, w_out = g.shape
    k_h, k_w = weight.shape[2:]
    spread = np.zeros((n, c_out, (h_out - 1) * step[0] + 1, (w_out - 1) * step[1] + 1))
    spread[:, :, ::step[0], ::step[1]] = g
    turned = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    full = _conv2d(spread, turned, padding=(k_h - 1, k_w - 1))
    padded = np.zeros((n, x_shape[1], x_shape[2] + 2 * pad[0], x_shape[3] + 2 * pad[1]))
    padded[:, :, :full.shape[2], :full.shape[3]] = full
    return padded[:, :, pad[0]:pad[0] + x_shape[2], pad[1]:pad[1] + x_shape[3]]


def _conv2d_symbolic(x, weight, bias=None, *, stride: Size = 1, padding: Padding = 0):
    """Each output entry written out as its sum of products; 2-D Matrices are one channel."""
    array, matrix, batched = _symbolic_image(x)
    kernels = _objects(weight)
    kernels = kernels[None, None] if kernels.ndim == 2 else kernels
    biases = [sp.S.Zero] * kernels.shape[0] if bias is None else list(_objects(bias).ravel())
    step = _pair(stride, "stride")
    k_h, k_w = kernels.shape[2:]
    padded = _symbolic_pad(array, _padding(padding, (k_h, k_w), step))
    n, _, h, w = padded.shape
    out = np.empty((n, kernels.shape[0], (h - k_h) // step[0] + 1, (w - k_w) // step[1] + 1), dtype=object)
    for b, o, i, j in np.ndindex(out.shape):
        window = padded[b, :, i * step[0]:i * step[0] + k_h, j * step[1]:j * step[1] + k_w]
        out[b, o, i, j] = sp.Add(*(window * kernels[o]).ravel()) + biases[o]
    return _symbolic_result(out, matrix, batched)


CONV2D = register(TensorOp(
    name="conv2d",
    forward=_conv2d,
    vjp=_conv2d_vjp,
    symbolic=_conv2d_symbolic,
    glyph="conv ⋆",
    rule="A convolution hands each output's gradient back to the window of pixels that made it, "
         "weighted by the kernel (a full convolution with the kernel turned 180°), and to the kernel, "
         "weighted by those pixels; the bias collects the gradient of its whole output channel.",
    written=notation.conv2d,
))


# --- pooling -----------------------------------------------------------------------------
def _pool_geometry(x, kernel_size: Size, stride: Optional[Size], op: str):
    x4, batched = _batch(x, op)
    kernel = _pair(kernel_size, "kernel_size")
    step = _pair(stride if stride is not None else kernel_size, "stride")  # PyTorch: stride defaults to the kernel
    return x4, batched, kernel, step


def _max_pool2d(x, *, kernel_size: Size, stride: Optional[Size] = None) -> Array:
    x4, batched, kernel, step = _pool_geometry(x, kernel_size, stride, "max_pool2d")
    y = _windows(x4, kernel, step).max(axis=(-2, -1))
    return y if batched else y[0]


def _max_pool2d_vjp(g, out, x, *, kernel_size: Size, stride: Optional[Size] = None) -> list[Array]:
    """Each window's gradient goes to its arg-max; on a tie to the first in row-major order,
    as PyTorch's strict ``>`` scan does. Overlapping windows add up."""
    x4, batched, kernel, step = _pool_geometry(x, kernel_size, stride, "max_pool2d")
    windows = _windows(x4, kernel, step)
    n, c, h_out, w_out = windows.shape[:4]
    u, v = np.divmod(windows.reshape(n, c, h_out, w_out, -1).argmax(axis=-1), kernel[1])
    rows = np.arange(h_out).reshape(1, 1, -1, 1) * step[0] + u
    cols = np.arange(w_out).reshape(1, 1, 1, -1) * step[1] + v
    d_x = np.zeros(x4.shape)
    np.add.at(d_x, (np.arange(n).reshape(-1, 1, 1, 1), np.arange(c).reshape(1, -1, 1, 1), rows, cols),
              np.asarray(g).reshape(n, c, h_out, w_out))
    return [d_x if batched else d_x[0]]


def _avg_pool2d(x, *, kernel_size: Size, stride: Optional[Size] = None) -> Array:
    x4, batched, kernel, step = _pool_geometry(x, kernel_size, stride, "avg_pool2d")
    y = _windows(x4, kernel, step).mean(axis=(-2, -1))
    return y if batched else y[0]


def _avg_pool2d_vjp(g, out, x, *, kernel_size: Size, stride: Optional[Size] = None) -> list[Array]:
    """Every pixel of a window gets 1/(kH·kW) of that window's gradient."""
    x4, batched, kernel, step = _pool_geometry(x, kernel_size, stride, "avg_pool2d")
    g4 = np.asarray(g).reshape((x4.shape[0],) + np.shape(out)[-3:]) / (kernel[0] * kernel[1])
    h_span, w_span = (g4.shape[2] - 1) * step[0] + 1, (g4.shape[3] - 1) * step[1] + 1
    d_x = np.zeros(x4.shape)
    for u, v in np.ndindex(kernel):
        d_x[:, :, u:u + h_span:step[0], v:v + w_span:step[1]] += g4
    return [d_x if batched else d_x[0]]


MAX_POOL2D = register(TensorOp(
    name="max_pool2d",
    forward=_max_pool2d,
    vjp=_max_pool2d_vjp,
    symbolic=lambda x, *, kernel_size, stride=None: _symbolic_pool(x, kernel_size, stride, lambda e: sp.Max(*e)),
    glyph="max pool",
    rule="A max pool is a max gate per window: the whole gradient goes to the pixel that won, none to the rest.",
    written=notation.pool,
))

AVG_POOL2D = register(TensorOp(
    name="avg_pool2d",
    forward=_avg_pool2d,
    vjp=_avg_pool2d_vjp,
    symbolic=lambda x, *, kernel_size, stride=None: _symbolic_pool(x, kernel_size, stride,
                                                                   lambda e: sp.Add(*e) / len(e)),
    glyph="avg pool",
    rule="An average pool shares each output's gradient equally among the pixels of its window.",
    written=notation.pool,
))


# --- batch norm --------------------------------------------------------------------------
def batch_norm_statistics(x, eps: float = 1e-5) -> tuple[Array, Array, Array]:
    """Batch mean μ, biased batch variance σ² (divide by N, as training-mode BatchNorm does)
    and the normalised x̂ = (x − μ)/√(σ² + ε), for ``x`` of shape ``(N, F)``."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise SymdlError(f"batch_norm1d: input must be (N, F) with N ≥ 2 examples, not shape {x.shape}")
    mean, variance = x.mean(axis=0), x.var(axis=0)
    return mean, variance, (x - mean) / np.sqrt(variance + eps)


def _batch_norm1d(x, gamma, beta, *, eps: float = 1e-5) -> Array:
    return np.asarray(gamma) * batch_norm_statistics(x, eps)[2] + np.asarray(beta)


def _batch_norm1d_vjp(g, out, x, gamma, beta, *, eps: float = 1e-5) -> list[Array]:
    """The backward pass of Ioffe & Szegedy (2015), step by step through σ² and μ."""
    x, g = np.asarray(x, dtype=float), np.asarray(g, dtype=float)
    mean, variance, x_hat = batch_norm_statistics(x, eps)
    n, inv_std = x.shape[0], 1 / np.sqrt(variance + eps)
    d_x_hat = g * gamma
    d_variance = np.sum(d_x_hat * (x - mean), axis=0) * -0.5 * inv_std**3
    d_mean = -np.sum(d_x_hat, axis=0) * inv_std  # σ²'s own term in ∂σ²/∂μ is mean(−2(x − μ)) = 0
    d_x = d_x_hat * inv_std + d_variance * 2 * (x - mean) / n + d_mean / n
    return [d_x, np.sum(g * x_hat, axis=0), np.sum(g, axis=0)]


def _batch_norm1d_symbolic(x, gamma, beta, *, eps: float = 1e-5) -> sp.Matrix:
    x = sp.Matrix(x)
    gamma, beta = list(_objects(gamma).ravel()), list(_objects(beta).ravel())
    eps = sp.Number(eps)  # a number only: never sympify a value that came from a problem file
    out = sp.zeros(*x.shape)
    for f in range(x.cols):
        column = x[:, f]
        mean = sum(column) / x.rows
        variance = sum((z - mean) ** 2 for z in column) / x.rows
        out[:, f] = (column - mean * sp.ones(x.rows, 1)) * (gamma[f] / sp.sqrt(variance + eps)) \
            + beta[f] * sp.ones(x.rows, 1)
    return out


class Normalised(sp.MatrixExpr):
    """The batch X normalised, (X − μ)/√(σ² + ε) with μ and σ² per column: what batch norm's γ scales."""

    precedence = PRECEDENCE["Mul"]  # a quotient: bracketed when transposed, ((X − μ)/√(σ² + ε))ᵀ

    def __new__(cls, x, eps: float):
        return super().__new__(cls, x, sp.Float(eps))

    @property
    def shape(self) -> tuple:
        return self.args[0].shape

    def compute(self, x: Array) -> Array:
        """Its number, for :func:`symdl.tensor.symbolic.evaluate`."""
        return batch_norm_statistics(x, float(self.args[1]))[2]

    def _sympystr(self, printer) -> str:
        return printer._print(notation.normalised(self.args[0]))

    _latex = _mathml_presentation = _sympystr


def _batch_norm1d_vjp_form(g, out, x, gamma, beta, *, eps: float = 1e-5):
    """γ's and β's gradients in closed form, Σ over the batch of g ⊙ x̂ and of g (one sum per feature for a
    vector γ, β); X's goes through μ and σ² as well and stays the op's transposed Jacobian."""
    def summed(m, parameter):
        return forms.sum_value(m, None if not is_matrix(parameter) else 0)
    return (opaque_vjps("batch_norm1d", g, [x, gamma, beta])[0],
            summed(sp.HadamardProduct(g, Normalised(x, eps)), gamma), summed(g, beta))


BATCH_NORM1D = register(TensorOp(
    name="batch_norm1d",
    forward=_batch_norm1d,
    vjp=_batch_norm1d_vjp,
    symbolic=_batch_norm1d_symbolic,
    glyph="BN",
    rule="Batch norm's gradient reaches each example also through the batch mean and variance, "
         "so the example's own share is cut by the batch's mean gradient and its part along x̂.",
    written=notation.batch_norm,
    vjp_form=_batch_norm1d_vjp_form,
))


# --- the lecture's arithmetic --------------------------------------------------------------
def same_padding(f: int) -> int:
    """p = (f − 1)/2, the padding that keeps n × n at n × n for stride 1; f must be odd."""
    if f < 1 or f % 2 == 0:
        raise SymdlError(f"'same' padding needs an odd kernel size, not {f}")
    return (f - 1) // 2


def conv_output_size(n: int, f: int, padding: Union[int, str] = 0, stride: int = 1) -> int:
    """⌊(n + 2p − f)/s⌋ + 1: positions of an f-wide window, stride s, on an n-wide input padded by p."""
    p = 0 if padding == "valid" else same_padding(f) if padding == "same" else int(padding)
    if n + 2 * p < f:
        raise SymdlError(f"a {f}-wide kernel does not fit an input of {n} padded by {p}")
    return (n + 2 * p - f) // stride + 1


def conv2d_parameter_count(c_in: int, c_out: int, k: Size, bias: bool = True) -> int:
    """(k_h·k_w·c_in weights + 1 bias) per filter, times c_out filters; independent of the image size."""
    k_h, k_w = _pair(k, "kernel_size")
    return (k_h * k_w * c_in + int(bias)) * c_out


def conv2d_multiplies(h_out: int, w_out: int, c_in: int, c_out: int, k: Size) -> int:
    """Multiplications of one forward pass: each of h_out·w_out·c_out outputs is a k_h·k_w·c_in dot product."""
    k_h, k_w = _pair(k, "kernel_size")
    return h_out * w_out * c_out * k_h * k_w * c_in
