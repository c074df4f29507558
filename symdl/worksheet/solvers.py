"""Solving a problem file: the engine's result turned into quantities a student can claim.

One solver per kind of problem: a scalar graph (:func:`symdl.backprop`), a tensor
network (:class:`symdl.tensor.network.Network`), a derivative (:func:`symdl.derive`).
Each quantity gets its ``recompute`` from the same record the engine used — the op's
SymPy gate and local derivative, the tensor op's forward pass and VJP — and its slips
from the op registry, so grading never re-implements an op.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import networkx as nx
import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import backprop, format_value
from symdl.derive import derive
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.parsing import parse, symbol
from symdl.printing.text import text
from symdl.printing.values import label
from symdl.registry import Slip
from symdl.rewrite import canonical
from symdl.tensor import network as networks
from symdl.tensor import registry as tensor_ops
from symdl.worksheet.problem import Problem
from symdl.worksheet.solution import Env, Quantity, Solution

MAX_JACOBIAN = 400  # local Jacobians with more entries are not offered as quantities
MAX_SKIPPED_DEPTH = 3  # how far back a left-out step is looked for (scale → mask → softmax in attention)


def solve(problem: Problem) -> Solution:
    """Build and evaluate what the problem describes; every error names the file and key."""
    try:
        return _SOLVERS[problem.kind](problem)
    except SymdlError as error:
        if str(error).startswith(problem.path):
            raise
        raise problem.error(str(error), problem.kind) from None


# --- scalar computational graphs ---------------------------------------------------------------
def _graph(problem: Problem) -> Solution:
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
    _add_gradients(g, order, out, quantities, lambda node, consumers: _graph_gradient(g, node, out, consumers,
                                                                                         quantities))
    return Solution(problem, quantities, result)


def _number(value) -> np.ndarray:
    return np.asarray(float(value))


def _evaluate(expr: sp.Expr, env: Env, names: Mapping[sp.Symbol, str]) -> np.ndarray:
    number = sp.N(expr.xreplace({s: sp.Float(float(env[n]), 30) for s, n in names.items()}), 30)
    if not number.is_real:
        raise SymdlError(f"{expr} is not a real number here")
    return _number(number)


def _graph_value(g: nx.DiGraph, node: str) -> Quantity:
    data = g.nodes[node]
    if data["kind"] != "op":
        return Quantity(node, "given", _number(data["value"]), rule=data["kind"])
    op = ops.get(data["op"])
    inputs = tuple(data["inputs"])
    names = {g.nodes[i]["symbol"]: i for i in inputs}
    operands = [g.nodes[i]["symbol"] for i in inputs]
    slips = tuple((slip.text, _candidates_at(slip.forward(operands, data["const"]), names))
                  for slip in op.slips if slip.forward)
    return Quantity(node, "value", _number(data["value"]), formula=_with_numbers(data["expr"], g, names),
                    expr=data["expr"], rule=op.rule, depends=tuple(dict.fromkeys(inputs)),
                    recompute=lambda env: _evaluate(data["expr"], env, names), slips=slips)


def _candidates_at(exprs, names):
    exprs = exprs if isinstance(exprs, list) else [exprs]
    return lambda env: [_evaluate(e, env, names) for e in exprs]


class _ValuePrinter(StrPrinter):
    """Prints an expression with each symbol replaced by a number, keeping the symbols' order."""

    def __init__(self, values: Mapping[sp.Symbol, str]):
        super().__init__()
        self.values = values

    def _print_Symbol(self, s: sp.Symbol) -> str:
        return self.values.get(s, s.name)


def _with_numbers(expr: sp.Expr, g: nx.DiGraph, names: Mapping[sp.Symbol, str]) -> str:
    """``x + q = (-2) + (-20)``: the formula, then the same with each operand's value."""
    shown = {s: _parenthesised(g.nodes[n]["value"]) for s, n in names.items()}
    return f"{expr} = {_ValuePrinter(shown).doprint(expr)}" if shown else str(expr)


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
    return Quantity(f"d{node}/d{u}", "local", _number(edge["local_value"]), formula=str(local), expr=local,
                    rule=op.rule,
                    depends=tuple(names.values()), recompute=lambda env: _evaluate(local, env, names), slips=slips)


