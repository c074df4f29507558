"""The op table of the softmax family over n logits: softmax, log-softmax, logsumexp, cross-entropy.

softmax, log_softmax and cross_entropy are *indexed* ops (:attr:`symdl.op_record.Op.indexed`): a
SymPy application is ``softmax(x1, …, xn, i)``, its last argument the component i counted from 1,
as a course writes sᵢ = e^{xᵢ}/Σₖ e^{xₖ}; expression text writes it ``softmax(x1, x2, x3)[1]``.
cross_entropy's index is the target class k of a one-hot target y (PyTorch's
``F.cross_entropy(z, k)``): L = −log s_k = logsumexp(z) − z_k. Every local derivative is written
with softmax outputs, so a kernel never exponentiates a logit unshifted: each NumPy form shifts by
the largest logit.

Importing this module registers its records in :data:`symdl.op_record.REGISTRY` (see :mod:`symdl.ops`).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import sympy as sp
from sympy import S

from symdl.op_record import Op, Param, function, register

Expr = sp.Expr


def _position(value: float) -> bool:
    return value >= 1 and value == int(value)


_COMPONENT = Param("component", S.One, "a position 1, 2, … among the arguments", _position, variable=False)
_TARGET = Param("target", S.One, "a class 1, 2, … among the logits", _position, variable=False)


def _split(args: Sequence[Expr], const: Optional[Expr]) -> tuple[tuple, Expr]:
    """The logits and the index of an indexed op: the index folded (``const``) or written last."""
    return (tuple(args), const) if const is not None else (tuple(args[:-1]), args[-1])


def _pick(logits: Sequence[Expr], index: Expr) -> Expr:
    """x_index, counted from 1; for a placeholder index (a definition lambdified or evaluated over
    placeholders) the cases x₁ if index = 1, x₂ if index = 2, …"""
    index = index if isinstance(index, sp.Basic) else sp.Integer(index)  # never sympify: no text is parsed
    if index.is_Integer:
        return logits[int(index) - 1]
    return sp.Piecewise(*((x, sp.Eq(index, k)) for k, x in enumerate(logits, 1)), (S.NaN, True))


def _softmax_of(logits: Sequence[Expr], j: int, own: Expr, index: Expr) -> Expr:
    """s_j, reusing the op's own output where j is its index."""
    return own if j == index else function("softmax")(*logits, j)


def _log_total(logits: Sequence[Expr]) -> Expr:
    return sp.log(sp.Add(*(sp.exp(x) for x in logits)))


def _stacked(arrays: Sequence) -> np.ndarray:
    return np.stack(np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays)))


