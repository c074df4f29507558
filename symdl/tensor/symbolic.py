"""The symbolic side of a tensor network: SymPy matrix expressions for values and VJPs.

A node of shape ``()`` is a scalar ``Symbol``, ``(n,)`` an n×1 ``MatrixSymbol`` (the column
of y = W x), ``(m, n)`` an m×n one; higher ranks (images, kernels) are scalar-like symbols
that only opaque forms take. A tensor op record writes its value (``value_form``) and its
VJP (``vjp_form``) once on these; an element-wise scalar op gets both from its scalar
record: σ(z) applied entry by entry, and ∂L/∂z = ∂L/∂a ⊙ (its local derivative written
with ⊙). Ops without a matrix form get an opaque applied function, never a formula string.

Nothing here runs on ``Network.apply`` or ``backward``: the network builds these forms
when a printer or the worksheet first reads ``Network.graph``. :func:`evaluate` computes
any of them with NumPy, which is how tests hold the forms to the numeric VJPs.
"""

from __future__ import annotations

import functools
from typing import Mapping, Optional, Sequence

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.slice import MatrixSlice
from sympy.printing.precedence import PRECEDENCE

from symdl import ops
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.tensor import registry as tensor_ops

Form = sp.Basic


class Vector(sp.MatrixSymbol):
    """A 1-D array as an n×1 column. NumPy tells (n,) from (n, 1) when it broadcasts and when it
    reads an axis; so do the matrix forms, by this type."""


class ArrayName(sp.Symbol):
    """An array of rank 3 or more (images, kernels): a name only, which no matrix form takes."""


def tensor_symbol(name: str, shape: tuple[int, ...]) -> Form:
    """The node's symbol: a scalar, a column, a matrix, or (rank ≥ 3) an opaque name."""
    if len(shape) == 1:
        return Vector(name, shape[0], 1)
    if len(shape) == 2:
        return sp.MatrixSymbol(name, *shape)
    return ArrayName(name) if shape else sp.Symbol(name)


def is_matrix(form: Form) -> bool:
    return getattr(form, "is_Matrix", False)


def is_vector(form: Form) -> bool:
    return isinstance(form, Vector)


def opaque(op_name: str, operands: Sequence[Form]) -> Form:
    """``op(operands…)`` as an applied SymPy function, for an op with no matrix form."""
    return sp.Function(op_name)(*operands)


def opaque_vjps(op_name: str, upstream: Form, operands: Sequence[Form]) -> list[Form]:
    """Each input's VJP as an undefined function of (g, operands…), not expanded, printed as a textbook
    writes a transposed Jacobian applied to g: (∂reshape/∂image)ᵀ g, never reshape_vjp0(g, image)."""
    return [_transposed_jacobian(op_name, i)(upstream, *operands) for i in range(len(operands))]


@functools.lru_cache(maxsize=None)
def _transposed_jacobian(op_name: str, position: int) -> type:
    """The undefined function ``op_vjp<position>`` with printers for (∂op/∂operand)ᵀ g, the op by its
    diagram glyph where that is one word (∂BN/∂γ, as the box is titled; not ∂batch_norm1d/∂γ)."""
    record = tensor_ops.TENSOR_REGISTRY.get(op_name)  # dict.get: a scalar op applied to a rank-3 array has none
    shown = record.glyph if record is not None and " " not in record.glyph else op_name

    def text(self, printer) -> str:
        return f"(∂{shown}/∂{printer._print(self.args[1 + position])})ᵀ {printer._print(self.args[0])}"

    def latex(self, printer) -> str:
        name = shown.replace("_", r"\_")  # batch_norm1d, not batch with a subscript norm1d
        return (rf"\left(\frac{{\partial \operatorname{{{name}}}}}{{\partial {printer._print(self.args[1 + position])}}}"
                rf"\right)^{{\top}} {printer._print(self.args[0])}")

    def mathml(self, printer):
        dom = printer.dom
        def element(tag, *children, text=None):
            node = dom.createElement(tag)
            if text is not None:
                node.appendChild(dom.createTextNode(text))
            for child in children:
                node.appendChild(child)
            return node
        fraction = element("mfrac", element("mrow", element("mo", text="∂"), element("mi", text=shown)),
                           element("mrow", element("mo", text="∂"), printer._print(self.args[1 + position])))
        transposed = element("msup", element("mrow", element("mo", text="("), fraction, element("mo", text=")")),
                             element("mi", text="T"))
        return element("mrow", transposed, printer._print(self.args[0]))

    return sp.Function(f"{op_name}_vjp{position}",
                       __dict__={"_sympystr": text, "_latex": latex, "_mathml_presentation": mathml})


