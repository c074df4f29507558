"""The tensor ops of dense networks: linear algebra, shapes, softmax (the losses are in :mod:`losses`).

Each op is one :class:`~symdl.tensor.registry.TensorOp` record, registered at
import, with its NumPy forward pass and vector–Jacobian product side by side.
Names and shapes follow PyTorch; where a convention differs the op says so.

Conventions shared by every record here and in :mod:`symdl.tensor.losses`:

* **Broadcasting** is NumPy's; a VJP sums the upstream gradient over the axes
  an input was broadcast along, so each gradient has its input's shape.
* **Symbolic form**: ``symbolic`` takes ``sympy.Matrix`` operands and returns a
  ``sympy.Matrix`` whose entries, read row by row, are the NumPy result's
  entries in C order. An n×1 matrix stands for a NumPy vector of shape (n,)
  (the x of y = W x); pass a NumPy object array instead to mean any other shape
  exactly. Ops written with arithmetic only reuse their forward pass on object
  arrays, so the element-wise expansion is the very same computation.
* **Stability**: softmax, log-softmax, logsumexp and the logit losses shift by
  the maximum and exponentiate only non-positive numbers through :func:`exp_nonpositive`,
  so logits of ±1e6 give exact, finite results without any floating-point flag
  (not even underflow).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np
import sympy as sp

from symdl.registry import Slip
from symdl.tensor import matrix_forms as forms
from symdl.tensor import notation
from symdl.tensor.registry import TensorOp, register

Array = np.ndarray
Axis = Optional[Union[int, Sequence[int]]]
EXP_FLOOR = -708.39  # e^t below about 2.23e-308, the smallest normal float, is flushed to 0 rather than left to underflow


# --- helpers ------------------------------------------------------------------------------
def exp_nonpositive(t: Array) -> Array:
    """e^t for t ≤ 0, exactly 0 where e^t < e^EXP_FLOOR: no underflow flag is ever raised."""
    t = np.asarray(t, dtype=float)
    return np.exp(t, out=np.zeros_like(t), where=t > EXP_FLOOR)


def unbroadcast(g: Array, shape: tuple) -> Array:
    """Sum g over the axes NumPy broadcast an operand of ``shape`` along."""
    g = np.asarray(g)
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    axes = range(ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    return tuple(a % ndim for a in axes)


def _expand(g: Array, shape: tuple, axis: Axis) -> Array:
    """The gradient of a reduction over ``axis``: g copied back along the reduced axes."""
    return np.broadcast_to(np.expand_dims(g, _axes(axis, len(shape))), shape).copy()


def _top(x: Array, axis: Axis) -> Array:
    """The maximum along ``axis``, kept as an axis; a −inf maximum (a fully masked row) reads 0."""
    top = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(top), top, 0.0)


def _as_object(m) -> Array:
    """A symbolic operand as a NumPy object array; an n×1 matrix is the vector (n,)."""
    if isinstance(m, sp.MatrixBase):
        array = np.array(m.tolist(), dtype=object).reshape(m.shape)
        return array[:, 0] if m.cols == 1 else array
    return np.asarray(m, dtype=object)


def _as_matrix(a) -> sp.Matrix:
    a = np.asarray(a, dtype=object)
    if a.ndim > 2:
        raise ValueError(f"a SymPy matrix is 2-D; this result has shape {a.shape}")
    return sp.Matrix(a.reshape(-1, 1) if a.ndim < 2 else a)


sym_exp = np.vectorize(sp.exp, otypes=[object])
sym_log = np.vectorize(sp.log, otypes=[object])


def symbolic_of(fn):
    """A ``symbolic`` form from a function of object arrays: a forward pass written with
    arithmetic only, or its twin written with SymPy's exp and log."""
    def symbolic(*operands, **params) -> sp.Matrix:
        return _as_matrix(fn(*map(_as_object, operands), **params))
    return symbolic


# --- linear algebra -----------------------------------------------------------------------
def _matmul(a: Array, b: Array) -> Array:
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"matmul takes vectors and matrices, not shapes {a.shape} @ {b.shape}")
    return np.matmul(a, b)


