"""The op registry: one record per primitive gate, and nothing else.

A record holds everything any part of symdl needs about an op: how SymPy
builds it (``forward``), its local derivatives in canonical form written in
terms of its inputs and its own output (``local``; the HIPS-autograd ``ans``
idea: tanh' = 1 − out², σ' = out(1 − out), exp' = out), its declared parameters
with their defaults and domains (leaky_relu's slope), its diagram glyph and
LaTeX, a NumPy implementation for kernels, the PyTorch function a user would
call, its other spellings, and the sentence a teacher says. An activation that
SymPy lacks also gives its ``elementary`` definition, and its SymPy ``Function``
class (``head``: eval, fdiff, evalf, rewrite, LaTeX, code printing) is made from
the record (:mod:`symdl.sympy_function`). Adding an op means adding one
``register(...)`` call to an op table (:mod:`symdl.ops_arithmetic`,
:mod:`symdl.ops_activations`, :mod:`symdl.ops_softmax`; the record type is in
:mod:`symdl.op_record`); the graph, the derivations, the kernels, gradcheck, the
parsers and the printers only ever look ops up, here.

Some gates carry a constant folded into them, as lecture circuits draw them
(``×(−1)``, ``+1``, ``×2``, ``(·)²``), or a numeric parameter (leaky_relu's slope):
``const`` is that number, else ``None``. A parameter given as an expression
instead (a learnable slope, PReLU) is one more input of the gate.
"""

from __future__ import annotations

from typing import Callable, Optional

# the op tables register their records on import, in this order (the registry's reading order)
from symdl import ops_arithmetic  # noqa: F401,I001
from symdl import ops_activations  # noqa: F401
from symdl import ops_softmax  # noqa: F401
from symdl.op_record import REGISTRY, Op, Param, function, order_of_arguments, register, sign_of_argument

__all__ = ["REGISTRY", "Op", "Param", "by_head", "defined_functions", "function", "gate", "get", "numpy_functions",
           "order_of_arguments", "register", "sign_of_argument"]

get = REGISTRY.__getitem__


def gate(node: dict):
    """The record that labels and typesets a graph node's gate: a tensor op for the
    tensor nodes of a network (``node["tensor"]``), else a scalar op."""
    if node.get("tensor"):
        from symdl.tensor.registry import get as tensor_op  # tensor ops are registered by symdl.tensor
        return tensor_op(node["op"])
    return get(node["op"])


def glyph(node: dict) -> str:
    """A node's gate glyph with its constant filled in (+1, ×2, (·)², ×0.707): the one call every
    printer makes, a tensor gate's constant being its ``c`` parameter."""
    const = node.get("params", {}).get("c") if node.get("tensor") else node.get("const")
    return gate(node).label(const)


def by_head(head: type) -> Optional[Op]:
    """The function op recognised by a SymPy class (``sp.tanh`` -> tanh), if any."""
    for op in REGISTRY.values():
        if op.head is head:
            return op
    return None


def defined_functions() -> dict[str, Op]:
    """The function ops whose SymPy class is made from their record, by class name."""
    return {op.head.__name__: op for op in REGISTRY.values() if op.elementary is not None}


def numpy_functions() -> dict[str, Callable]:
    """The kernels' table for lambdify: each record-made SymPy function, and each function op with a
    parameter, by class name, as the NumPy function its kernel code calls positionally
    (``leaky_relu(x, slope)``). Named here, Heaviside prints as one call: max/min route their gradient
    through Heaviside(x − max(rest), 1/2), which SymPy's printer would otherwise rewrite as a Piecewise
    and *simplify* each condition (PSLQ on random points: 7 s for max of 6 inputs, minutes for 10)."""
    def call(op: Op) -> Callable:
        def run(*args):
            arity = op.arity or len(args) - (1 if op.indexed else 0)  # an indexed op's component comes last
            return op.numpy(*args[:arity], const=args[arity] if len(args) > arity else None)
        return run
    return {op.head.__name__: call(op) for op in REGISTRY.values()
            if op.elementary is not None or (op.function and op.params)}