def _add_gradients(g: nx.DiGraph, order: list[str], out: str, quantities: dict[str, Quantity], make) -> None:
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
        return _number(sum(float(env[up] if up else 1.0) * float(env[lo]) for up, lo in pairs))

    branches = tuple((f"only the path through {c} was counted; the gradient sums over every consumer "
                      f"({', '.join(consumers)})", _branch(up, lo)) for c, (up, lo) in zip(consumers, pairs)
                     ) if len(pairs) > 1 else ()
    return Quantity(f"d{out}/d{node}", "gradient", _number(g.nodes[node]["grad"]), formula=formula,
                    rule="chain rule: global = Σ over consumers of upstream global × local",
                    depends=tuple(k for pair in pairs for k in pair if k), recompute=recompute, slips=branches)


def _branch(up: Optional[str], lo: str):
    return lambda env: _number(float(env[up] if up else 1.0) * float(env[lo]))


def _local_key(quantities: dict[str, Quantity], node: str, u: str) -> str:
    key = f"d{node}/d{u}"
    return f"{key} (local)" if f"{key} (local)" in quantities else key


# --- tensor networks ---------------------------------------------------------------------------
def _network(problem: Problem) -> Solution:
    spec = problem.spec
    net = networks.Network()
    for group, add in (("inputs", net.input), ("parameters", net.parameter), ("constants", net.constant)):
        for name, value in spec.get(group, {}).items():
            add(name, value)
    for position, op in enumerate(spec["ops"]):
        try:
            net.apply(op["op"], *op["inputs"], name=op["name"], **op["params"])
        except (SymdlError, TypeError, ValueError, KeyError, IndexError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            raise problem.error(f"op {op['name']!r} ({op['op']}): {message}", "network", "ops", str(position)) from None
    output = spec.get("output")
    if output:
        net.backward(output)
    g = net.graph
    order = graphs.topological_order(g)
    quantities: dict[str, Quantity] = {}
    for node in order:
        quantities[node] = _network_value(g, node)
    for node in order:
        for u in dict.fromkeys(g.nodes[node].get("inputs", ())):
            if g.nodes[node]["value"].size * g.nodes[u]["value"].size <= MAX_JACOBIAN:
                quantities[f"d{node}/d{u}"] = _network_local(net, u, node)
    if output:
        _add_gradients(g, order, output, quantities, lambda node, consumers: _network_gradient(g, node, output,
                                                                                                consumers))
    return Solution(problem, quantities, net)


def _operands(data: dict, env: Env) -> list[np.ndarray]:
    return [np.asarray(env[i], dtype=float) for i in data["inputs"]]


def _network_value(g: nx.DiGraph, node: str) -> Quantity:
    data = g.nodes[node]
    if data["kind"] != "op":
        return Quantity(node, "given", data["value"], rule=data["kind"])
    record = _record(data)
    params = data["params"]
    wrong_forward = _tensor_forward_slip if data["tensor"] else _elementwise_forward_slip
    slips = tuple((slip.text, wrong_forward(slip, data)) for slip in record.slips if slip.forward)
    slips += _skipped_steps(g, node)
    return Quantity(node, "value", data["value"], formula=_step_formula(data), rule=record.rule,
                    depends=tuple(dict.fromkeys(data["inputs"])),
                    recompute=lambda env: _forward(data, _operands(data, env)), slips=slips)


def _step_formula(data: dict) -> str:
    """A step as a textbook writes it: its matrix form (X W_Q, Q[:, :2], (√2/2) S1) with any array
    parameter beside it (a mask); the op's call with its parameters where it has no form."""
    form = data.get("expr")
    if form is None or isinstance(form, sp.Function) and form.func.__name__ == data["op"]:
        arguments = ", ".join(data["inputs"]) + "".join(f", {k}={_shown(v)}" for k, v in data["params"].items())
        return f"{data['op']}({arguments})"
    arrays = "".join(f", {k} = {_shown(v)}" for k, v in data["params"].items() if np.ndim(v) > 0)
    return text(form) + arrays


def _shown(param):
    """A parameter as written in the problem file: a mask as nested lists, on one line."""
    return param.tolist() if isinstance(param, np.ndarray) else param


def _record(data: dict):
    return tensor_ops.get(data["op"]) if data["tensor"] else ops.get(data["op"])


def _forward(data: dict, operands: list[np.ndarray]) -> np.ndarray:
    """The op node's forward pass on the given operand values (a student's, or the network's)."""
    record = _record(data)
    if data["tensor"]:
        return np.asarray(record.forward(*operands, **data["params"]), dtype=float)
    return np.asarray(record.numpy(operands[0], const=record.constant(data["params"])), dtype=float)


def _single_input(g: nx.DiGraph, node: str) -> Optional[str]:
    """The operand of an op node that takes exactly one, else None (a leaf, or an op of two, t ⊙ t too)."""
    operands = g.nodes[node].get("inputs", ())
    return operands[0] if g.nodes[node]["kind"] == "op" and len(operands) == 1 else None


def _skipped_steps(g: nx.DiGraph, node: str) -> tuple:
    """Slips that leave out one one-operand step (a scale, a mask, an activation): the node itself, or
    one of the chain of one-operand steps feeding an operand, up to MAX_SKIPPED_DEPTH back. Forgetting
    attention's 1/√d_k or its causal mask is this slip, seen in the weights the softmax gives."""
    slips = []
    source = _single_input(g, node)
    if source is not None and g.nodes[source]["shape"] == g.nodes[node]["shape"]:
        slips.append((_skipped_text(g, node), lambda env: np.asarray(env[source], dtype=float)))
    data = g.nodes[node]
    for position, operand in enumerate(data["inputs"]):
        chain = [operand]  # chain[k + 1] is the one operand of chain[k]
        while len(chain) <= MAX_SKIPPED_DEPTH and _single_input(g, chain[-1]) is not None:
            chain.append(_single_input(g, chain[-1]))
        for depth in range(len(chain) - 1):
            slips.append((_skipped_text(g, chain[depth]), _without(g, data, position, chain[:depth + 1])))
    return tuple(slips)


def _skipped_text(g: nx.DiGraph, step: str) -> str:
    data = g.nodes[step]
    return f"the step {step} = {data['op']}({', '.join(data['inputs'])}) was left out"


def _without(g: nx.DiGraph, data: dict, position: int, chain: list[str]):
    """The node's value with ``chain[-1]`` left out: its operand goes straight into the steps after it."""
    def wrong(env: Env) -> np.ndarray:
        value = np.asarray(env[g.nodes[chain[-1]]["inputs"][0]], dtype=float)
        for step in reversed(chain[:-1]):
            value = _forward(g.nodes[step], [value])
        operands = _operands(data, env)
        operands[position] = value
        return _forward(data, operands)
    return wrong


def _tensor_forward_slip(slip: Slip, data: dict):
    return lambda env: slip.forward(_operands(data, env), data["params"])


def _elementwise_forward_slip(slip: Slip, data: dict):
    """A scalar op's wrong forward (sin in degrees), applied to every entry."""
    x = sp.Dummy("x", real=True)
    wrong = slip.forward([x], ops.get(data["op"]).constant(data["params"]))
    functions = [sp.lambdify(x, w, modules=LAMBDIFY_MODULES) for w in (wrong if isinstance(wrong, list) else [wrong])]
    return lambda env: [np.asarray(f(_operands(data, env)[0]), dtype=float) for f in functions]


def _network_local(net: networks.Network, u: str, node: str) -> Quantity:
    data = net.graph.nodes[node]

    def recompute(env: Env) -> np.ndarray:
        return networks.jacobian(data, np.asarray(env[node], dtype=float), _operands(data, env), u)

    position = list(data["inputs"]).index(u)
    slips = []
    record = _record(data)
    for slip in record.slips:
        if slip.local and data["tensor"]:
            slips.append((slip.text, _tensor_local_slip(slip, data, node, position)))
        elif slip.local:  # an element-wise op: its Jacobian is diagonal
            slips.append((slip.text, _elementwise_local_slip(slip, data, node)))
    return Quantity(f"d{node}/d{u}", "local", net.jacobian(node, u),
                    rule=record.rule, depends=tuple(dict.fromkeys(data["inputs"])) + (node,),
                    recompute=recompute, slips=tuple(slips))


def _tensor_local_slip(slip: Slip, data: dict, node: str, position: int):
    return lambda env: slip.local(np.asarray(env[node], dtype=float), _operands(data, env), data["params"])[position]


def _elementwise_local_slip(slip: Slip, data: dict, node: str):
    def wrong(env: Env) -> np.ndarray:
        out, x = np.asarray(env[node], dtype=float), _operands(data, env)[0]
        local = np.broadcast_to(np.asarray(slip.local(out, (x,), ops.get(data["op"]).constant(data["params"]))[0], dtype=float),
                                out.shape)
        return np.diag(local.ravel()).reshape(out.shape + x.shape)
    return wrong


def _network_gradient(g: nx.DiGraph, node: str, output: str, consumers: list[str]) -> Quantity:
    shape = g.nodes[node]["value"].shape

    def recompute(env: Env) -> np.ndarray:
        total = np.zeros(shape)
        for c in consumers:
            data = g.nodes[c]
            upstream = np.ones(data["value"].shape) if c == output else np.asarray(env[f"d{output}/d{c}"], dtype=float)
            for i, part in zip(data["inputs"], networks.vjp(data, upstream, np.asarray(env[c], dtype=float),
                                                            _operands(data, env))):
                if i == node:
                    total = total + np.reshape(part, shape)
        return total

    depends = [k for c in consumers for k in ([] if c == output else [f"d{output}/d{c}"]) + [c, *g.nodes[c]["inputs"]]]
    formula = text(sp.Add(*(g.edges[node, c]["vjp"] for c in consumers)))  # each consumer's VJP form, summed
    return Quantity(f"d{output}/d{node}", "gradient", g.nodes[node]["grad"], formula=formula,
                    rule="chain rule: each consumer's vector–Jacobian product, summed over consumers",
                    depends=tuple(dict.fromkeys(depends)), recompute=recompute)


# --- derivatives ---------------------------------------------------------------------------------
def _derivative(problem: Problem) -> Solution:
    spec = problem.spec
    expr, x = parse(spec["expression"]), symbol(spec["wrt"])
    if x not in expr.free_symbols:
        raise problem.error(f"the expression does not depend on {spec['wrt']!r}", "derivative", "wrt")
    derivation = derive(expr, x)
    recognised = canonical(expr)  # tanh written with exp is still tanh, with tanh's classic slips
    op = ops.by_head(recognised.func) if recognised.args == (x,) else None
    slips = tuple((slip.text, slip.local(recognised, (x,), None)[0]) for slip in op.slips if slip.local) if op else ()
    slips += (("the sign is flipped", -derivation.result),)
    rule = op.rule if op else "the derivation above"
    quantities = {
        f"f({x})": Quantity(f"f({x})", "derivative", expr, rule="the function itself"),
        f"d/d{x}": Quantity(f"d/d{x}", "derivative", derivation.result, rule=rule,
                            slips=tuple((text, _constant(e)) for text, e in slips)),
    }
    point = spec.get("at")
    if point:
        at = {symbol(n): sp.Float(v, 30) for n, v in point.items()}
        missing = expr.free_symbols - set(at)
        if missing:
            raise problem.error(f"no value given for {', '.join(sorted(map(str, missing)))}", "derivative", "at")
        quantities = {**{name: Quantity(name, "given", _number(v), rule="input") for name, v in point.items()},
                      **quantities}  # the point first, as a graph's inputs are: f = … is then read at it
        quantities["f"] = Quantity("f", "value", _number(sp.N(expr.xreplace(at), 30)), formula=str(expr), expr=expr)
        quantities[f"df/d{x}"] = Quantity(
            f"df/d{x}", "gradient", _number(sp.N(derivation.result.xreplace(at), 30)), formula=str(derivation.result),
            expr=derivation.result, rule=rule,
            slips=tuple((text, _constant(_number(sp.N(e.xreplace(at), 30)))) for text, e in slips))
    return Solution(problem, quantities, derivation)


def _constant(value):
    return lambda env: value


_SOLVERS = {"graph": _graph, "network": _network, "derivative": _derivative}
