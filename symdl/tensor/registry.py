"""The tensor half of the op registry: one record per tensor primitive.

A scalar op (``symdl.ops``) is SymPy-first; a tensor op is NumPy-first: its
forward pass and its vector–Jacobian product (VJP) work on arrays, and beside
them it carries

* ``symbolic``: the same op on SymPy matrices, element by element, so small
  shapes can be expanded and checked against the scalar engine;
* ``matrix_rule``: each input's gradient in matrix notation (for ``Y = W X``:
  ``∂L/∂W = ∂L/∂Y Xᵀ``, ``∂L/∂X = Wᵀ ∂L/∂Y``), as a template with ``{g}`` for
  the upstream gradient, ``{out}`` for the output and ``{0}``, ``{1}``, … for
  the inputs' names;
* the diagram glyph and the sentence a teacher says.

Element-wise activations need no record here: the network applies any unary
scalar op of ``symdl.ops`` element-wise, with its canonical local derivative.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np
import sympy as sp

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
    matrix_rule: tuple[str, ...]
    glyph: str
    rule: str
    slips: tuple[Slip, ...] = ()  # classic mistakes, for grading; ``extra`` is the op's keyword parameters

    def label(self, const=None) -> str:
        """The diagram glyph (tensor ops fold no constant into their gate)."""
        return self.glyph

    def tex(self, operands: Sequence[str], const=None) -> str:
        return rf"\operatorname{{{self.name}}}\left({', '.join(operands)}\right)"

    def gradient_notation(self, output: str, inputs: Sequence[str], upstream: str) -> list[str]:
        """Each input's gradient in matrix notation with the graph's names filled in."""
        return [t.format(*inputs, g=upstream, out=output) for t in self.matrix_rule]


TENSOR_REGISTRY: Registry[TensorOp] = Registry("tensor op")
register = TENSOR_REGISTRY.register
get = TENSOR_REGISTRY.__getitem__