# --- element-wise scalar ops -------------------------------------------------------------
class Elementwise(ElementwiseApplyFunction):
    """A scalar function applied entry by entry, printed as f(z) by every SymPy printer
    (SymPy's own ElementwiseApplyFunction prints (d ↦ f(d))∘(z), and fails in MathML)."""

    def as_scalar(self) -> sp.Expr:
        """f(z) with z a scalar stand-in for the matrix, for printing."""
        (variable,) = self.function.variables
        operand = sp.Symbol(self.expr.name) if isinstance(self.expr, sp.MatrixSymbol) else Operand(self.expr)
        return self.function.expr.xreplace({variable: operand})

    def _sympystr(self, printer) -> str:
        return printer._print(self.as_scalar())

    def _latex(self, printer) -> str:
        return printer._print(self.as_scalar())

    def _mathml_presentation(self, printer):
        return printer._print(self.as_scalar())


class Operand(sp.Expr):
    """The matrix expression an element-wise function is applied to, standing in the scalar formula
    and printed by whichever printer prints the formula: log(exp(Z) 𝟙), not log(exp(Z)*1)."""

    def _sympystr(self, printer) -> str:
        return printer._print(self.args[0])

    def _latex(self, printer) -> str:
        return printer._print(self.args[0])

    def _mathml_presentation(self, printer):
        return printer._print(self.args[0])


class Diagonal(sp.DiagMatrix):
    """diag(d): the Jacobian of an element-wise op on a vector, printed as textbooks write it."""

    def _sympystr(self, printer) -> str:
        return f"diag({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return rf"\operatorname{{diag}}\left({printer._print(self.args[0])}\right)"

    def _mathml_presentation(self, printer):
        return printer._print(sp.Function("diag")(self.args[0]))


def _map(scalar: sp.Expr, variable: sp.Symbol, argument: Form) -> Form:
    """``scalar`` (a function of ``variable``) applied to every entry of ``argument``."""
    if not is_matrix(argument):
        return scalar.xreplace({variable: argument})
    return Elementwise(sp.Lambda(variable, scalar), argument)


def elementwise(scalar: sp.Expr, entries: Mapping[sp.Symbol, Form], shape: tuple[int, int]) -> Form:
    """A scalar expression of the symbols in ``entries`` as the matrix expression that computes it
    entry by entry: products become ⊙, constants c become c·1, other functions are mapped."""
    if scalar in entries:
        return entries[scalar]
    if not scalar.free_symbols & set(entries):
        return scalar * sp.OneMatrix(*shape)
    if scalar.is_Add:
        return sp.MatAdd(*(elementwise(a, entries, shape) for a in scalar.args))
    if scalar.is_Mul:
        coefficient, factors = scalar.as_coeff_mul()
        product = [elementwise(f, entries, shape) for f in factors]
        return coefficient * (product[0] if len(product) == 1 else sp.HadamardProduct(*product))
    if scalar.is_Pow and scalar.exp.is_Integer and scalar.exp > 0:
        return sp.HadamardProduct(*[elementwise(scalar.base, entries, shape)] * int(scalar.exp))
    (variable, argument), *others = [(s, a) for s, a in entries.items() if s in scalar.free_symbols]
    if others:
        raise SymdlError(f"no element-wise matrix form for {scalar}")
    return _map(scalar, variable, argument)


