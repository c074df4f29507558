"""A network of tensor ops, built eagerly as a symdl graph.

Each ``apply`` adds one node and computes its value at once, as PyTorch's eager
mode does, so a student can look at every intermediate. The graph has the keys
of a scalar graph (:mod:`symdl.graph`) so the printers draw it unchanged, plus

    ``shape``   the node's array shape
    ``params``  the op's keyword parameters (stride, axis, …)
    ``tensor``  True where ``op`` names a tensor op (:mod:`symdl.tensor.registry`);
                otherwise ``op`` is a unary scalar op applied element-wise

and on edges ``local`` is the input's gradient in matrix notation (a SymPy
symbol whose name is the formula, e.g. ``∂L/∂y·xᵀ``), ``local_value`` the
Jacobian ∂node/∂input where both are small. ``backward`` writes ``grad`` on
every node: the VJPs run in reverse topological order and sum over fan-out.
"""

from __future__ import annotations

import functools
from typing import Optional

import networkx as nx
import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.parsing import symbol
from symdl.tensor import conv, linalg, registry  # noqa: F401  (importing conv and linalg registers their ops)

SMALL_JACOBIAN = 64  # edges whose Jacobian has at most this many entries carry it as ``local_value``


@functools.lru_cache(maxsize=None)
def _elementwise_local(op_name: str, const: Optional[float]):
    """The scalar op's canonical local derivative as a NumPy function of (out, x)."""
    out, x = sp.Dummy("out", real=True), sp.Dummy("x", real=True)
    (local,) = ops.get(op_name).local(out, (x,), None if const is None else sp.nsimplify(const))
    return sp.lambdify((out, x), local, modules=LAMBDIFY_MODULES)


def vjp(data: dict, upstream: np.ndarray, value: np.ndarray, operands: list[np.ndarray]) -> list[np.ndarray]:
    """The op node ``data``'s VJP at the given output and operand values (which a grader may
    take from a student's worked numbers rather than from the network)."""
    if data["tensor"]:
        return list(registry.get(data["op"]).vjp(upstream, value, *operands, **data["params"]))
    local = _elementwise_local(data["op"], ops.get(data["op"]).constant(data["params"]))
    return [upstream * local(value, operands[0])]


def jacobian(data: dict, value: np.ndarray, operands: list[np.ndarray], operand: str) -> np.ndarray:
    """∂node/∂operand at the given values, shape node.shape + operand.shape, one VJP per output
    element; an operand used twice gets the sum of its two Jacobians."""
    value = np.asarray(value, dtype=float)
    rows = []
    for k in range(value.size):
        unit = np.zeros(value.size)
        unit[k] = 1
        contributions = vjp(data, unit.reshape(value.shape), value, operands)
        rows.append(sum(c for i, c in zip(data["inputs"], contributions) if i == operand))
    shape = next(np.shape(v) for i, v in zip(data["inputs"], operands) if i == operand)
    return np.reshape(rows, value.shape + shape)


