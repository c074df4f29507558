"""The dense ops' value and VJP as SymPy matrix expressions, for their records in :mod:`linalg`.

Operands are the symbols of :func:`symdl.tensor.symbolic.tensor_symbol` (a vector is a column,
a scalar a ``Symbol``). A form raises :class:`NoMatrixForm` where its operands' shapes have
no matrix-algebra reading (a bias broadcast over a square matrix is ambiguous, a reduction
along one axis of a matrix is a different op); the network then shows an opaque form.
"""

from __future__ import annotations

import sympy as sp

from symdl.tensor.symbolic import Blocks, OneHot, Softmax, elementwise, is_matrix, is_vector, pick


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
    if not is_matrix(b) and shape == (1, 1):  # a number added to a number: nothing to spread
        return b, lambda g: g
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
    """A vector as a row, xᵀ; any other reshape is written in words (a vector as a 4×1 column is no
    vector: ``Z = z`` would equate two shapes)."""
    rows, cols = _shape(x)
    target = (shape[0], 1) if len(shape) == 1 else tuple(shape) if len(shape) == 2 else None
    rank = 1 if is_vector(x) else 2 if is_matrix(x) else 0
    if target == (rows, cols) and len(shape) == rank:
        return x
    if target == (cols, rows) and 1 in target:
        return x.T
    raise NoMatrixForm(f"a reshape of {rows}×{cols} to {shape}")


def reshape_vjp(g, out, x, shape):
    rows, cols = _shape(x)
    return (g if _shape(g) == (rows, cols) else g.T,)


# --- concatenation and slicing -----------------------------------------------------------------
def _concat_along(xs, axis) -> int:
    """The matrix axis blocks are stacked along: columns (vectors) stack into a longer column."""
    if not all(is_matrix(x) for x in xs) or len({is_vector(x) for x in xs}) > 1:
        raise NoMatrixForm("a concatenation of scalars, or of vectors with matrices")
    if axis not in (0, 1, -1, -2):
        raise NoMatrixForm(f"axis {axis} of a matrix")
    return 0 if is_vector(xs[0]) else axis % 2


def concat_value(*xs, axis=0):
    return Blocks([[x] for x in xs] if _concat_along(xs, axis) == 0 else [list(xs)])


def concat_vjp(g, out, *xs, axis=0):
    """Each input's own block of the upstream gradient, g[rows, :] or g[:, columns]."""
    along, start, blocks = _concat_along(xs, axis), 0, []
    rows, cols = g.shape
    for x in xs:
        stop = start + x.shape[along]
        blocks.append(pick(g, slice(start, stop), slice(0, cols)) if along == 0 else pick(g, slice(0, rows), slice(start, stop)))
        start = stop
    return tuple(blocks)


def _pick(part, size: int) -> tuple[slice, bool]:
    """One index of a basic slice as a slice of positive step, and whether NumPy keeps its axis."""
    if isinstance(part, int) and not isinstance(part, bool) and -size <= part < size:
        return slice(part % size, part % size + 1), False
    if isinstance(part, slice):
        start, stop, step = part.indices(size)
        count = len(range(start, stop, step))
        if step > 0 and count and start + count * step <= size:  # SymPy counts a slice's rows as ⌊(stop − start)/step⌋
            return slice(start, start + count * step, step), True
    raise NoMatrixForm(f"the index {part!r}")


def _picks(x, index):
    """(rows, columns, kept): the slice as ranges of x's rows and columns, and which axes stay."""
    parts = index if isinstance(index, tuple) else (index,)
    rows, cols = _shape(x)
    if not is_matrix(x) or len(parts) > (1 if is_vector(x) else 2):
        raise NoMatrixForm(f"the index {index!r} of a {rows}×{cols} operand")
    parts = parts + (slice(None),) * ((1 if is_vector(x) else 2) - len(parts))
    (r, keep_r), (c, keep_c) = _pick(parts[0], rows), (_pick(parts[1], cols) if len(parts) > 1 else (slice(0, 1), False))
    return r, c, (keep_r, keep_c)


def slice_value(x, index):
    """x[rows, columns]; a single row of a matrix is, as NumPy's (n,), a column: its transpose."""
    rows, cols, (keep_r, keep_c) = _picks(x, index)
    picked = pick(x, rows, cols)
    return picked.T if keep_c and not keep_r else picked


def slice_vjp(g, out, x, index):
    """Rᵀ g C with R, C the identity's picked rows: g put back at the picked entries, 0 elsewhere."""
    rows, cols, (keep_r, keep_c) = _picks(x, index)
    upstream = g.T if keep_c and not keep_r else g
    m, n = _shape(x)
    back = pick(sp.Identity(m), rows, slice(0, m)).T * upstream
    return (back if is_vector(x) else back * pick(sp.Identity(n), cols, slice(0, n)),)


# --- softmax and its relatives, the losses -------------------------------------------------------
def _along(x, axis) -> int:
    """The matrix axis a softmax runs along: down a column vector; else axis 0 or 1 of the matrix."""
    if not is_matrix(x) or axis is None:
        raise NoMatrixForm("a softmax of a scalar or of a whole matrix")
    return 0 if is_vector(x) else _axis(x, axis)


