"""A network of tensor ops, built eagerly as a symdl graph.

Each ``apply`` adds one node and computes its value at once, as PyTorch's eager
mode does, so a student can look at every intermediate; ``backward`` runs the VJPs
in reverse order of addition (a topological order) and sums over fan-out. Both do
NumPy work only. The symbolic side is built when ``Network.graph`` is first read
after a change (a printer or the worksheet asking), and the graph then has the keys
of a scalar graph (:mod:`symdl.graph`) so the printers draw it unchanged:

================  ==========================================================================
node key          meaning
================  ==========================================================================
``value``         the NumPy array (set by ``apply``; ``shape`` its shape)
``op``            a tensor op (``tensor`` True, :mod:`symdl.tensor.registry`) or a unary
                  scalar op of :mod:`symdl.ops` applied element-wise; ``params`` its keywords
``grad``          ∂output/∂node after ``backward``
``symbol``        the node as a SymPy symbol (:func:`symdl.tensor.symbolic.tensor_symbol`)
``expr``          the value as a matrix expression of the operands' symbols (``W x``, σ(z))
``grad_form``     ∂output/∂node as the sum of its consumers' VJP forms (after ``backward``)
================  ==========================================================================

and on an edge u → v: ``local`` the Jacobian ∂v/∂u as a matrix expression (``W`` for W x,
``diag(a ⊙ (1 − a))`` for σ), or where it is no matrix the map it applies, g ↦ its VJP;
``local_value`` its number where it has at most ``SMALL_JACOBIAN`` entries; ``vjp`` u's share
of ∂output/∂u, the record's VJP form at the upstream symbol ∂output/∂v; ``contribution``
that share's number.
"""

from __future__ import annotations

import functools
from typing import Optional