def _matmul_vjp(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:  # the common case, without the reshapes
        return g @ b.T, a.T @ g
    rows = a if a.ndim == 2 else a[None, :]  # a vector on the left is a row …
    cols = b if b.ndim == 2 else b[:, None]  # … and on the right a column, as in y = W x
    g = np.reshape(g, (rows.shape[0], cols.shape[1]))
    return (g @ cols.T).reshape(a.shape), (rows.T @ g).reshape(b.shape)


def _matmul_terms(a: Array, b: Array) -> list[Array]:
    """A @ B with the k-th product of every dot product taken out, one array per k."""
    rows = a if a.ndim == 2 else a[None, :]
    cols = b if b.ndim == 2 else b[:, None]
    shape = np.matmul(a, b).shape
    return [np.reshape(np.outer(rows[:, k], cols[k, :]), shape) for k in range(rows.shape[1])]


register(TensorOp("matmul", _matmul, _matmul_vjp, symbolic_of(_matmul), "·",
                  "For Y = A B the left factor's gradient is the upstream gradient times Bᵀ; "
                  "the right factor's is Aᵀ times the upstream gradient.",
                  slips=(Slip("one product of the dot product has its sign flipped",
                              forward=lambda ab, p: [np.matmul(*ab) - 2 * t for t in _matmul_terms(*ab)]),
                         Slip("one product of the dot product is left out",
                              forward=lambda ab, p: [np.matmul(*ab) - t for t in _matmul_terms(*ab)])),
                  value_form=forms.matmul_value, vjp_form=forms.matmul_vjp))
register(TensorOp("add", np.add, lambda g, out, a, b: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)),
                  symbolic_of(np.add), "+",
                  "An add hands the upstream gradient to both inputs.",
                  broadcast_rule="A broadcast input, such as a bias added to every row, receives it summed over "
                  "the rows it was copied to.",
                  value_form=forms.add_value, vjp_form=forms.add_vjp))
register(TensorOp("sub", np.subtract, lambda g, out, a, b: (unbroadcast(g, a.shape), -unbroadcast(g, b.shape)),
                  symbolic_of(np.subtract), "−",
                  "A subtract passes the gradient to its first input and its negative to the second.",
                  broadcast_rule="A broadcast input receives it summed over the axes it was copied along.",
                  value_form=forms.sub_value, vjp_form=forms.sub_vjp))
register(TensorOp("hadamard", np.multiply,
                  lambda g, out, a, b: (unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)),
                  symbolic_of(np.multiply), "⊙",
                  "An element-wise product swaps, entry by entry: each input's gradient is the upstream "
                  "gradient times the other input.",
                  value_form=forms.hadamard_value, vjp_form=forms.hadamard_vjp))


def _scale(x, c: float):
    return c * x


register(TensorOp("scale", _scale, lambda g, out, x, c: (c * g,), symbolic_of(_scale), "×{c}",
                  "Scaling by a constant scales the gradient by the same constant.",
                  value_form=forms.scale_value, vjp_form=forms.scale_vjp))


register(TensorOp("transpose", np.transpose, lambda g, out, x: (np.transpose(g),), symbolic_of(np.transpose),
                  "(·)ᵀ", "The gradient of a transpose is the upstream gradient transposed back.",
                  value_form=forms.transpose_value, vjp_form=forms.transpose_vjp))


