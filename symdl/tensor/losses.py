"""The loss functions of dense networks, one :class:`~symdl.tensor.registry.TensorOp` record each,
with PyTorch's names, reductions and clamps (``mse``, ``bce``, ``bce_with_logits``,
``cross_entropy``) beside the notes' ``half_sse``.

They share :mod:`symdl.tensor.linalg`'s conventions (NumPy broadcasting summed back in each VJP,
``symbolic`` forms on object arrays, exponentials of non-positive numbers only) and its softmax.
"""

from __future__ import annotations

import numpy as np

from symdl.tensor import matrix_forms as forms
from symdl.tensor.linalg import (Array, exp_nonpositive, log_softmax, softmax, softmax_symbolic, sym_exp, sym_log,
                                 symbolic_of, unbroadcast)
from symdl.tensor.registry import TensorOp, register

BCE_LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps log(p) and log(1 − p) at −100
BCE_EPS = 1e-12  # and bounds p(1 − p) below by this in its backward pass


def _softplus(z: Array) -> Array:
    """log(1 + e^z) = max(z, 0) + log(1 + e^−|z|), finite and exact for every float z."""
    return np.maximum(z, 0.0) + np.log1p(exp_nonpositive(-np.abs(z)))


def _sigmoid(z: Array) -> Array:
    e = exp_nonpositive(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _divisor(count: int, reduction: str) -> int:
    """What a loss is divided by: the number of terms for "mean" (PyTorch's default), 1 for "sum"."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction!r}")
    return count if reduction == "mean" else 1


def _reduce(elements, reduction: str):
    return np.sum(elements) / _divisor(np.size(elements), reduction)


def _half_sse(a, y):
    """½ Σ (a − y)²: the notes' convention, whose gradient is just a − y."""
    d = a - y
    return np.sum(d * d) / 2


def _half_sse_vjp(g, out, a, y):
    d = g * (a - y)
    return unbroadcast(d, a.shape), -unbroadcast(d, y.shape)


register(TensorOp("half_sse", _half_sse, _half_sse_vjp, symbolic_of(_half_sse), "½SSE",
                  "With L = ½ Σ (a − y)² the gradient on the prediction a is just the error a − y, "
                  "and on the target y its negative, y − a.",
                  value_form=forms.half_sse_value, vjp_form=forms.half_sse_vjp))


def _mse(a, y, reduction: str = "mean"):
    """Σ (a − y)² over the number of terms ("mean") or not ("sum"), as torch.nn.functional.mse_loss."""
    d = a - y
    return _reduce(d * d, reduction)


def _mse_vjp(g, out, a, y, reduction="mean"):
    d = 2 * g * (a - y) / _divisor(np.broadcast(a, y).size, reduction)
    return unbroadcast(d, a.shape), -unbroadcast(d, y.shape)


register(TensorOp("mse", _mse, _mse_vjp, symbolic_of(_mse), "MSE",
                  "PyTorch's mean squared error: the gradient on the prediction a is 2(a − y)/n and on the "
                  "target y its negative, n the number of terms (n = 1 with reduction=\"sum\"); half_sse is the "
                  "notes' ½ Σ (a − y)²."))


def _clamped_log(p):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), BCE_LOG_FLOOR)


def _bce(p, y, reduction: str = "mean"):
    """Binary cross-entropy on probabilities p, as torch.nn.BCELoss (logs clamped at −100)."""
    return _reduce(-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)), reduction)


def _bce_vjp(g, out, p, y, reduction="mean"):
    scale = g / _divisor(np.broadcast(p, y).size, reduction)
    dp = scale * (p - y) / np.maximum(p * (1 - p), BCE_EPS)
    dy = scale * (_clamped_log(1 - p) - _clamped_log(p))
    return unbroadcast(dp, p.shape), unbroadcast(dy, y.shape)


def _bce_symbolic(p, y, reduction="mean"):
    return _reduce(-(y * sym_log(p) + (1 - y) * sym_log(1 - p)), reduction)