import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.tensor import conv, linalg, registry, symbolic  # noqa: F401  (importing conv and linalg registers their ops)
from symdl.tensor.matrix_forms import NoMatrixForm

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
        self._nodes: dict[str, dict] = {}  # node data in the order added (operands first: a topological order)
        self._edges: dict[tuple[str, str], dict] = {}  # (operand, node) → edge data
        self._graph: Optional[graphs.Graph] = None  # the networkx graph with symbolic forms, built when read
        self.output: Optional[str] = None  # set by backward; printers then show values and gradients

    @property
    def graph(self) -> graphs.Graph:
        """The network as a symdl graph with its symbolic forms, built on the first read after a change
        (networkx bookkeeping and SymPy cost more than the arithmetic, so apply and backward do neither)."""
        if self._graph is None:
            graph = graphs.Graph(granularity="tensor")
            graph.add_nodes_from(self._nodes.items())
            graph.add_edges_from((u, v, data) for (u, v), data in self._edges.items())
            if self.output is not None:
                graph.graph["output"] = self.output
            self._annotate(graph)
            self._graph = graph
        return self._graph

    # --- leaves -------------------------------------------------------------------------
    def input(self, name: str, value) -> str:
        return self._leaf(name, value, "input")

    def parameter(self, name: str, value) -> str:
        return self._leaf(name, value, "parameter")

    def constant(self, name: str, value) -> str:
        return self._leaf(name, value, "constant")

    def _leaf(self, name: str, value, kind: str) -> str:
        array = np.array(value, dtype=float)
        self._add(name, kind=kind, value=array, shape=array.shape)
        return name

    def _add(self, name: str, **data) -> None:
        if name in self._nodes:
            raise SymdlError(f"the network already has a node named {name!r}")
        self._nodes[name] = data
        self._graph = None

    # --- ops ------------------------------------------------------------------------------
    def apply(self, op_name: str, *inputs: str, name: Optional[str] = None, **params) -> str:
        """Add ``op_name(*inputs, **params)`` as a node named ``name`` (default ``q1, q2, …``)."""
        for node in inputs:
            if node not in self._nodes:
                raise SymdlError(f"{op_name}: no node named {node!r} in this network")
        name = name or self._next_name()
        values = [self._nodes[n]["value"] for n in inputs]
        tensor = op_name in registry.TENSOR_REGISTRY
        if tensor:
            value = np.asarray(registry.get(op_name).forward(*values, **params), dtype=float)
        else:
            value = self._elementwise_forward(op_name, values, params)
        self._add(name, kind="op", op=op_name, tensor=tensor, inputs=tuple(inputs), params=params,
                  const=None if tensor else ops.get(op_name).constant(params), value=value, shape=value.shape)
        for node in dict.fromkeys(inputs):
            self._edges[node, name] = {}
        return name

    def _elementwise_forward(self, op_name: str, values: list, params: dict) -> np.ndarray:
        op = ops.REGISTRY.get(op_name)
        if op is None or op.arity != 1 or len(values) != 1:
            raise SymdlError(f"{op_name!r} is neither a tensor op ({', '.join(sorted(registry.TENSOR_REGISTRY))}) "
                             f"nor a unary scalar op applied element-wise")
        return np.asarray(op.numpy(values[0], const=op.constant(params)), dtype=float)

    def value(self, node: str) -> np.ndarray:
        return self._nodes[node]["value"]

    # --- backward -------------------------------------------------------------------------
    def backward(self, output: str) -> dict[str, np.ndarray]:
        """d(output)/d(node) for every node the output depends on; the output must be one number."""
        if self._nodes[output]["value"].size != 1:
            raise SymdlError(f"backward needs a scalar output; {output!r} has shape {self._nodes[output]['shape']}")
        self.output, self._graph = output, None
        for edge in self._edges.values():
            edge.pop("contribution", None)  # from an earlier backward, perhaps of another output
        grads = {output: np.ones_like(self._nodes[output]["value"])}
        for node in reversed(self._nodes):  # reverse order of addition: every consumer before its operands
            data = self._nodes[node]
            if node not in grads or data["kind"] != "op":
                continue
            for operand, contribution in zip(data["inputs"], self._vjp(data, grads[node])):
                shape = self._nodes[operand]["shape"]
                if getattr(contribution, "shape", None) != shape:
                    contribution = np.reshape(contribution, shape)
                edge = self._edges[operand, node]
                edge["contribution"] = edge["contribution"] + contribution if "contribution" in edge else contribution
                before = grads.get(operand)  # summed over fan-out, and over both operands of t ⊙ t
                grads[operand] = contribution if before is None else before + contribution
        for node, data in self._nodes.items():
            data.pop("grad", None)
            if node in grads:
                data["grad"] = grads[node]
        return {node: grads[node] for node in self._nodes if node in grads}

    def _vjp(self, data: dict, upstream: np.ndarray) -> list[np.ndarray]:
        return vjp(data, upstream, data["value"], [self._nodes[n]["value"] for n in data["inputs"]])

    def jacobian(self, node: str, operand: str) -> np.ndarray:
        """∂node/∂operand, shape node.shape + operand.shape, one VJP per output element."""
        data = self._nodes[node]
        return jacobian(data, data["value"], [self._nodes[n]["value"] for n in data["inputs"]], operand)

    # --- the symbolic side, for printers and the worksheet ------------------------------------
    def _annotate(self, graph: graphs.Graph) -> None:
        """Symbols, value forms, edge Jacobians and VJP forms, and the gradients' forms, on ``graph``."""
        nodes = graph.nodes
        for node, data in nodes(data=True):
            data["symbol"] = symbolic.tensor_symbol(node, data["shape"])
            if data["kind"] != "op":
                data["flat"] = data["symbol"]
        for node, data in nodes(data=True):
            if data["kind"] == "op":
                self._annotate_op(graph, node, data)
        for node, data in nodes(data=True):
            if "grad" in data and node != self.output:
                data["grad_form"] = sp.Add(*(graph.edges[node, c]["vjp"] for c in graph.successors(node)
                                             if "grad" in nodes[c]))

    def _annotate_op(self, graph: graphs.Graph, node: str, data: dict) -> None:
        operands = [graph.nodes[i]["symbol"] for i in data["inputs"]]
        out = data["symbol"]
        data["expr"] = value_form(data, operands)
        upstream = (sp.Integer(1) if node == self.output
                    else symbolic.tensor_symbol(f"∂{self.output or 'L'}/∂{node}", data["shape"]))
        vjps = vjp_forms(data, upstream, out, operands)
        for u in dict.fromkeys(data["inputs"]):
            edge = graph.edges[u, node]
            share = [i for i, name in enumerate(data["inputs"]) if name == u]
            edge["vjp"] = sp.Add(*(vjps[i] for i in share))
            edge["local"] = _local_form(data, share, out, operands)
            if data["value"].size * graph.nodes[u]["value"].size <= SMALL_JACOBIAN:
                edge["local_value"] = self.jacobian(node, u)

    def _repr_html_(self) -> str:
        """Jupyter shows the circuit and the node table."""
        from symdl.printing.notebook import network_repr_html  # printers import this module
        return network_repr_html(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Jupyter gets the circuit as SVG too (for front ends and exports that take an image)."""
        from symdl.printing.notebook import circuit_mimebundle  # printers import this module
        return circuit_mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        from symdl.printing.notebook import short_repr  # printers import this module
        return short_repr(self)

    # --- names ----------------------------------------------------------------------------
    def _next_name(self) -> str:
        count = sum(1 for d in self._nodes.values() if d["kind"] == "op") + 1
        while f"q{count}" in self._nodes:
            count += 1
        return f"q{count}"


def value_form(data: dict, operands: list) -> sp.Basic:
    """The op node's value as a matrix expression of its operands' symbols (opaque where none)."""
    if _higher_rank(operands):
        return symbolic.opaque(data["op"], operands)
    if not data["tensor"]:
        return _attempt(lambda: symbolic.elementwise_value(data["op"], data["const"], operands[0]),
                        lambda: symbolic.opaque(data["op"], operands))
    form = registry.get(data["op"]).value_form
    if form is None:
        return symbolic.opaque(data["op"], operands)
    return _attempt(lambda: form(*operands, **data["params"]), lambda: symbolic.opaque(data["op"], operands))


def vjp_forms(data: dict, upstream: sp.Basic, out: sp.Basic, operands: list) -> list[sp.Basic]:
    """Each operand's VJP as a matrix expression of the upstream gradient, output and operands."""
    return _attempt(lambda: _record_vjps(data, upstream, out, operands),
                    lambda: symbolic.opaque_vjps(data["op"], upstream, operands))


def _record_vjps(data: dict, upstream: sp.Basic, out: sp.Basic, operands: list) -> list[sp.Basic]:
    """The record's VJP forms; raises NoMatrixForm where it has none for these shapes."""
    if _higher_rank([out, *operands]):
        raise NoMatrixForm("arrays of rank 3 or more")
    if not data["tensor"]:
        return [symbolic.elementwise_vjp(data["op"], data["const"], upstream, out, operands[0])]
    form = registry.get(data["op"]).vjp_form
    if form is None:
        raise NoMatrixForm(f"{data['op']} has no matrix form")
    return list(form(upstream, out, *operands, **data["params"]))


def _higher_rank(forms: list) -> bool:
    """Whether any form names an array of rank 3 or more, which no matrix form takes."""
    return any(isinstance(f, symbolic.ArrayName) for f in forms)


def _local_form(data: dict, share: list[int], out: sp.Basic, operands: list) -> sp.Basic:
    """∂out/∂operand as a matrix, or the map v ↦ VJP(v) where the Jacobian is no matrix."""
    operand = operands[share[0]]
    if not data["tensor"] and not _higher_rank([out, operand]):
        local = _attempt(lambda: symbolic.elementwise_local(data["op"], data["const"], out, operand), lambda: None)
        if local is not None and not symbolic.is_matrix(operand):
            return local
        if local is not None and operand.shape[1] == 1:
            return symbolic.Diagonal(local)

    def vjp_of(g, strict=True):
        forms = (_record_vjps if strict else vjp_forms)(data, g, out, operands)
        return sp.Add(*(forms[i] for i in share))

    jacobian = _attempt(lambda: symbolic.jacobian_form(vjp_of, out, operand), lambda: None)
    if jacobian is not None:
        return jacobian
    placeholder = symbolic.tensor_symbol("v", data["shape"])
    return symbolic.LinearMap(placeholder, vjp_of(placeholder, strict=False))


def _attempt(make, fallback):
    """``make()``, or ``fallback()`` where the record has no form or these shapes have no matrix reading."""
    try:
        return make()
    except (NoMatrixForm, SymdlError, ValueError, TypeError):  # SymPy refuses e.g. H(z) on a 1×1 z
        return fallback()