def _sums_along(m, along: int):
    """Each entry replaced by the sum of its column (1 1ᵀ m) or of its row (m 1 1ᵀ)."""
    rows, cols = m.shape
    return _ones(rows, rows) * m if along == 0 else m * _ones(cols, cols)


def _exp(m):
    t = sp.Dummy("t")
    return elementwise(sp.exp(t), {t: m}, m.shape)


def softmax_value(x, axis=-1):
    return Softmax(x, _along(x, axis))


def softmax_vjp(g, s, x, axis=-1):
    """s ⊙ (g − 1 (gᵀ s)) for a vector; for a matrix the same per row, (s ⊙ g) 1 1ᵀ summing each row
    (axis −1), or per column, 1 1ᵀ (s ⊙ g) (axis 0)."""
    return (sp.HadamardProduct(s, g - _sums_along(sp.HadamardProduct(s, g), _along(s, axis))),)


def log_softmax_value(x, axis=-1):
    """x − log Σ exp(x), the sum along the softmax's axis."""
    t = sp.Dummy("t")
    return x - elementwise(sp.log(t), {t: _sums_along(_exp(x), _along(x, axis))}, x.shape)


def log_softmax_vjp(g, out, x, axis=-1):
    """g − exp(out) ⊙ Σ g: the softmax, read from the output, times the sum of g along the axis."""
    return (g - sp.HadamardProduct(_exp(out), _sums_along(g, _along(x, axis))),)


def _targets(z, y):
    """(the target as a matrix of z's shape, whether y is class probabilities): y itself, or onehot(y)."""
    along = _along(z, -1)
    if is_matrix(y) and y.shape == z.shape and is_vector(y) == is_vector(z):
        return y, True
    return OneHot(y, z.shape[along]), False


def _samples(z, reduction) -> int:
    """What cross-entropy's "mean" divides by: the rows of a batch (one sample for a vector)."""
    return 1 if reduction == "sum" or is_vector(z) else z.shape[0]


def cross_entropy_value(z, y, reduction="mean"):
    target, _ = _targets(z, y)
    return -sum_value(sp.HadamardProduct(target, log_softmax_value(z))) / _samples(z, reduction)


def cross_entropy_vjp(g, out, z, y, reduction="mean"):
    """(g/n)(softmax(z) − onehot(y)); for class probabilities y, softmax(z) ⊙ Σ y − y and, for y
    itself, −(g/n) log softmax(z)."""
    target, probabilities = _targets(z, y)
    along, scale = _along(z, -1), g / sp.Integer(_samples(z, reduction))
    s = Softmax(z, along)
    dz = scale * ((sp.HadamardProduct(s, _sums_along(target, along)) if probabilities else s) - target)
    dy = -scale * log_softmax_value(z) if probabilities else sp.ZeroMatrix(*y.shape) if is_matrix(y) else sp.S.Zero
    return dz, dy


def _entrywise(scalar: sp.Expr, entries: dict):
    """A scalar formula in (p, y) computed entry by entry on operands of one shape."""
    forms = list(entries.values())
    if not any(is_matrix(f) for f in forms):
        return scalar.xreplace(entries)
    if not all(is_matrix(f) for f in forms) or len({f.shape for f in forms}) > 1:
        raise NoMatrixForm("a loss whose operands broadcast")
    return elementwise(scalar, entries, forms[0].shape)


def _terms(x, reduction) -> int:
    rows, cols = _shape(x)
    return rows * cols if reduction == "mean" else 1


_P, _Y = sp.Dummy("p"), sp.Dummy("y")


def bce_value(p, y, reduction="mean"):
    loss = _entrywise(-(_Y * sp.log(_P) + (1 - _Y) * sp.log(1 - _P)), {_P: p, _Y: y})
    return sum_value(loss) / _terms(p, reduction)


def bce_vjp(g, out, p, y, reduction="mean"):
    """(g/n)(p − y)/(p(1 − p)) and (g/n)(log(1 − p) − log p), entry by entry."""
    scale, entries = g / sp.Integer(_terms(p, reduction)), {_P: p, _Y: y}
    return (scale * _entrywise((_P - _Y) / (_P * (1 - _P)), entries),
            scale * _entrywise(sp.log(1 - _P) - sp.log(_P), entries))


class HalfSquaredNorm(sp.Expr):
    """½‖d‖², the sum of d's squared entries halved: the notes' loss, as they write it (not tr(dᵀd)/2)."""

    def _sympystr(self, printer) -> str:
        return f"½‖{printer._print(self.args[0])}‖²"

    def _latex(self, printer) -> str:
        return rf"\frac{{1}}{{2}} \left\| {printer._print(self.args[0])} \right\|^{{2}}"

    def _mathml_presentation(self, printer):
        dom, row = printer.dom, printer.dom.createElement("mrow")
        bar = lambda: printer._operator("‖")  # noqa: E731
        square = dom.createElement("msup")
        square.appendChild(bar())
        square.appendChild(printer._print(sp.Integer(2)))
        for part in (printer._print(sp.S.Half), bar(), printer._print(self.args[0]), square):
            row.appendChild(part)
        return row


def half_sse_value(a, y):
    d = sub_value(a, y)
    return d ** 2 / 2 if not is_matrix(d) else HalfSquaredNorm(d)


def half_sse_vjp(g, out, a, y):
    return sub_vjp(g * sub_value(a, y), out, a, y)
