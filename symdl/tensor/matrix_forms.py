"""The dense ops' value and VJP as SymPy matrix expressions, for their records in :mod:`linalg`.

Operands are the symbols of :func:`symdl.tensor.symbolic.tensor_symbol` (a vector is a column,
a scalar a ``Symbol``). A form raises :class:`NoMatrixForm` where its operands' shapes have
no matrix-algebra reading (a bias broadcast over a square matrix is ambiguous, a reduction
along one axis of a matrix is a different op); the network then shows an opaque form.
"""

from __future__ import annotations

import sympy as sp

from symdl.tensor.symbolic import is_matrix


class NoMatrixForm(ValueError):
    """These operands' shapes have no matrix-expression reading."""


def _shape(x) -> tuple[int, int]:
    return tuple(x.shape) if is_matrix(x) else (1, 1)


def _ones(rows: int, cols: int):
    return sp.OneMatrix(rows, cols)


# --- matmul: the three readings of NumPy's @ on vectors and matrices -------------------------
def _case(a, b) -> str:
    """"dot" for vector · vector, "row" for a vector on the left (x @ W), else "plain" (W x, A B).
    An n×1 symbol is a vector: (n, 1) @ (n, ·) is no valid product for n > 1."""
    (ar, ac), (br, bc) = _shape(a), _shape(b)
    if ac == 1 and ar == br and ar > 1:
        return "dot" if bc == 1 else "row"
    return "plain"


def matmul_value(a, b):
    case = _case(a, b)
    if case == "dot":
        return a.T * b
    return b.T * a if case == "row" else a * b  # x @ W as a column: Wᵀ x


def matmul_vjp(g, out, a, b):
    case = _case(a, b)
    if case == "dot":
        return g * b, g * a
    if case == "row":
        return b * g, a * g.T
    return g * b.T, a.T * g


# --- broadcasting adds ------------------------------------------------------------------------
def _spread(b, shape: tuple[int, int]):
    """(b spread to ``shape`` as NumPy broadcasts it, g ↦ g summed back to b's shape)."""
    rows, cols = shape
    if _shape(b) == shape:
        return b, lambda g: g
    if not is_matrix(b):
        return b * _ones(rows, cols), lambda g: _ones(1, rows) * g * _ones(cols, 1)
    br, bc = b.shape
    if bc == 1 and br == rows and rows != cols:  # a column added to every column (an (H, 1) bias on (H, B))
        return b * _ones(1, cols), lambda g: g * _ones(cols, 1)
    if bc == 1 and br == cols and rows != cols:  # a vector (n,) added to every row
        return _ones(rows, 1) * b.T, lambda g: g.T * _ones(rows, 1)
    raise NoMatrixForm(f"a {b.shape} operand broadcast to {shape}")


def _out_shape(a, b) -> tuple[int, int]:
    return max(_shape(a), _shape(b), key=lambda s: s[0] * s[1])


def add_value(a, b):
    shape = _out_shape(a, b)
    return _spread(a, shape)[0] + _spread(b, shape)[0]


def add_vjp(g, out, a, b):
    shape = _out_shape(a, b)
    return _spread(a, shape)[1](g), _spread(b, shape)[1](g)


def sub_value(a, b):
    shape = _out_shape(a, b)
    return _spread(a, shape)[0] - _spread(b, shape)[0]


def sub_vjp(g, out, a, b):
    shape = _out_shape(a, b)
    return _spread(a, shape)[1](g), -_spread(b, shape)[1](g)


def hadamard_value(a, b):
    if not (is_matrix(a) and is_matrix(b)):
        return a * b
    if a.shape != b.shape:
        raise NoMatrixForm("a broadcast element-wise product")
    return sp.HadamardProduct(a, b)


def hadamard_vjp(g, out, a, b):
    return hadamard_value(g, b), hadamard_value(g, a)


# --- scaling, transposes, reductions, reshapes ---------------------------------------------------
def scale_value(x, c):
    return sp.nsimplify(c) * x


def scale_vjp(g, out, x, c):
    return (sp.nsimplify(c) * g,)


def transpose_value(x):
    return x.T


def transpose_vjp(g, out, x):
    return (g.T,)


def _whole(axis) -> None:
    if axis is not None:
        raise NoMatrixForm("a reduction along one axis")


def sum_value(x, axis=None):
    _whole(axis)
    if not is_matrix(x):
        return x
    total = _ones(1, x.shape[0]) * x
    return total if x.shape[1] == 1 else total * _ones(x.shape[1], 1)


def sum_vjp(g, out, x, axis=None):
    _whole(axis)
    return (g * _ones(*x.shape) if is_matrix(x) else g,)


def mean_value(x, axis=None):
    rows, cols = _shape(x)
    return sum_value(x, axis) / (rows * cols)


def mean_vjp(g, out, x, axis=None):
    rows, cols = _shape(x)
    return (sum_vjp(g, out, x, axis)[0] / (rows * cols),)


def reshape_value(x, shape):
    """A reshape between a vector and a row or column of it; any other moves entries around."""
    rows, cols = _shape(x)
    target = (shape[0], 1) if len(shape) == 1 else tuple(shape) if len(shape) == 2 else None
    if target == (rows, cols):
        return x
    if target == (cols, rows) and 1 in target:
        return x.T
    raise NoMatrixForm(f"a reshape of {rows}×{cols} to {shape}")


def reshape_vjp(g, out, x, shape):
    rows, cols = _shape(x)
    return (g if _shape(g) == (rows, cols) else g.T,)


# --- softmax and the squared error ------------------------------------------------------------
def softmax_vjp(g, s, x, axis=-1):
    """s ⊙ (g − 1 (gᵀ s)) for a column s; rows of a matrix need one such product per row."""
    if not is_matrix(s) or s.shape[1] != 1 or axis not in (-1, 0):
        raise NoMatrixForm("a softmax over the rows of a matrix")
    return (sp.HadamardProduct(s, g - _ones(s.shape[0], 1) * (g.T * s)),)


def mse_value(a, y):
    d = sub_value(a, y)
    if not is_matrix(d):
        return d ** 2 / 2
    return sp.Trace(d.T * d) / 2 if d.shape[1] > 1 else d.T * d / 2


def mse_vjp(g, out, a, y):
    return sub_vjp(g * sub_value(a, y), out, a, y)
