"""The dense ops' value and VJP as SymPy matrix expressions, for their records in :mod:`linalg`.

Operands are the symbols of :func:`symdl.tensor.symbolic.tensor_symbol` (a vector is a column,
a scalar a ``Symbol``). A form raises :class:`NoMatrixForm` where its operands' shapes have
no matrix-algebra reading (a bias broadcast over a square matrix is ambiguous, a reduction
along one axis of a matrix is a different op); the network then shows an opaque form.
"""

from __future__ import annotations

import sympy as sp

from symdl.tensor.symbolic import is_matrix, is_vector


class NoMatrixForm(ValueError):
    """These operands' shapes have no matrix-expression reading."""


def _shape(x) -> tuple[int, int]:
    return tuple(x.shape) if is_matrix(x) else (1, 1)


def _ones(rows: int, cols: int):
    return sp.OneMatrix(rows, cols)


# --- matmul: the three readings of NumPy's @ on vectors and matrices -------------------------
def _case(a, b) -> str:
    """"dot" for vector · vector, "row" for a vector on the left (x @ W), else "plain" (W x, A B)."""
    if is_vector(a):
        return "dot" if is_vector(b) else "row"
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


# --- broadcasting element-wise ops ----------------------------------------------------------------
def _spread(b, shape: tuple[int, int]):
    """(b spread to ``shape`` as NumPy broadcasts it, g ↦ g summed back to b's shape)."""
    rows, cols = shape
    if not is_matrix(b):
        return b * _ones(rows, cols), lambda g: _ones(1, rows) * g * _ones(cols, 1)
    if b.shape == shape and not (is_vector(b) and cols > 1):
        return b, lambda g: g
    if is_vector(b) and b.rows == cols:  # a vector (n,) is a row to NumPy: added to every row
        return _ones(rows, 1) * b.T, lambda g: g.T * _ones(rows, 1)
    if b.shape == (rows, 1):  # an (m, 1) column added to every column (an (H, 1) bias on (H, B))
        return b * _ones(1, cols), lambda g: g * _ones(cols, 1)
    if b.shape == (1, cols):
        return _ones(rows, 1) * b, lambda g: _ones(1, rows) * g
    raise NoMatrixForm(f"a {b.shape} operand broadcast to {shape}")


def _out_shape(a, b) -> tuple[int, int]:
    """The broadcast shape in matrix terms: a vector (n,) against a matrix is one of its rows."""
    shapes = [_shape(x) if not is_vector(x) else (1, x.rows) for x in (a, b)]
    if all(is_vector(x) for x in (a, b)):
        return _shape(a)
    return max(shapes[0][0], shapes[1][0]), max(shapes[0][1], shapes[1][1])


def _broadcast(a, b):
    shape = _out_shape(a, b)
    if all(is_vector(x) or not is_matrix(x) for x in (a, b)) and any(is_vector(x) for x in (a, b)):
        shape = (max(_shape(a)[0], _shape(b)[0]), 1)  # vectors and scalars: the result is a column
    return _spread(a, shape), _spread(b, shape)


def add_value(a, b):
    (sa, _), (sb, _) = _broadcast(a, b)
    return sa + sb


def add_vjp(g, out, a, b):
    (_, back_a), (_, back_b) = _broadcast(a, b)
    return back_a(g), back_b(g)


def sub_value(a, b):
    (sa, _), (sb, _) = _broadcast(a, b)
    return sa - sb


def sub_vjp(g, out, a, b):
    (_, back_a), (_, back_b) = _broadcast(a, b)
    return back_a(g), -back_b(g)


def _times(a, b):
    return sp.HadamardProduct(a, b) if is_matrix(a) and is_matrix(b) else a * b


def hadamard_value(a, b):
    (sa, _), (sb, _) = _broadcast(a, b)
    return _times(sa, sb)


def hadamard_vjp(g, out, a, b):
    (sa, back_a), (sb, back_b) = _broadcast(a, b)
    return back_a(_times(g, sb)), back_b(_times(g, sa))


# --- scaling, transposes, reductions, reshapes ---------------------------------------------------
def scale_value(x, c):
    return sp.nsimplify(c) * x


def scale_vjp(g, out, x, c):
    return (sp.nsimplify(c) * g,)


def transpose_value(x):
    return x.T


def transpose_vjp(g, out, x):
    return (g.T,)


def _axis(x, axis):
    """The axis in matrix terms: None for the whole array, 0 down the columns, 1 along the rows."""
    if axis is None or is_vector(x) or not is_matrix(x):
        return None
    if axis not in (0, 1, -1, -2):
        raise NoMatrixForm(f"axis {axis} of a matrix")
    return axis % 2


def sum_value(x, axis=None):
    if not is_matrix(x):
        return x
    rows, cols = x.shape
    along = _axis(x, axis)
    if along == 0:
        return x.T * _ones(rows, 1)  # the column sums, as a column
    if along == 1:
        return x * _ones(cols, 1)
    total = _ones(1, rows) * x
    return total if cols == 1 else total * _ones(cols, 1)


def sum_vjp(g, out, x, axis=None):
    if not is_matrix(x):
        return (g,)
    rows, cols = x.shape
    along = _axis(x, axis)
    if along == 0:
        return (_ones(rows, 1) * g.T,)
    if along == 1:
        return (g * _ones(1, cols),)
    return (g * _ones(rows, cols),)


def _count(x, axis) -> int:
    rows, cols = _shape(x)
    along = _axis(x, axis)
    return rows * cols if along is None else (rows, cols)[along]


def mean_value(x, axis=None):
    return sum_value(x, axis) / _count(x, axis)


def mean_vjp(g, out, x, axis=None):
    return (sum_vjp(g, out, x, axis)[0] / _count(x, axis),)


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
    """s ⊙ (g − 1 (gᵀ s)) for a vector; for a matrix the same per row, (s ⊙ g) 1 1ᵀ summing each row
    (axis −1), or per column, 1 1ᵀ (s ⊙ g) (axis 0)."""
    if not is_matrix(s) or axis is None:
        raise NoMatrixForm("a softmax of a scalar or of a whole matrix")
    rows, cols = s.shape
    along = 0 if is_vector(s) else _axis(s, axis)
    weighted = sp.HadamardProduct(s, g)
    total = _ones(rows, rows) * weighted if along == 0 else weighted * _ones(cols, cols)
    return (sp.HadamardProduct(s, g - total),)


def half_sse_value(a, y):
    d = sub_value(a, y)
    if not is_matrix(d):
        return d ** 2 / 2
    return sp.Trace(d.T * d) / 2 if d.shape[1] > 1 else d.T * d / 2


def half_sse_vjp(g, out, a, y):
    return sub_vjp(g * sub_value(a, y), out, a, y)
