"""The solver for tensor networks (:class:`symdl.tensor.network.Network`): each step's value, local
Jacobian and gradient as quantities.

A value's ``recompute`` is the tensor op's forward pass, a gradient's the ops' VJPs, so grading
never re-implements an op; its slips are the registry's, a left-out one-operand step (attention's
1/√d_k, its mask), and an operand swapped for another of the same shape (W_ho where W_hi belongs).
"""

from __future__ import annotations

from typing import Optional

import networkx as nx
import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.printing.text import text
from symdl.printing.values import label
from symdl.registry import Slip
from symdl.tensor import network as networks
from symdl.tensor import registry as tensor_ops
from symdl.worksheet.graph_solver import add_gradients
from symdl.worksheet.problem import Problem
from symdl.worksheet.solution import Env, Quantity, Solution

MAX_JACOBIAN = 400  # local Jacobians with more entries are not offered as quantities (see _formed)
MAX_SKIPPED_DEPTH = 3  # how far back a left-out step is looked for (scale → mask → softmax in attention)
#: a weight is mistaken for a weight, a signal (an input, a step's result) for a signal; a constant is either
_ROLES = {"parameter": {"weight"}, "input": {"signal"}, "op": {"signal"}, "constant": {"weight", "signal"}}


def solve_network(problem: Problem) -> Solution:
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
    for position, node in enumerate(order):
        quantities[node] = _network_value(g, node, order[:position])
    for node in order:
        for u in dict.fromkeys(g.nodes[node].get("inputs", ())):
            if _formed(g.nodes[node]["value"], g.nodes[u]["value"]):
                quantities[f"d{node}/d{u}"] = _network_local(net, u, node)
    if output:
        add_gradients(g, order, output, quantities, lambda node, consumers: _network_gradient(g, node, output,
                                                                                                consumers))
    return Solution(problem, quantities, net)


def _formed(out: np.ndarray, operand: np.ndarray) -> bool:
    """Whether a step's local Jacobian is a quantity: a number, a vector or a matrix of at most
    MAX_JACOBIAN entries. A matrix op's has four indices; the backward pass never forms it (it applies
    the VJP), so the gradient's row carries the formula instead (∂L/∂W = ∂L/∂Y Xᵀ)."""
    return out.ndim + operand.ndim <= 2 and out.size * operand.size <= MAX_JACOBIAN


def _operands(data: dict, env: Env) -> list[np.ndarray]:
    return [np.asarray(env[i], dtype=float) for i in data["inputs"]]


def _network_value(g: nx.DiGraph, node: str, earlier: list[str]) -> Quantity:
    """A step's value; ``earlier`` are the quantities worked out before it, the ones a student may
    have put in the place of an operand."""
    data = g.nodes[node]
    if data["kind"] != "op":
        return Quantity(node, "given", data["value"], rule=data["kind"])
    record = _record(data)
    wrong_forward = _tensor_forward_slip if data["tensor"] else _elementwise_forward_slip
    slips = tuple((slip.text, wrong_forward(slip, data)) for slip in record.slips if slip.forward)
    slips += _skipped_steps(g, node)
    form = data["expr"]  # its matrix form (X W_Q), or the record's words and mathematics (X ∗ W, stride 2)
    if text(form) == label(node):  # a transpose node K1ᵀ: its formula is its name, and K1ᵀ = K1ᵀ says nothing
        form = None
    return Quantity(node, "value", data["value"], formula="" if form is None else text(form), expr=form,
                    where=getattr(form, "where", None), rule=_rule(g, node, data["inputs"]),
                    depends=tuple(dict.fromkeys(data["inputs"])),
                    recompute=lambda env: _forward(data, _operands(data, env)), slips=slips,
                    swaps=_swapped_operands(g, data, earlier))


def _rule(g: nx.DiGraph, node: str, inputs) -> str:
    """The op's rule, with what becomes of a broadcast input only where one of ``inputs`` is broadcast
    (a bias added to every row), not on every add of two vectors of one shape."""
    data = g.nodes[node]
    record = _record(data)
    broadcast = data["tensor"] and any(np.shape(g.nodes[i]["value"]) != np.shape(data["value"]) for i in inputs)
    return f"{record.rule} {record.broadcast_rule}" if broadcast and record.broadcast_rule else record.rule


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
    return f"the step {label(step)} = {text(g.nodes[step]['expr'])} was left out"


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


def _swapped_operands(g: nx.DiGraph, data: dict, earlier: list[str]) -> tuple:
    """The step with one operand replaced by a quantity worked out before it that a student could
    take for it — W_ho where W_hi belongs, x where h belongs, i where f belongs."""
    return tuple((f"used {label(other)} where {label(operand)} belongs", _swapped(data, position, other))
                 for position, operand in enumerate(data["inputs"])
                 for other in earlier if _mistakable(g, operand, other))


def _mistakable(g: nx.DiGraph, operand: str, other: str) -> bool:
    """``other`` has the operand's shape and role (see _ROLES) and another value."""
    a, b = g.nodes[operand], g.nodes[other]
    return (other != operand and a["value"].shape == b["value"].shape and bool(_ROLES[a["kind"]] & _ROLES[b["kind"]])
            and not np.array_equal(a["value"], b["value"]))


def _swapped(data: dict, position: int, other: str):
    def wrong(env: Env) -> np.ndarray:
        operands = _operands(data, env)
        operands[position] = np.asarray(env[other], dtype=float)
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
    shape = _jacobian_shape(net.graph.nodes[node]["value"], net.graph.nodes[u]["value"])

    def recompute(env: Env) -> np.ndarray:
        return np.reshape(networks.jacobian(data, np.asarray(env[node], dtype=float), _operands(data, env), u), shape)

    position = list(data["inputs"]).index(u)
    slips = []
    record = _record(data)
    for slip in record.slips:
        if slip.local and data["tensor"]:
            slips.append((slip.text, _tensor_local_slip(slip, data, node, position)))
        elif slip.local:  # an element-wise op: its Jacobian is diagonal
            slips.append((slip.text, _elementwise_local_slip(slip, data, node)))
    return Quantity(f"d{node}/d{u}", "local", np.reshape(net.jacobian(node, u), shape),
                    rule=_rule(net.graph, node, [u]), depends=tuple(dict.fromkeys(data["inputs"])) + (node,),
                    recompute=recompute, slips=tuple(slips))


def _jacobian_shape(out: np.ndarray, operand: np.ndarray) -> tuple:
    """The Jacobian's shape, out's then the operand's; a vector's by a number is a column, n×1, as ∂bn/∂β of
    an n×1 bn is (a row would read as the transpose)."""
    return out.shape + operand.shape + ((1,) if out.ndim == 1 and operand.ndim == 0 else ())


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
    form = sp.Add(*(g.edges[node, c]["vjp"] for c in consumers))  # each consumer's VJP form, summed
    return Quantity(f"d{output}/d{node}", "gradient", g.nodes[node]["grad"], formula=text(form), expr=form,
                    rule="chain rule: each consumer's vector–Jacobian product, summed over consumers",
                    depends=tuple(dict.fromkeys(depends)), recompute=recompute)

