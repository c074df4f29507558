"""Forward and backward passes over a graph, numeric and symbolic.

Numbers are computed from the exact inputs at a working precision raised until
two precisions agree to 15 significant digits (:mod:`symdl.evaluation`), so
sigmoid(−1000), (exp(x)−1)/x at 1e−40 or sin(1e300) are right to the digits
shown rather than 0/NaN, then reported as Python floats. The symbolic backward pass writes each global
gradient through node symbols (``grad_q = grad_f·z``), so its size grows
linearly with the graph — the straight-line program a kernel is compiled from.
Adjoints are :class:`AdjointSymbol` symbols: printed ``grad_q``, never equal to an input of that name.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable, Mapping, Optional, Sequence, Union

import networkx as nx
import numpy as np
import sympy as sp

from symdl import display
from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.evaluation import evaluate, label
from symdl.numbers import format_value
from symdl.parsing import parse_point

Point = Union[str, Mapping[Union[str, sp.Symbol], Union[int, float, str, sp.Expr, np.number]]]


class AdjointSymbol(sp.Symbol):
    """d(output)/d(node), printed ``grad_node``. A class of its own, so an input a user named
    ``grad_f`` stays a different variable from the adjoint of node ``f`` (SymPy compares types)."""


def adjoint_symbol(node: str) -> AdjointSymbol:
    """The symbol for d(output)/d(node), printed ``grad_node``."""
    return AdjointSymbol(f"grad_{node}", real=True)


def adjoints(graph: nx.DiGraph, output: Optional[str] = None) -> dict[str, sp.Expr]:
    """Each node's global gradient as Σ over its consumers of (consumer's adjoint × local),
    in reverse topological order; nodes the output does not depend on are left out."""
    output = output or graph.graph["output"]
    relevant = nx.ancestors(graph, output) | {output}
    result: dict[str, sp.Expr] = {output: sp.S.One}
    for node in reversed([n for n in graphs.topological_order(graph) if n in relevant]):
        if node == output:
            continue
        result[node] = sp.Add(*(adjoint_symbol(child) * graph.edges[node, child]["local"]
                                for child in graph.successors(node) if child in relevant))
    return result


def program(graph: nx.DiGraph, output: Optional[str] = None) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The straight-line program: every op node's assignment, then every adjoint's."""
    forward = [(graph.nodes[n]["symbol"], graph.nodes[n]["expr"]) for n in graphs.op_nodes(graph)]
    backward = [(adjoint_symbol(n), g) for n, g in adjoints(graph, output).items()]
    return forward + backward


def gradient_program(graph: nx.DiGraph, wrt: list[str], output: Optional[str] = None, *,
                     value: bool = False) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """The straight-line program of the gradients w.r.t. ``wrt`` alone (and of the output's value,
    with ``value``), and each gradient (its adjoint symbol, or 0 where ``wrt`` has no path to the
    output). Assignments none of them needs are dropped; nothing is substituted, so its size and
    cost are linear in the graph."""
    output = output or graph.graph["output"]
    steps = program(graph, output)
    defined = {target for target, _ in steps}
    gradients = [adjoint_symbol(name) if adjoint_symbol(name) in defined else sp.S.Zero for name in wrt]
    needed = {g for g in gradients if g in defined} | ({graph.nodes[output]["symbol"]} if value else set())
    kept = []
    for target, rhs in reversed(steps):
        if target in needed:
            kept.append((target, rhs))
            needed |= rhs.free_symbols
    return kept[::-1], gradients


def gradient_expressions(graph: nx.DiGraph, wrt: list[str], output: Optional[str] = None) -> list[sp.Expr]:
    """Closed-form gradients over the leaves, by substituting the gradient program in order.
    For reading small graphs: SymPy re-sorts every product it rebuilds, so on deep graphs this
    costs more than linear time; compile from :func:`gradient_program` instead."""
    steps, gradients = gradient_program(graph, wrt, output)
    env: dict[sp.Symbol, sp.Expr] = {}
    for target, rhs in steps:
        env[target] = rhs.xreplace(env)
    return [g.xreplace(env) for g in gradients]


