"""The solver for scalar computational graphs: :func:`symdl.backprop`'s graph turned into quantities.

Each value, local gradient and global gradient gets its ``recompute`` from the op's SymPy gate
and local derivative, and its slips from the op registry. :func:`add_gradients` (∂out/∂node for
every node, one quantity per key) serves the tensor-network solver too.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import networkx as nx
import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import backprop
from symdl.numbers import format_value
from symdl.errors import SymdlError
from symdl.printing.text import ExpressionText
from symdl.printing.values import label
from symdl.worksheet.problem import Problem
from symdl.worksheet.solution import Env, Quantity, Solution


def solve_graph(problem: Problem) -> Solution:
    spec = problem.spec
    result = backprop(spec.get("steps") or spec["expression"], dict(spec["at"]),
                      output=spec.get("output") or None, granularity=spec["granularity"])
    g, out = result.graph, result.output
    order = graphs.topological_order(g)
    quantities: dict[str, Quantity] = {}
    for node in order:
        quantities[node] = _graph_value(g, node)
    for node in order:
        for u in dict.fromkeys(g.nodes[node].get("inputs", ())):
            q = _graph_local(g, u, node)
            quantities[q.key] = q
    add_gradients(g, order, out, quantities, lambda node, consumers: _graph_gradient(g, node, out, consumers,
                                                                                         quantities))
    return Solution(problem, quantities, result)


def number(value) -> np.ndarray:
    return np.asarray(float(value))


def _evaluate(expr: sp.Expr, env: Env, names: Mapping[sp.Symbol, str]) -> np.ndarray:
    evaluated = sp.N(expr.xreplace({s: sp.Float(float(env[n]), 30) for s, n in names.items()}), 30)
    if not evaluated.is_real:
        raise SymdlError(f"{expr} is not a real number here")
    return number(evaluated)


def _graph_value(g: nx.DiGraph, node: str) -> Quantity:
    data = g.nodes[node]
    if data["kind"] != "op":
        return Quantity(node, "given", number(data["value"]), rule=data["kind"])
    op = ops.get(data["op"])
    inputs = tuple(data["inputs"])
    names = {g.nodes[i]["symbol"]: i for i in inputs}
    operands = [g.nodes[i]["symbol"] for i in inputs]
    slips = tuple((slip.text, _candidates_at(slip.forward(operands, data["const"]), names))
                  for slip in op.slips if slip.forward)
    return Quantity(node, "value", number(data["value"]), formula=_with_numbers(data["expr"], g, names),
                    expr=data["expr"], rule=op.rule, depends=tuple(dict.fromkeys(inputs)),
                    recompute=lambda env: _evaluate(data["expr"], env, names), slips=slips)


def _candidates_at(exprs, names):
    exprs = exprs if isinstance(exprs, list) else [exprs]
    return lambda env: [_evaluate(e, env, names) for e in exprs]


def _with_numbers(expr: sp.Expr, g: nx.DiGraph, names: Mapping[sp.Symbol, str]) -> str:
    """``x + q = (-2) + (-20)``: the formula, then the same with each operand's value, as the JSON carries it."""
    numbers = {s: g.nodes[n]["value"] for s, n in names.items()}
    return f"{expr} = {ExpressionText({'numbers': numbers}).doprint(expr)}" if numbers else str(expr)


def _parenthesised(value) -> str:
    text = format_value(value)
    return f"({text})" if text.startswith("-") else text


def _graph_local(g: nx.DiGraph, u: str, node: str) -> Quantity:
    data, edge = g.nodes[node], g.edges[u, node]
    local = edge["local"]
    inputs = tuple(dict.fromkeys(data["inputs"]))
    names = {g.nodes[i]["symbol"]: i for i in inputs + (node,)}
    names = {s: n for s, n in names.items() if s in local.free_symbols}
    op = ops.get(data["op"])
    operands = [g.nodes[i]["symbol"] for i in data["inputs"]]
    position = list(data["inputs"]).index(u)
    slips = tuple((slip.text, _candidates_at(slip.local(data["symbol"], operands, data["const"])[position], names))
                  for slip in op.slips if slip.local)
    return Quantity(f"d{node}/d{u}", "local", number(edge["local_value"]), formula=str(local), expr=local,
                    rule=op.rule,
                    depends=tuple(names.values()), recompute=lambda env: _evaluate(local, env, names), slips=slips)


def add_gradients(g: nx.DiGraph, order: list[str], out: str, quantities: dict[str, Quantity], make) -> None:
    """∂out/∂node for every node the output depends on, nearest the output first, made by
    ``make(node, consumers)`` from the node's consumers on the way to the output. Where ∂out/∂node is
    also a local derivative's key (the node feeds the output directly) one quantity serves both if the
    output is its only such consumer; otherwise the local keeps its own key, marked "(local)"."""
    ancestors = nx.ancestors(g, out)
    for node in reversed([n for n in order if n in ancestors]):
        key = f"d{out}/d{node}"
        consumers = [c for c in g.successors(node) if c == out or c in ancestors]
        if key in quantities:
            if consumers == [out]:
                continue  # ∂out/∂node is the local gradient itself
            quantities[f"{key} (local)"] = dataclasses.replace(quantities.pop(key), key=f"{key} (local)")
        quantities[key] = make(node, consumers)


def _graph_gradient(g: nx.DiGraph, node: str, out: str, consumers: list[str],
                    quantities: dict[str, Quantity]) -> Quantity:
    pairs = [(None if c == out else f"d{out}/d{c}", _local_key(quantities, c, node)) for c in consumers]
    formula = " + ".join(f"{label(up) + '·' if up else ''}{label(lo)}" for up, lo in pairs)
    numbers = " + ".join(f"{_parenthesised(quantities[up].value) + '·' if up else ''}"
                         f"{_parenthesised(quantities[lo].value)}" for up, lo in pairs)
    formula = f"{formula} = {numbers}" if numbers != formula else formula

    def recompute(env: Env) -> np.ndarray:
        return number(sum(float(env[up] if up else 1.0) * float(env[lo]) for up, lo in pairs))

    branches = tuple((f"only the path through {c} was counted; the gradient sums over every consumer "
                      f"({', '.join(consumers)})", _branch(up, lo)) for c, (up, lo) in zip(consumers, pairs)
                     ) if len(pairs) > 1 else ()
    return Quantity(f"d{out}/d{node}", "gradient", number(g.nodes[node]["grad"]), formula=formula,
                    rule="chain rule: global = Σ over consumers of upstream global × local",
                    depends=tuple(k for pair in pairs for k in pair if k), recompute=recompute, slips=branches)


def _branch(up: Optional[str], lo: str):
    return lambda env: number(float(env[up] if up else 1.0) * float(env[lo]))


def _local_key(quantities: dict[str, Quantity], node: str, u: str) -> str:
    key = f"d{node}/d{u}"
    return f"{key} (local)" if f"{key} (local)" in quantities else key

