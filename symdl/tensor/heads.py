"""Splitting a tensor into equal blocks, as multi-head attention splits Q, K and V into heads.

``chunk(x, chunks, index, axis)`` is block ``index`` of ``torch.chunk(x, chunks, axis)``
for a size that ``chunks`` divides: head j of a (T × d_model) projection is
``chunk(Q, heads, j, axis=1)``, its d_model/heads columns. One record, registered at
import; ``concat`` (in :mod:`symdl.tensor.linalg`) joins the heads back.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symdl.tensor import matrix_forms as forms
from symdl.tensor.matrix_forms import NoMatrixForm
from symdl.tensor.registry import TensorOp, register
from symdl.tensor.symbolic import is_matrix, is_vector

Array = np.ndarray


def _block(shape: tuple, chunks: int, index: int, axis: int) -> tuple:
    """The index that picks block ``index`` of ``chunks`` equal blocks along ``axis``."""
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in (chunks, index, axis)):
        raise ValueError(f"chunks, index and axis are whole numbers, not {chunks!r}, {index!r}, {axis!r}")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is not an axis of shape {shape}")
    size = shape[axis]
    if chunks < 1 or size % chunks:
        raise ValueError(f"{chunks} blocks do not divide a size of {size} along axis {axis}")
    if not 0 <= index < chunks:
        raise ValueError(f"index {index} is not one of the {chunks} blocks 0…{chunks - 1}")
    width = size // chunks
    picked = [slice(None)] * len(shape)
    picked[axis] = slice(index * width, (index + 1) * width)
    return tuple(picked)


def _chunk(x: Array, chunks: int, index: int, axis: int = -1) -> Array:
    return np.array(x[_block(np.shape(x), chunks, index, axis)])


def _chunk_vjp(g: Array, out: Array, x: Array, chunks: int, index: int, axis: int = -1) -> tuple[Array]:
    grad = np.zeros(np.shape(x))
    grad[_block(np.shape(x), chunks, index, axis)] = g
    return (grad,)


def _chunk_symbolic(x, chunks: int, index: int, axis: int = -1) -> sp.Matrix:
    """The block of a SymPy matrix (an n×1 matrix is the vector (n,), as everywhere in the registry)."""
    entries = np.array(x.tolist(), dtype=object)
    entries = entries[:, 0] if x.cols == 1 else entries
    block = _chunk(entries, chunks, index, axis)
    return sp.Matrix(block.reshape(-1, 1) if block.ndim < 2 else block)


def _block_of_form(x, chunks: int, index: int, axis: int) -> tuple:
    """The block's index into a matrix form, whose vector is NumPy's (n,) and not (n, 1)."""
    if not is_matrix(x):
        raise NoMatrixForm(f"a block of the scalar {x}")
    rows, cols = x.shape
    return _block((rows,) if is_vector(x) else (rows, cols), chunks, index, axis)


def _chunk_value(x, chunks: int, index: int, axis: int = -1):
    """A block is a slice: x[:, j·w:(j + 1)·w] for head j of width w."""
    return forms.slice_value(x, _block_of_form(x, chunks, index, axis))


def _chunk_vjp_form(g, out, x, chunks: int, index: int, axis: int = -1):
    return forms.slice_vjp(g, out, x, _block_of_form(x, chunks, index, axis))


register(TensorOp("chunk", _chunk, _chunk_vjp, _chunk_symbolic, "chunk",
                  "Taking one block routes the upstream gradient back to that block; the other blocks get "
                  "zero: a head's share of a projection is a block of its columns. "
                  "In PyTorch: torch.chunk(x, chunks, axis)[index].",
                  value_form=_chunk_value, vjp_form=_chunk_vjp_form))