@dataclasses.dataclass
class Backprop(display.Displayed):
    """One backward pass at a point. ``graph`` is an annotated copy: node ``value`` and
    ``grad``, edge ``local_value`` and ``contribution`` (global × local); the source graph is never modified."""

    graph: nx.DiGraph
    output: str
    point: dict[str, sp.Rational]

    @property
    def value(self) -> float:
        return float(self.graph.nodes[self.output]["value"])

    @property
    def gradients(self) -> dict[str, float]:
        """d(output)/d(input) for every input leaf, in name order (0 where it has no path)."""
        return {n: float(self.graph.nodes[n].get("grad", 0)) for n in graphs.inputs(self.graph)}

    def to_dict(self) -> dict:
        """The ``symdl backprop --json`` object (a contract: see the README's "JSON output"); JSON numbers
        are float64, so a node's number beyond that range is refused here (the table shows it)."""
        nodes = []
        for node in graphs.op_nodes(self.graph):
            data = self.graph.nodes[node]
            number = functools.partial(_as_float, what=lambda: f"in the JSON report, {node} = {data['expr']}")
            nodes.append({
                "id": node,
                "op": data["op"],
                "inputs": list(data["inputs"]),
                "expr": str(data["expr"]),
                "value": number(data["value"]),
                "local": {u: number(self.graph.edges[u, node]["local_value"]) for u in dict.fromkeys(data["inputs"])},
                "grad": number(data.get("grad", 0)),
            })
        return {
            "expression": str(self.graph.graph["expression"]),
            "value": self.value,
            "gradients": self.gradients,
            "nodes": nodes,
        }

    def table(self) -> str:
        """The node table as text: node, op, value, local gradients, global gradient."""
        return display.show("text", self)

    def __repr__(self) -> str:
        gradients = ", ".join(f"{n}: {format_value(v)}" for n, v in self.gradients.items())
        return f"Backprop(value={format_value(self.value)}, gradients={{{gradients}}})"


def backprop(source: graphs.Source, at: Point, output: Optional[str] = None,
             granularity: str = "gates") -> Backprop:
    """Forward values, local gradients on every edge and global gradients on every node."""
    graph = graphs.build(source, granularity).copy()
    output = output or graph.graph["output"]
    if output not in graph:
        raise SymdlError(f"no node named {output!r} to differentiate")
    point = point_values(graphs.inputs(graph), at)
    numbers = evaluate(graph, output, point).quantities
    for key, quantity in numbers.items():
        if key[0] == "local":
            graph.edges[key[1], key[2]]["local_value"] = quantity.value
        else:
            graph.nodes[key[1]][key[0]] = quantity.value
    for u, v, data in graph.edges(data=True):
        if ("grad", u) in numbers and ("grad", v) in numbers:  # what v hands back to u: global × local
            data["contribution"] = data["local_value"] * numbers["grad", v].value
    for key in [("value", output), *(("grad", n) for n in graphs.inputs(graph))]:  # what .value, .gradients report
        if key in numbers:
            _as_float(numbers[key].value, lambda: label(graph, output, key))
    return Backprop(graph, output, point)


def _as_float(number: sp.Number, what: Callable[[], str]) -> float:
    """A reported number as a float64; one beyond its range (about 1.8e308) is refused, never inf."""
    reported = float(number)
    if not math.isfinite(reported):
        raise SymdlError(f"{what()} is {sp.Float(number, 6)}, beyond the range of a 64-bit float, "
                         "in which backprop reports its numbers")
    return reported


def point_values(needed: Sequence[str], at: Point) -> dict[str, sp.Rational]:
    """The exact value of every name in ``needed`` from ``--at`` text or a mapping: none missing,
    none unknown, each a finite real number (a float is taken at its exact binary value)."""
    values = parse_point(at) if isinstance(at, str) else {_key(k): v for k, v in at.items()}
    unknown = sorted(set(values) - set(needed))
    missing = [n for n in needed if n not in values]
    if unknown:
        raise SymdlError(f"--at names {', '.join(unknown)}, which the expression does not use")
    if missing:
        raise SymdlError(f"no value given for {', '.join(missing)}")
    return {n: _number(n, values[n]) for n in needed}


def _key(key) -> str:
    """A point's key: a name, or a SymPy Symbol standing for it."""
    return key.name if isinstance(key, sp.Symbol) else key


def _number(name: str, value) -> sp.Rational:
    if isinstance(value, str):
        value = parse_point(f"{name}={value}")[name]
    if isinstance(value, (np.integer, np.floating)):  # a NumPy scalar
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, sp.Number)):
        raise SymdlError(f"the value of {name} must be a number, not {value!r}")
    if not sp.Number(value).is_finite:
        raise SymdlError(f"the value of {name} must be finite, not {value}")
    return sp.Rational(value)