def elementwise_value(op_name: str, const, operand: Form) -> Form:
    """The op applied entry by entry: σ(z), tanh(c), …"""
    x = sp.Dummy("x", real=True)
    return _map(ops.get(op_name).forward((x,), _exact(const)), x, operand)


def elementwise_vjp(op_name: str, const, upstream: Form, out: Form, operand: Form) -> Form:
    """∂L/∂x = ∂L/∂out ⊙ f′, f′ the scalar record's canonical local derivative in (out, x)."""
    local = elementwise_local(op_name, const, out, operand)
    if not is_matrix(operand):
        return upstream * local
    return sp.HadamardProduct(upstream, *(local.args if isinstance(local, sp.HadamardProduct) else (local,)))


def elementwise_local(op_name: str, const, out: Form, operand: Form) -> Form:
    """f′ entry by entry, written with the output where the record's canonical form uses it."""
    o, x = sp.Dummy("out", real=True), sp.Dummy("x", real=True)
    (local,) = ops.get(op_name).local(o, (x,), _exact(const))
    if not is_matrix(operand):
        return local.xreplace({o: out, x: operand})
    return elementwise(local, {o: out, x: operand}, operand.shape)


def _exact(const):
    return None if const is None else sp.nsimplify(const)


# --- named matrix functions: what textbooks write as one symbol -----------------------------------
class _Named(sp.MatrixExpr):
    """A matrix function printed by its name, f(z), with NumPy evaluation in :func:`evaluate`."""

    label = ""

    @property
    def shape(self) -> tuple:
        return self.args[0].shape

    def _sympystr(self, printer) -> str:
        return f"{self.label}({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return rf"\operatorname{{{self.label}}}\left({printer._print(self.args[0])}\right)"

    def _mathml_presentation(self, printer):
        return printer._print(sp.Function(self.label)(self.args[0]))


class Softmax(_Named):
    """softmax(z) along matrix axis ``along`` (0 down each column, 1 along each row), as in
    ∂L/∂z = softmax(z) − y."""

    label = "softmax"

    def __new__(cls, z: Form, along: int):
        return super().__new__(cls, z, sp.Integer(along))


class OneHot(_Named):
    """The class indices y (a column of N) as N one-hot rows of ``classes`` entries, or one index
    as a one-hot column: the target that cross-entropy reads."""

    label = "onehot"

    def __new__(cls, y: Form, classes: int):
        return super().__new__(cls, y, sp.Integer(classes))

    @property
    def shape(self) -> tuple:
        y, classes = self.args
        return (y.rows, classes) if is_matrix(y) else (classes, 1)


class Picked(MatrixSlice):
    """x[rows, columns], its ranges one-based as prose and textbooks count: Q's columns 1–2 are
    Q[:, 1–2] (Q_{:,1–2} in LaTeX), never Python's zero-based, end-exclusive Q[:, :2]."""

    def ranges(self) -> tuple[str, str]:
        return tuple(_range_text(r, n) for r, n in zip((self.rowslice, self.colslice), self.parent.shape))

    def _sympystr(self, printer) -> str:
        return f"{printer.parenthesize(self.parent, PRECEDENCE['Atom'], strict=True)}[{', '.join(self.ranges())}]"

    def _latex(self, printer) -> str:
        parent = printer.parenthesize(self.parent, PRECEDENCE["Atom"], strict=True)
        ranges = r",\,".join(self.ranges()).replace("–", r"\text{--}")
        return f"{{{parent}}}_{{{ranges}}}"

    def _mathml_presentation(self, printer):
        node = printer.dom.createElement("msub")
        ranges = printer.dom.createElement("mtext")
        ranges.appendChild(printer.dom.createTextNode(",\u2009".join(self.ranges())))
        node.appendChild(printer._print(self.parent))
        node.appendChild(ranges)
        return node


def _range_text(picked, size) -> str:
    """One-based and inclusive: 1–2 for Python's 0:2, 3 for 2:3, ':' for the whole range, 1–5 by 2."""
    start, stop, step = picked
    if (start, stop, step) == (0, size, 1):
        return ":"
    last = start + (len(range(start, stop, step)) - 1) * step
    text = str(start + 1) if last == start else f"{start + 1}–{last + 1}"
    return text if step == 1 or last == start else f"{text} by {step}"


