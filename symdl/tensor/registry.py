"""The tensor half of the op registry: one record per tensor primitive.

A scalar op (``symdl.ops``) is SymPy-first; a tensor op is NumPy-first: its
forward pass and its vector–Jacobian product (VJP) work on arrays, and beside
them it carries

* ``symbolic``: the same op on SymPy matrices, element by element, so small
  shapes can be expanded and checked against the scalar engine;
* ``value_form`` and ``vjp_form``: the op and each input's gradient as SymPy
  matrix expressions of the operands' symbols (:mod:`symdl.tensor.symbolic`): for
  ``Y = W X``, ``W X`` and ``∂L/∂W = ∂L/∂Y Xᵀ``, ``∂L/∂X = Wᵀ ∂L/∂Y``; ``None`` where
  no matrix form exists (a convolution);
* ``written``: where no matrix form exists, the step as a textbook writes it (X ∗ W, stride 2,
  padding 1; γ ⊙ (Z − μ)/√(σ² + ε) + β), and only where none is written an opaque applied function;
* the diagram glyph and the sentence a teacher says.

Element-wise activations need no record here: the network applies any unary
scalar op of ``symdl.ops`` element-wise, with its canonical local derivative.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np
import sympy as sp

from symdl.numbers import constant_text
from symdl.registry import Registry, Slip

Array = np.ndarray


@dataclasses.dataclass(frozen=True)
class TensorOp:
    """``forward(*inputs, **params)``; ``vjp(g, out, *inputs, **params)`` returns one
    gradient per input, each of that input's shape."""

    name: str
    forward: Callable[..., Array]
    vjp: Callable[..., Sequence[Array]]
    symbolic: Callable[..., sp.Matrix]
    glyph: str
    rule: str
    broadcast_rule: str = ""  # said beside ``rule`` only where an input is broadcast (a bias added to every row)
    slips: tuple[Slip, ...] = ()  # classic mistakes, for grading; ``extra`` is the op's keyword parameters
    value_form: Optional[Callable[..., sp.Basic]] = None  # value_form(*operands, **params)
    vjp_form: Optional[Callable[..., Sequence[sp.Basic]]] = None  # vjp_form(g, out, *operands, **params)
    # where no matrix form exists: the step in words and mathematics (X ∗ W, stride 2), written(record,
    # *operands, **params), from :mod:`symdl.tensor.notation`
    written: Optional[Callable[..., sp.Basic]] = None

    def label(self, const=None) -> str:
        """The diagram glyph with its constant filled in (``×1/√2``, ``×½``, as a scalar gate writes
        it), else ``c``."""
        return self.glyph.format(c=constant_text(const)) if const is not None else self.glyph.replace("{c}", "c")

    def tex(self, operands: Sequence[str], const=None) -> str:
        name = self.name.replace("_", r"\_")  # half_sse, not half with a subscript sse
        return rf"\operatorname{{{name}}}\left({', '.join(operands)}\right)"


TENSOR_REGISTRY: Registry[TensorOp] = Registry("tensor op")
register = TENSOR_REGISTRY.register
get = TENSOR_REGISTRY.__getitem__