register(TensorOp("bce", _bce, _bce_vjp, symbolic_of(_bce_symbolic),
                  "BCE",
                  "Binary cross-entropy on a probability p has gradient (p − y)/(p(1 − p)); "
                  "after a sigmoid that collapses to p − y, which is why BCE with logits is preferred.",
                  value_form=forms.bce_value, vjp_form=forms.bce_vjp))


def _bce_with_logits(z, y, reduction: str = "mean"):
    """−[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, as torch.nn.BCEWithLogitsLoss."""
    return _reduce(_softplus(z) - y * z, reduction)


def _bce_with_logits_vjp(g, out, z, y, reduction="mean"):
    scale = g / _divisor(np.broadcast(z, y).size, reduction)
    error = (1 - y) * _sigmoid(z) - y * _sigmoid(-z)  # σ(z) − y, with no cancellation for labels 0 and 1
    return unbroadcast(scale * error, z.shape), unbroadcast(-scale * z, y.shape)


def _bce_with_logits_symbolic(z, y, reduction="mean"):
    return _reduce(sym_log(1 + sym_exp(z)) - y * z, reduction)


register(TensorOp("bce_with_logits", _bce_with_logits, _bce_with_logits_vjp, symbolic_of(_bce_with_logits_symbolic),
                  "BCE (logits)",
                  "On logits z, BCE is softplus(z) − y z: finite for any z, with gradient σ(z) − y."))


def _class_probabilities(z, y):
    """The target as one row of class probabilities per sample: kept if it has the logits' shape,
    else read as integer class indices (shape ``z.shape[:-1]``) and one-hot encoded."""
    if np.shape(y) == np.shape(z):
        return y
    classes = z.shape[-1]
    index = np.reshape(y, z.shape[:-1])
    whole = index.astype(int)
    if np.any(whole != index) or np.any(whole < 0) or np.any(whole >= classes):
        raise ValueError(f"cross_entropy: targets must be class indices in 0..{classes - 1} or have shape {z.shape}")
    return (whole[..., None] == np.arange(classes)).astype(int)


def _samples(z, reduction: str) -> int:
    """Cross-entropy's "mean" is over samples, not over classes (one sample for logits of shape (C,))."""
    return _divisor(np.size(z) // np.shape(z)[-1], reduction)


def _cross_entropy(z, y, reduction: str = "mean"):
    """torch.nn.functional.cross_entropy on logits z (classes on the last axis, as for (C,) and
    (N, C) in PyTorch) against class indices or class probabilities, via log-softmax."""
    return -np.sum(_class_probabilities(z, y) * log_softmax(z)) / _samples(z, reduction)


def _cross_entropy_vjp(g, out, z, y, reduction="mean"):
    target = _class_probabilities(z, y)
    scale = g / _samples(z, reduction)
    dz = scale * _softmax_minus_target(z, target)
    dy = -scale * log_softmax(z) if np.shape(y) == np.shape(z) else np.zeros_like(y, dtype=float)
    return dz, dy


def _softmax_minus_target(z: Array, target: Array) -> Array:
    """softmax(z)·Σy − y. Where a softmax entry is near 1 (a confident prediction), s − 1 is taken
    as expm1(log s) from the log-softmax, since s itself has rounded away the digits of 1 − s."""
    total = target.sum(axis=-1, keepdims=True)
    s, log_s = softmax(z), log_softmax(z)
    return np.where(s > 0.5, total * np.expm1(log_s) + (total - target), s * total - target)


def _cross_entropy_symbolic(z, y, reduction="mean"):
    return -np.sum(_class_probabilities(z, y) * sym_log(softmax_symbolic(z))) / _samples(z, reduction)


register(TensorOp("cross_entropy", _cross_entropy, _cross_entropy_vjp, symbolic_of(_cross_entropy_symbolic),
                  "CE",
                  "Cross-entropy after a softmax has the simplest gradient in deep learning: "
                  "softmax(z) minus the one-hot target.",
                  value_form=forms.cross_entropy_value, vjp_form=forms.cross_entropy_vjp))
