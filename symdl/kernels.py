"""Value-and-gradient kernels: one compiled NumPy function per expression.

The gradients come from the graph's straight-line program (reverse mode), the
whole list goes through SymPy's CSE inside ``lambdify``, and the stable rules
(``log σ(u) → −softplus(−u)``, exponential forms → σ, tanh, softplus) run
first, so a kernel is finite where the maths is: sigmoid(−1000) is 0, not NaN.
"""

from __future__ import annotations

import builtins
import dataclasses
import inspect
import keyword
from typing import Callable, Optional, Sequence

import numpy as np
import sympy as sp
from scipy import special

from symdl import graph as graphs
from symdl import numeric, ops
from symdl.backprop import gradient_expressions
from symdl.errors import SymdlError
from symdl.parsing import parse_names
from symdl.rewrite import STABLE, apply_rules

#: NumPy implementations of symdl's own SymPy functions, taken from the op registry.
NUMPY_FUNCTIONS = {op.head.__name__: op.numpy for op in ops.REGISTRY.values()
                   if op.head is not None and op.head.__module__ == "symdl.functions"}
NUMPY_FUNCTIONS["leaky_relu"] = numeric.leaky_relu  # the registry's form takes the slope as ``const``
# Max/min route their gradient through Heaviside(x - Max(rest), 1/2). Without a NumPy function for it,
# SymPy's printer rewrites Heaviside as a Piecewise and *simplifies* each condition (PSLQ on random
# points): 7 seconds for max of 6 inputs, minutes for 10. Named here, it prints as one call.
NUMPY_FUNCTIONS["Heaviside"] = numeric.heaviside
NUMPY_FUNCTIONS["normal_cdf"] = special.ndtr  # in GELU's derivative; accurate far left, where 1 + erf is 0
NUMPY_FUNCTIONS["sech"] = numeric.sech  # from the stable rules for tanh' and σ'; NumPy's 1/cosh overflows
#: What generated code may call: symdl's functions, SciPy's special functions (erf, erfc), NumPy.
LAMBDIFY_MODULES = [NUMPY_FUNCTIONS, "scipy", "numpy"]
_RESERVED = set(dir(np)) | set(dir(builtins)) | set(NUMPY_FUNCTIONS) | {"numpy", "math", "mpmath", "scipy"}


@dataclasses.dataclass
class Kernel:
    """``kernel(x=..., y=...)`` returns ``(value, {name: gradient})`` for whole arrays."""

    expression: sp.Expr
    args: list[str]
    wrt: list[str]
    function: Callable
    outputs: list[sp.Expr]

    @property
    def source(self) -> str:
        """The generated Python source, for reading and for ``symdl kernel``."""
        return inspect.getsource(self.function)

    def __call__(self, *positional, **named):
        values = self._arguments(positional, named)
        shape = np.broadcast_shapes(*(np.shape(v) for v in values)) if values else ()
        with np.errstate(under="ignore"):  # underflow rounds correctly (2**-1e6 is 0): not an error to report
            results = self.function(*values)
        value, *grads = (np.broadcast_to(np.asarray(r, dtype=float), shape) for r in results)
        return value, dict(zip(self.wrt, grads))

    def _arguments(self, positional, named) -> list:
        if positional and named:
            raise SymdlError("pass the inputs either by position or by name, not both")
        if positional:
            if len(positional) != len(self.args):
                raise SymdlError(f"expected {len(self.args)} inputs ({', '.join(self.args)}), got {len(positional)}")
            return [np.asarray(v, dtype=float) for v in positional]
        missing = [a for a in self.args if a not in named]
        unknown = sorted(set(named) - set(self.args))
        if missing or unknown:
            raise SymdlError(f"kernel inputs are {', '.join(self.args)}; "
                             f"missing {missing or 'none'}, unknown {unknown or 'none'}")
        return [np.asarray(named[a], dtype=float) for a in self.args]

    def __repr__(self) -> str:
        return f"Kernel({self.expression}, args={self.args}, wrt={self.wrt})"


def kernel(source: graphs.Source, wrt: Optional[Sequence[str] | str] = None) -> Kernel:
    """Compile value and gradients w.r.t. ``wrt`` (default: every input) into one NumPy function."""
    graph = graphs.build(source, "fused")
    args = graphs.inputs(graph)
    wrt = parse_names(wrt) if isinstance(wrt, str) else list(wrt if wrt is not None else args)
    unknown = [w for w in wrt if w not in args]
    if unknown:
        raise SymdlError(f"cannot differentiate with respect to {', '.join(unknown)}: "
                         f"the expression's inputs are {', '.join(args) or 'none'}")
    outputs = [graph.graph["expression"], *gradient_expressions(graph, wrt)]
    outputs = [apply_rules(e, STABLE)[0] for e in outputs]
    renamed = {graph.nodes[a]["symbol"]: _safe(graph.nodes[a]["symbol"]) for a in args}
    function = sp.lambdify(list(renamed.values()), [e.xreplace(renamed) for e in outputs],
                           modules=LAMBDIFY_MODULES, cse=True, docstring_limit=0)
    return Kernel(graph.graph["expression"], args, wrt, function, outputs)


def _safe(s: sp.Symbol) -> sp.Symbol:
    """A name that cannot shadow anything the generated code calls (``exp``, ``select``, …)."""
    name = s.name
    unsafe = name in _RESERVED or keyword.iskeyword(name) or not name.isidentifier() or name.startswith("_")
    return sp.Dummy(f"arg_{len(name)}") if unsafe else s
