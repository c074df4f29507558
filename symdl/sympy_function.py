"""The SymPy ``Function`` class of an op record, so SymPy treats symdl's activations like ``tanh``.

Everything in the class is read from the record (see :class:`symdl.ops.Op`): ``eval`` fills the
declared parameters' defaults and returns the record's exact values, ``fdiff`` is the record's
local derivative (written with the op's own output: σ' = σ(1 − σ)), evalf and ``rewrite`` go
through the record's elementary definition, and LaTeX and code printers (``sympy.latex``,
``sympy.lambdify``) print the record's name and definition. Nothing here knows any op by name.
"""

from __future__ import annotations

from typing import Any, Optional

import sympy as sp
from sympy.core.logic import fuzzy_and

MODULE = "symdl.functions"  # where the classes are found by name (and pickled from)


class RecordFunction(sp.Function):
    """A SymPy function defined by an op record (``record``)."""

    record: Any = None

    @classmethod
    def eval(cls, *args):
        if cls.record.indexed:
            _check_index(cls.record, args)
        full = cls.record.with_defaults(args)
        if len(full) != len(args):
            return cls(*full)
        if cls.record.exact is not None:
            return cls.record.exact(*args)
        return None

    def fdiff(self, argindex=1):
        return self.record.local(self, self.args, None)[argindex - 1]

    def _eval_is_real(self):
        return fuzzy_and(arg.is_real for arg in self.args)

    def _eval_is_positive(self):
        return self.args[0].is_real if self.record.sign == "positive" else None

    def _eval_is_nonnegative(self):
        return self.args[0].is_real if self.record.sign in ("positive", "nonnegative") else None

    def _eval_evalf(self, prec):
        """The definition evaluated with the arguments substituted by evalf itself, which raises the
        working precision where terms cancel (α(eˣ − 1) at x = −1e−60)."""
        if not all(arg.is_number for arg in self.args):
            return None
        placeholders = [sp.Dummy() for _ in self.args]
        definition = self.record.elementary(*placeholders)
        return definition.evalf(prec, subs=dict(zip(placeholders, self.args)))

    def _eval_rewrite(self, rule, args, **hints):
        """``rewrite(exp)`` or ``rewrite(h)`` for any head ``h`` the definition is written with."""
        definition = self.record.elementary(*args)
        heads = {type(node) for node in sp.preorder_traversal(definition)} | {sp.exp}
        return definition if rule in heads else None

    def _latex(self, printer, exp: Optional[str] = None) -> str:
        arguments, index = self._shown()
        body = rf"{self.record.tex_name}\left({', '.join(printer._print(a) for a in arguments)}\right)"
        body += "" if index is None else f"_{{{printer._print(index)}}}"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _shown(self) -> tuple[tuple, Optional[sp.Expr]]:
        """The arguments as written and the index an indexed op's application carries last."""
        return (self.args[:-1], self.args[-1]) if self.record.indexed else (self.args, None)

    def _pythoncode(self, printer, **settings) -> str:
        """Code printers (lambdify's NumPy, SciPy, math, mpmath): a call when the printer was given
        this function by name (symdl's kernels are), else the elementary definition."""
        if type(self).__name__ in getattr(printer, "known_functions", {}):
            return printer._print_Function(self)
        return printer._print(self.record.elementary(*self.args))

    _numpycode = _mpmathcode = _pythoncode


class IndexedFunction(RecordFunction):
    """A record function whose last argument is an index (softmax(x1, …, xn, i) = sᵢ)."""

    def _sympystr(self, printer) -> str:
        """``softmax(x1, x2, x3)[1]``, as expression text writes it (and symdl's parser reads back)."""
        arguments, index = self._shown()
        return f"{type(self).__name__}({', '.join(printer._print(a) for a in arguments)})[{printer._print(index)}]"

    def _mathml_presentation(self, printer):
        """softmax(x₁, x₂, x₃)₁ in presentation MathML: the index as a subscript, not an argument."""
        arguments, index = self._shown()
        subscript = printer.dom.createElement("msub")
        subscript.appendChild(printer._print(sp.Function(type(self).__name__)(*arguments)))
        subscript.appendChild(printer._print(index))
        return subscript


def _check_index(record, args: tuple) -> None:
    """An indexed op's index must be a position among its other arguments."""
    index, count = args[-1], len(args) - 1
    if index.is_number and not (index.is_Integer and 1 <= index <= count):
        raise ValueError(f"{record.name}'s {record.params[0].name} must be a position 1, …, {count} "
                         f"among its arguments, not {index}")


def function_class(record) -> type:
    """A new SymPy function class for ``record``, named as the op; an n-ary op takes any number."""
    arity = record.arity or 1
    counts = None if record.arity is None else tuple(range(arity, arity + len(record.params) + 1))
    base = IndexedFunction if record.indexed else RecordFunction
    return type(record.name, (base,), {"record": record, "nargs": counts, "__module__": MODULE,
                                                  "__doc__": record.rule})


class exprel_grad(sp.Function):
    """exprel′(x) = d/dx (eˣ − 1)/x = (eˣ(x − 1) + 1)/x², ½ at 0: the exprel gate's local gradient, a function
    of its own so that kernels call a form that does not cancel near 0 (``symdl.numeric.exprel_grad``)."""

    @classmethod
    def eval(cls, x):
        return sp.S.Half if x is sp.S.Zero else None

    @staticmethod
    def definition(x: sp.Expr) -> sp.Expr:
        return (sp.exp(x) * (x - 1) + 1) / x**2

    def fdiff(self, argindex=1):
        return sp.diff(self.definition(self.args[0]), self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_evalf(self, prec):
        """As the record functions do: evalf raises its precision where the definition's terms cancel."""
        if not self.args[0].is_number:
            return None
        x = sp.Dummy()
        return self.definition(x).evalf(prec, subs={x: self.args[0]})

    def _eval_rewrite(self, rule, args, **hints):
        return self.definition(*args) if rule is sp.exp else None