# --- reductions and shapes ----------------------------------------------------------------
def _mean(x, axis: Axis = None):
    total = np.sum(x, axis=axis)
    return total / (np.size(x) // np.size(total))


register(TensorOp("sum", np.sum, lambda g, out, x, axis=None: (_expand(g, x.shape, axis),), symbolic_of(np.sum),
                  "Σ", "A sum hands the upstream gradient, unchanged, to every entry it added.",
                  value_form=forms.sum_value, vjp_form=forms.sum_vjp))
register(TensorOp("mean", _mean,
                  lambda g, out, x, axis=None: (_expand(g, x.shape, axis) * out.size / x.size,),
                  symbolic_of(_mean), "mean",
                  "A mean of n entries hands each entry the upstream gradient divided by n.",
                  value_form=forms.mean_value, vjp_form=forms.mean_vjp))


def _reshape(x, shape: tuple):
    return np.reshape(x, shape)


register(TensorOp("reshape", _reshape, lambda g, out, x, shape: (np.reshape(g, x.shape),), symbolic_of(_reshape),
                  "reshape",
                  "A reshape moves no number: the gradient is the upstream gradient put back in the input's shape.",
                  value_form=forms.reshape_value, vjp_form=forms.reshape_vjp, written=notation.reshape))


def _concat(*xs, axis: int = 0):
    return np.concatenate(xs, axis=axis)


def _concat_vjp(g, out, *xs, axis=0):
    return np.split(g, np.cumsum([x.shape[axis] for x in xs])[:-1], axis=axis)


register(TensorOp("concat", _concat, _concat_vjp, symbolic_of(_concat), "concat",
                  "Concatenation's gradient is a split: each input takes back its own block of the upstream "
                  "gradient (torch.cat).", value_form=forms.concat_value, vjp_form=forms.concat_vjp))


def _slice(x, index: tuple):
    return np.array(x[index])


def _slice_vjp(g, out, x, index):
    grad = np.zeros_like(x, dtype=float)
    np.add.at(grad, index, g)
    return (grad,)


register(TensorOp("slice", _slice, _slice_vjp, symbolic_of(_slice), "[ ]",
                  "Slicing routes the gradient back to the picked entries; the others get zero.",
                  value_form=forms.slice_value, vjp_form=forms.slice_vjp))


# --- softmax and friends ------------------------------------------------------------------
def softmax(x, axis: int = -1):
    e = exp_nonpositive(x - _top(x, axis))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_vjp(g, s, x, axis=-1):
    """s ⊙ (g − gᵀs), with g_i − gᵀs written as (g_i − g_m) s_m + g_i r − Σ_{j≠m} g_j s_j, where m is
    the largest entry and r = Σ_{j≠m} s_j = 1 − s_m. Where s_m rounds to 1, the plain form cancels
    and keeps only a few digits of the largest entry's gradient; this one keeps them all."""
    top = _first_max(s, axis)
    s_top, g_top = (np.sum(np.where(top, a, 0.0), axis=axis, keepdims=True) for a in (s, g))
    rest, others = (np.sum(np.where(top, 0.0, a), axis=axis, keepdims=True) for a in (s, g * s))
    return (s * ((g - g_top) * s_top + g * rest - others),)


def _first_max(s: Array, axis: int) -> Array:
    """A mask of one largest entry along ``axis`` (the first, where several tie)."""
    mask = np.zeros(np.shape(s), dtype=bool)
    np.put_along_axis(mask, np.expand_dims(np.argmax(s, axis=axis), axis), True, axis=axis)
    return mask


def softmax_symbolic(x, axis=-1):
    e = sym_exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(s: Array) -> Array:
    """∂s_i/∂x_j = s_i(δ_ij − s_j), i.e. diag(s) − s sᵀ, for a softmax output vector s."""
    s = np.asarray(s, dtype=float)
    return np.diag(s) - np.outer(s, s)


register(TensorOp("softmax", softmax, _softmax_vjp, symbolic_of(softmax_symbolic),
                  "softmax",
                  "Softmax's Jacobian is diag(s) − s sᵀ; applied to the upstream gradient g it is "
                  "s ⊙ (g − gᵀs), which the backward pass computes without building the n×n matrix.",
                  slips=(Slip("used sᵢ instead of sᵢ(1 − sᵢ) on the diagonal",
                              local=lambda s, x, p: (softmax_jacobian(s) + np.diag(s * s),)),
                         Slip("the off-diagonal entries are −sᵢsⱼ, not 0", local=lambda s, x, p: (np.diag(s * (1 - s)),)),
                         Slip("the off-diagonal entries are −sᵢsⱼ, not +sᵢsⱼ",
                              local=lambda s, x, p: (softmax_jacobian(s) + 2 * (np.outer(s, s) - np.diag(s * s)),))),
                  value_form=forms.softmax_value, vjp_form=forms.softmax_vjp))


def log_softmax(x, axis: int = -1):
    shifted = x - _top(x, axis)
    return shifted - _log_sum_exp_shifted(shifted, axis)


def _log_sum_exp_shifted(shifted: Array, axis: Axis) -> Array:
    """log Σ e^t along ``axis`` for t ≤ 0 with maximum 0, as log1p of every term but one e^0 = 1:
    np.log(1 + 3e-7) would keep only nine of log1p(3e-7)'s digits."""
    below = np.where(shifted < 0, exp_nonpositive(shifted), 0.0).sum(axis=axis, keepdims=True)
    return np.log1p(below + (np.sum(shifted == 0, axis=axis, keepdims=True) - 1))


def _log_softmax_vjp(g, out, x, axis=-1):
    return (g - exp_nonpositive(out) * np.sum(g, axis=axis, keepdims=True),)


register(TensorOp("log_softmax", log_softmax, _log_softmax_vjp,
                  symbolic_of(lambda x, axis=-1: sym_log(softmax_symbolic(x, axis))),
                  "log softmax",
                  "log softmax(x) = x − logsumexp(x): the gradient is g minus the softmax times the sum of g.",
                  value_form=forms.log_softmax_value, vjp_form=forms.log_softmax_vjp))


def _logsumexp(x, axis: Axis = -1):
    top = _top(x, axis)
    return np.squeeze(top + _log_sum_exp_shifted(x - top, axis), axis=_axes(axis, np.ndim(x)))


def _logsumexp_vjp(g, out, x, axis=-1):
    return (_expand(g, x.shape, axis) * exp_nonpositive(x - _expand(out, x.shape, axis)),)


register(TensorOp("logsumexp", _logsumexp, _logsumexp_vjp,
                  symbolic_of(lambda x, axis=-1: sym_log(sym_exp(x).sum(axis=axis))),
                  "logsumexp",
                  "logsumexp is a smooth max; its gradient is the softmax of its input times g."))


def _mask(x, mask):
    return np.where(mask, -np.inf, x)


def _mask_vjp(g, out, x, mask):
    return (unbroadcast(np.where(mask, 0.0, g), x.shape),)


register(TensorOp("mask", _mask, _mask_vjp, symbolic_of(_mask), "mask",
                  "Masked positions become −∞, so a softmax after gives them weight 0; no gradient reaches "
                  "them. True marks a hidden position. In PyTorch: Tensor.masked_fill(mask, −∞).",
                  value_form=notation.masked_value, vjp_form=notation.masked_vjp))