def _shifted(arrays: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The logits less the largest m, and log Σₖ e^{xₖ − m} as log1p of the terms other than the
    largest's e⁰ = 1: e^{x − m} never overflows, and log(1 + tiny) keeps its digits."""
    logits = _stacked(arrays)
    top = np.max(logits, axis=0)
    shifted = logits - top
    largest = np.arange(len(logits)).reshape((-1,) + (1,) * top.ndim) == np.argmax(logits, axis=0)
    return top, shifted, np.log1p(np.sum(np.where(largest, 0.0, np.exp(shifted)), axis=0))


def _log_softmax_numpy(arrays: Sequence) -> np.ndarray:
    """log sₖ for every k."""
    _, shifted, log_total = _shifted(arrays)
    return shifted - log_total


def _softmax_numpy(*arrays, const) -> np.ndarray:
    return np.exp(_log_softmax_numpy(arrays)[int(const) - 1])


def _softmax_local(out: Expr, args: Sequence[Expr], const: Optional[Expr]) -> tuple:
    """∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)."""
    logits, i = _split(args, const)
    return tuple(out * ((1 if j == i else 0) - _softmax_of(logits, j, out, i)) for j in range(1, len(logits) + 1))


def _log_softmax_local(out: Expr, args: Sequence[Expr], const: Optional[Expr]) -> tuple:
    """∂ log sᵢ/∂xⱼ = δᵢⱼ − sⱼ."""
    logits, i = _split(args, const)
    return tuple((1 if j == i else 0) - function("softmax")(*logits, j) for j in range(1, len(logits) + 1))


def _cross_entropy_local(out: Expr, args: Sequence[Expr], const: Optional[Expr]) -> tuple:
    """∂(−log s_k)/∂zⱼ = sⱼ − δₖⱼ: s − y for the one-hot y of class k."""
    return tuple(-d for d in _log_softmax_local(out, args, const))


_S_I, _S_J, _X_J, _Z_J, _Y_J, _DELTA, _L = sp.symbols("s_i s_j x_j z_j y_j delta_ij L", real=True)
_I, _J, _K = sp.symbols("i j k", positive=True, integer=True)


def _law(lhs: Expr, rhs: Expr, index_letter: Optional[sp.Symbol]):
    """An op's derivative rule in a textbook's letters (``Op.law``), with the index and the position
    of the variable among the arguments that the letters stand for in one application."""
    def law(index: Optional[Expr], position: Optional[int]) -> tuple[tuple[Expr, Expr], tuple]:
        parts = ((index_letter, index),) if index_letter is not None and index is not None else ()
        return (lhs, rhs), parts + (((_J, sp.Integer(position)),) if position is not None else ())
    return law


def _torch_stacked(torch, tensors):
    return torch.stack(torch.broadcast_tensors(*tensors))


register(Op("softmax", None, _softmax_local,
            "softmax[{c}]", r"\operatorname{{softmax}}\left({0}\right)_{{{c}}}",
            "The softmax derivative: ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ), where sᵢ = exp(xᵢ)/Σₖ exp(xₖ) is output i of the softmax: "
            "sᵢ(1 − sᵢ) for j = i and −sᵢsⱼ for j ≠ i.",
            _softmax_numpy, arity=None, function=True, params=(_COMPONENT,),
            torch=lambda torch: lambda *a: torch.softmax(_torch_stacked(torch, a[:-1]), 0)[int(a[-1]) - 1],
            elementary=lambda *a: sp.exp(_pick(a[:-1], a[-1])) / sp.Add(*(sp.exp(x) for x in a[:-1])),
            sign="positive", tex_name=r"\operatorname{softmax}", rule_name="softmax derivative",
            law=_law(sp.Derivative(_S_I, _X_J), _S_I * (_DELTA - _S_J), _I), component=("softmax", lambda s: s)))
register(Op("log_softmax", None, _log_softmax_local,
            "log_softmax[{c}]", r"\log\operatorname{{softmax}}\left({0}\right)_{{{c}}}",
            "The log-softmax derivative: ∂ log sᵢ/∂xⱼ = δᵢⱼ − sⱼ: 1 − sᵢ for j = i and −sⱼ for j ≠ i.",
            lambda *arrays, const: _log_softmax_numpy(arrays)[int(const) - 1], arity=None, function=True,
            params=(_COMPONENT,),
            torch=lambda torch: lambda *a: torch.log_softmax(_torch_stacked(torch, a[:-1]), 0)[int(a[-1]) - 1],
            elementary=lambda *a: _pick(a[:-1], a[-1]) - _log_total(a[:-1]),
            tex_name=r"\log\operatorname{softmax}", rule_name="log-softmax derivative",
            law=_law(sp.Derivative(sp.log(_S_I), _X_J), _DELTA - _S_J, _I), component=("softmax", sp.log)))
register(Op("logsumexp", None, lambda o, a, c: tuple(function("softmax")(*a, j) for j in range(1, len(a) + 1)),
            "logsumexp", r"\operatorname{{logsumexp}}\left({0}\right)",
            "The logsumexp derivative: ∂/∂xⱼ log Σₖ exp(xₖ) = sⱼ, the softmax of the arguments.",
            lambda *arrays, const=None: (lambda top, _, log_total: top + log_total)(*_shifted(arrays)),
            arity=None, function=True,
            torch=lambda torch: lambda *a: torch.logsumexp(_torch_stacked(torch, a), 0),
            elementary=lambda *a: _log_total(a), tex_name=r"\operatorname{logsumexp}",
            rule_name="logsumexp derivative", law=_law(sp.Derivative(sp.Function("logsumexp")(sp.Symbol("x", real=True)), _X_J), _S_J, None)))
register(Op("cross_entropy", None, _cross_entropy_local,
            "CE[{c}]", r"\operatorname{{CE}}\left({0}\right)_{{{c}}}",
            "Cross-entropy of softmax: ∂L/∂zⱼ = sⱼ − yⱼ, the softmax output minus the one-hot target "
            "(yₖ = 1 for the target class k, else 0), where L = −log sₖ.",
            lambda *arrays, const: -_log_softmax_numpy(arrays)[int(const) - 1], arity=None, function=True,
            params=(_TARGET,),
            torch=lambda torch: lambda *a: -torch.log_softmax(_torch_stacked(torch, a[:-1]), 0)[int(a[-1]) - 1],
            elementary=lambda *a: _log_total(a[:-1]) - _pick(a[:-1], a[-1]), sign="nonnegative",
            tex_name=r"\operatorname{CE}", rule_name="cross-entropy of softmax",
            law=_law(sp.Derivative(_L, _Z_J), _S_J - _Y_J, _K), component=("softmax", lambda s: -sp.log(s))))