def pick(x: Form, rows: slice, cols: slice) -> Form:
    """x[rows, cols] as a :class:`Picked` (x itself where both ranges are whole)."""
    picked = MatrixSlice(x, rows, cols)
    if picked.shape == x.shape:  # with positive steps, only the whole range has the whole size
        return x
    return Picked(*picked.args) if isinstance(picked, MatrixSlice) else picked


class Blocks(sp.BlockMatrix):
    """A block matrix, printed [a; b] (stacked) or [A, B] (side by side) as a concatenation reads."""

    def _sympystr(self, printer) -> str:
        rows = self.blocks.tolist()
        return "[" + "; ".join(", ".join(printer._print(b) for b in row) for row in rows) + "]"


# --- Jacobians -------------------------------------------------------------------------------
class LinearMap(sp.Basic):
    """v ↦ body: a Jacobian that is no matrix (∂(W x)/∂W has three indices), shown as the linear
    map it applies to an upstream gradient v. (SymPy's Lambda rewrites matrix variables.)"""

    @property
    def variable(self) -> Form:
        return self.args[0]

    @property
    def body(self) -> Form:
        return self.args[1]

    def _sympystr(self, printer) -> str:
        return f"{printer._print(self.variable)} ↦ {printer._print(self.body)}"

    def _latex(self, printer) -> str:
        return rf"{printer._print(self.variable)} \mapsto {printer._print(self.body)}"

    def _mathml_presentation(self, printer):
        row, arrow = printer.dom.createElement("mrow"), printer.dom.createElement("mo")
        arrow.appendChild(printer.dom.createTextNode("↦"))
        for part in (printer._print(self.variable), arrow, printer._print(self.body)):
            row.appendChild(part)
        return row



def jacobian_form(vjp_of, out: Form, operand: Form, value: Optional[Form] = None) -> Optional[Form]:
    """∂out/∂operand as a matrix, from the VJP map v ↦ vjp_of(v) = Jᵀ v: for a scalar output the
    map at v = 1 (the gradient, in the operand's shape, transposed to a row for a column); for column output and operand SymPy's
    derivative of Jᵀ v by v, which is J; for a column by a scalar the column ∂value/∂operand, where
    ``value`` (the output's form) is plain matrix algebra. ``None`` where the Jacobian is no matrix."""
    if not is_matrix(out):  # the gradient; by a column, the Jacobian is its transpose, a row (∂μ/∂z = 𝟙ᵀ/4)
        gradient = vjp_of(sp.Integer(1))
        column = is_matrix(operand) and operand.shape[1] == 1 and operand.shape[0] > 1
        return gradient.T if column and getattr(gradient, "shape", None) == operand.shape else gradient
    if out.shape[1] == 1 and not is_matrix(operand) and value is not None and _algebraic(value):
        column = value.diff(operand).doit()
        return column if getattr(column, "shape", None) == out.shape else None
    if out.shape[1] == 1 and is_matrix(operand) and operand.shape[1] == 1:
        v = sp.MatrixSymbol("v", out.shape[0], 1)
        try:
            jacobian = vjp_of(v).diff(v)
        except Exception:  # noqa: BLE001  SymPy's array-to-matrix conversion fails in many ways; then no matrix
            return None
        if not isinstance(jacobian, sp.MatrixExpr) or jacobian.shape != (out.shape[0], operand.shape[0]):
            return None
        return jacobian.replace(lambda e: type(e) is sp.DiagMatrix, lambda e: Diagonal(*e.args))
    return None


#: what SymPy differentiates by a scalar faithfully: sums, products, ⊙ and transposes of names, numbers and ones
_LEAVES = (sp.MatrixSymbol, sp.Symbol, sp.Number, sp.OneMatrix, sp.Identity, sp.ZeroMatrix)
_ALGEBRA = (sp.MatAdd, sp.MatMul, sp.HadamardProduct, sp.HadamardPower, sp.Add, sp.Mul, sp.Transpose)