class Network:
    """Inputs, parameters and ops with their values; ``backward(output)`` fills in gradients."""

    def __init__(self) -> None:
        self.graph = graphs.Graph(granularity="tensor")
        self.output: Optional[str] = None  # set by backward; printers then show values and gradients

    # --- leaves -------------------------------------------------------------------------
    def input(self, name: str, value) -> str:
        return self._leaf(name, value, "input")

    def parameter(self, name: str, value) -> str:
        return self._leaf(name, value, "parameter")

    def constant(self, name: str, value) -> str:
        return self._leaf(name, value, "constant")

    def _leaf(self, name: str, value, kind: str) -> str:
        self._fresh(name)
        array = np.array(value, dtype=float)
        self.graph.add_node(name, kind=kind, symbol=symbol(name), value=array, shape=array.shape, flat=symbol(name))
        return name

    # --- ops ------------------------------------------------------------------------------
    def apply(self, op_name: str, *inputs: str, name: Optional[str] = None, **params) -> str:
        """Add ``op_name(*inputs, **params)`` as a node named ``name`` (default ``q1, q2, …``)."""
        for node in inputs:
            if node not in self.graph:
                raise SymdlError(f"{op_name}: no node named {node!r} in this network")
        name = name or self._next_name()
        self._fresh(name)
        values = [self.graph.nodes[n]["value"] for n in inputs]
        tensor = op_name in registry.TENSOR_REGISTRY
        if tensor:
            value = np.asarray(registry.get(op_name).forward(*values, **params), dtype=float)
        else:
            value = self._elementwise_forward(op_name, values, params)
        self.graph.add_node(name, kind="op", op=op_name, tensor=tensor, inputs=tuple(inputs), params=params,
                            const=None if tensor else ops.get(op_name).constant(params), symbol=symbol(name), value=value, shape=value.shape,
                            expr=sp.Symbol(f"{op_name}({', '.join(inputs)})"))
        for node in dict.fromkeys(inputs):
            self.graph.add_edge(node, name)
        self._annotate_edges(name, output="·")
        return name

    def _elementwise_forward(self, op_name: str, values: list, params: dict) -> np.ndarray:
        op = ops.REGISTRY.get(op_name)
        if op is None or op.arity != 1 or len(values) != 1:
            raise SymdlError(f"{op_name!r} is neither a tensor op ({', '.join(sorted(registry.TENSOR_REGISTRY))}) "
                             f"nor a unary scalar op applied element-wise")
        return np.asarray(op.numpy(values[0], const=op.constant(params)), dtype=float)

    def value(self, node: str) -> np.ndarray:
        return self.graph.nodes[node]["value"]

    # --- backward -------------------------------------------------------------------------
    def backward(self, output: str) -> dict[str, np.ndarray]:
        """d(output)/d(node) for every node the output depends on; the output must be one number."""
        if self.graph.nodes[output]["value"].size != 1:
            raise SymdlError(f"backward needs a scalar output; {output!r} has shape {self.graph.nodes[output]['shape']}")
        self.graph.graph["output"] = self.output = output
        order = graphs.topological_order(self.graph)
        relevant = nx.ancestors(self.graph, output) | {output}
        grads = {n: np.zeros_like(self.graph.nodes[n]["value"]) for n in relevant}
        for _, _, edge in self.graph.edges(data=True):
            edge.pop("contribution", None)  # from an earlier backward, perhaps of another output
        grads[output] = np.ones_like(grads[output])
        for node in reversed([n for n in order if n in relevant]):
            data = self.graph.nodes[node]
            if data["kind"] != "op":
                continue
            for operand, contribution in zip(data["inputs"], self._vjp(data, grads[node])):
                contribution = np.reshape(contribution, grads[operand].shape)
                edge = self.graph.edges[operand, node]
                edge["contribution"] = edge.get("contribution", 0) + contribution  # summed if used twice
                grads[operand] = grads[operand] + contribution
        for node, grad in grads.items():
            self.graph.nodes[node]["grad"] = grad
        for node in relevant:
            self._annotate_edges(node, output)
        return grads

    def _vjp(self, data: dict, upstream: np.ndarray) -> list[np.ndarray]:
        return vjp(data, upstream, data["value"], [self.graph.nodes[n]["value"] for n in data["inputs"]])

    def jacobian(self, node: str, operand: str) -> np.ndarray:
        """∂node/∂operand, shape node.shape + operand.shape, one VJP per output element."""
        data = self.graph.nodes[node]
        return jacobian(data, data["value"], [self.graph.nodes[n]["value"] for n in data["inputs"]], operand)

    def _annotate_edges(self, node: str, output: str) -> None:
        """The edges into ``node``: gradient notation (upstream ∂output/∂node) and small Jacobians."""
        data = self.graph.nodes[node]
        for u in self.graph.predecessors(node):
            edge = self.graph.edges[u, node]
            edge["local"] = sp.Symbol(self._notation(u, node, data, output))
            if "local_value" not in edge and data["value"].size * self.graph.nodes[u]["value"].size <= SMALL_JACOBIAN:
                edge["local_value"] = self.jacobian(node, u)

    def _notation(self, u: str, v: str, data: dict, output: str) -> str:
        if not data["tensor"]:
            local = ops.get(data["op"]).local(symbol(v), (symbol(u),), data["const"])[0]
            return f"{local} (element-wise)"
        rules = registry.get(data["op"]).gradient_notation(v, list(data["inputs"]), f"∂{output}/∂{v}")
        return "; ".join(rule for i, rule in zip(data["inputs"], rules) if i == u)

    # --- names ----------------------------------------------------------------------------
    def _fresh(self, name: str) -> None:
        if name in self.graph:
            raise SymdlError(f"the network already has a node named {name!r}")

    def _next_name(self) -> str:
        count = sum(1 for _, d in self.graph.nodes(data=True) if d["kind"] == "op") + 1
        while f"q{count}" in self.graph:
            count += 1
        return f"q{count}"

