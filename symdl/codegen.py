"""Python source for a straight-line program: one NumPy assignment per program line.

The source is a whole module that runs as it stands: it imports the modules its lines call
(``numpy``, ``scipy.special`` …) and binds symdl's own functions by name from a table the caller
names (``functions_from``), then defines one function. Every variable is named here, from one
namespace: inputs keep their names where they are safe identifiers, every other name is made
unique against them, so no input (``grad_f``, ``select``, ``lambda``) can shadow a line or a call.
A line is split by common-subexpression elimination only where it repeats a subtree.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
from typing import Callable, Iterable, Mapping, Sequence

import sympy as sp
from sympy.printing.numpy import SciPyPrinter

Line = tuple[sp.Symbol, sp.Expr]
_COUNTER = itertools.count(1)
_MODULE_ROOTS = {"numpy", "scipy", "functools", "math", "mpmath", "symdl"}


class _Printer(SciPyPrinter):
    """SciPy's NumPy printer with fully qualified calls and our own variable names."""

    def __init__(self, names: Mapping[sp.Symbol, str], functions: Iterable[str]):
        super().__init__({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": True, "order": "none",
                          "user_functions": {f: f for f in functions}})
        self.names = names

    def _print_Symbol(self, s: sp.Symbol) -> str:
        return self.names[s]

    _print_Dummy = _print_Symbol


class _Namespace:
    """Unique Python identifiers, none of them a keyword, builtin, module or function the code uses."""

    def __init__(self, reserved: Iterable[str]):
        self.taken = set(reserved) | set(dir(builtins)) | _MODULE_ROOTS

    def take(self, wanted: str) -> str:
        base = wanted if wanted.isidentifier() and not keyword.iskeyword(wanted) else "v"
        name = base
        for i in itertools.count(2):
            if name not in self.taken:
                break
            name = f"{base}_{i}"
        self.taken.add(name)
        return name


def python_function(name: str, args: Sequence[sp.Symbol], lines: Sequence[Line], results: Sequence[sp.Expr],
                    functions: Mapping[str, Callable], functions_from: str) -> tuple[str, Callable]:
    """The module source and its function ``name(*args)``, which runs ``lines`` in order and
    returns ``results`` as a tuple. ``functions`` maps the names of SymPy functions the lines
    may call to NumPy callables; the source reads them from the table ``functions_from``
    (a dotted ``module.NAME``)."""
    module, table = functions_from.rsplit(".", 1)
    namespace = _Namespace([*functions, name, table])
    names = {a: namespace.take(a.name) for a in args}
    body = []
    for target, rhs in lines:
        body += _split(target, rhs)
    for target, _ in body:
        names[target] = namespace.take(target.name)
    printer = _Printer(names, functions)
    code = [f"    {names[t]} = {printer.doprint(rhs)}" for t, rhs in body]
    code.append(f"    return ({', '.join(printer.doprint(r) for r in results)},)")
    used = sorted({type(f).__name__ for expr in itertools.chain((r for _, r in body), results)
                   for f in expr.atoms(sp.Function)} & set(functions))
    header = [f"import {m}" for m in sorted(printer.module_imports)]
    if used:
        header += [f"from {module} import {table}", *(f"{f} = {table}[{f!r}]" for f in used)]
    signature = f"def {name}({', '.join(names[a] for a in args)}):"
    source = "\n".join([*header, "", "", signature, *code] if header else [signature, *code]) + "\n"
    return source, _load(source, name)


def _split(target: sp.Symbol, rhs: sp.Expr) -> list[Line]:
    """The line itself, or, where it repeats a subtree, its common subexpressions first."""
    if not _repeats(rhs):
        return [(target, rhs)]
    shared, (reduced,) = sp.cse(rhs, symbols=(sp.Dummy(f"{target.name}_c") for _ in itertools.count()))
    return [*shared, (target, reduced)]


def _repeats(expr: sp.Expr) -> bool:
    """Whether a subtree other than a symbol, a number or a negation (−u costs what its copy would)
    occurs twice."""
    seen = set()
    for node in sp.preorder_traversal(expr):
        if not node.is_Atom and not (node.is_Mul and node.args[0] is sp.S.NegativeOne and len(node.args) == 2):
            if node in seen:
                return True
            seen.add(node)
    return False


def _load(source: str, name: str) -> Callable:
    """Run the generated module (our own source, no user text) and return its function; the
    source is registered with ``linecache`` so tracebacks and ``inspect`` can show it."""
    filename = f"<symdl kernel {next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 — generated from SymPy trees, not user text
    return namespace[name]