def _algebraic(form: Form) -> bool:
    return isinstance(form, _LEAVES) or (isinstance(form, _ALGEBRA) and all(_algebraic(a) for a in form.args))


# --- NumPy evaluation --------------------------------------------------------------------------
def evaluate(form: Form, env: Mapping[str, np.ndarray]) -> np.ndarray:
    """The form's number, each symbol read from ``env`` by name (columns reshaped to n×1)."""
    return np.asarray(_Evaluator(env).value(form), dtype=float)


class _Evaluator:
    def __init__(self, env: Mapping[str, np.ndarray]):
        self.env = env

    def value(self, e: Form):
        if isinstance(e, sp.MatrixSymbol):
            return np.reshape(np.asarray(self.env[e.name], dtype=float), e.shape)
        if isinstance(e, sp.Symbol):
            return np.asarray(self.env[e.name], dtype=float)
        if e.is_Number:
            return float(e)
        handler = _HANDLERS.get(type(e).__name__)
        if handler is None:
            raise SymdlError(f"no NumPy evaluation for {type(e).__name__} in {e}")
        return handler(self, e)


def _product(ev: _Evaluator, e) -> np.ndarray:
    result = 1.0
    for arg in e.args:
        factor = ev.value(arg)
        result = result @ factor if is_matrix(arg) and np.ndim(result) == 2 else result * factor
    return result


@functools.lru_cache(maxsize=None)
def _numpy_function(function: sp.Lambda):
    return sp.lambdify(function.variables, function.expr, modules=LAMBDIFY_MODULES)


_HANDLERS = {
    "MatMul": _product,
    "Mul": _product,
    "MatAdd": lambda ev, e: sum(ev.value(a) for a in e.args),
    "Add": lambda ev, e: sum(ev.value(a) for a in e.args),
    "HadamardProduct": lambda ev, e: functools.reduce(np.multiply, [ev.value(a) for a in e.args]),
    "HadamardPower": lambda ev, e: ev.value(e.base) ** ev.value(e.exp),
    "Pow": lambda ev, e: ev.value(e.base) ** ev.value(e.exp),
    "Transpose": lambda ev, e: np.transpose(ev.value(e.arg)),
    "OneMatrix": lambda ev, e: np.ones(e.shape),
    "Identity": lambda ev, e: np.eye(e.shape[0]),
    "ZeroMatrix": lambda ev, e: np.zeros(e.shape),
    "Diagonal": lambda ev, e: np.diag(np.ravel(ev.value(e.args[0]))),
    "Trace": lambda ev, e: np.trace(ev.value(e.arg)),
    "Elementwise": lambda ev, e: _numpy_function(e.function)(ev.value(e.expr)),
    "MatrixSlice": lambda ev, e: ev.value(e.parent)[slice(*e.rowslice), slice(*e.colslice)],
    "Picked": lambda ev, e: ev.value(e.parent)[slice(*e.rowslice), slice(*e.colslice)],
    "Blocks": lambda ev, e: np.block([[ev.value(b) for b in row] for row in e.blocks.tolist()]),
    "Softmax": lambda ev, e: _softmax(ev.value(e.args[0]), int(e.args[1])),
    "MaskMatrix": lambda ev, e: np.array(e.tolist(), dtype=float),
    "Normalised": lambda ev, e: e.compute(ev.value(e.args[0])),
    "HalfSquaredNorm": lambda ev, e: np.sum(np.square(ev.value(e.args[0]))) / 2,
    "Written": lambda ev, e: e.compute(*(ev.value(a) for a in e.operands)),
    "OneHot": lambda ev, e: np.eye(int(e.args[1]))[np.ravel(ev.value(e.args[0])).astype(int)].reshape(e.shape),
}


def _softmax(z: np.ndarray, along: int) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=along, keepdims=True))
    return e / np.sum(e, axis=along, keepdims=True)
