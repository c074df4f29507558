"""A network of tensor ops, built eagerly as a symdl graph.

Each ``apply`` adds one node and computes its value at once, as PyTorch's eager
mode does, so a student can look at every intermediate; ``backward`` runs the VJPs
in reverse order of addition (a topological order) and sums over fan-out. Both do
NumPy work only. The symbolic side is built when ``Network.graph`` is first read
after a change (a printer or the worksheet asking). Its nodes follow the node schema
scalar graphs follow too (the table in :mod:`symdl.schema`): ``value`` and ``grad`` are
NumPy arrays of the node's ``shape``, ``symbol`` a matrix symbol
(:func:`symdl.tensor.symbolic.tensor_symbol`) named as a person reads the node (:meth:`Network.shown`),
``expr`` the value as a matrix expression of
the operands' symbols (``W x``, σ(z); a transpose node's own as Kᵀ, so Q Kᵀ, not Q KT), ``grad_form``
∂output/∂node as the sum of its consumers' VJP forms (after ``backward``); an op is a tensor record (``tensor`` True) or a
unary scalar op of :mod:`symdl.ops` applied element-wise, ``params`` its keywords;
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

from symdl import display
from symdl import graph as graphs
from symdl import ops
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.tensor import conv, heads, linalg, losses, registry, symbolic  # noqa: F401  (importing registers their ops)
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
    return [upstream * _elementwise_local(data["op"], data["const"])(value, operands[0])]


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


class Network(display.Displayed):
    """Inputs, parameters and ops with their values; ``backward(output)`` fills in gradients."""

    def __init__(self) -> None:
        self._nodes: dict[str, dict] = {}  # node data in the order added (operands first: a topological order)
        self._ops = 0  # op nodes added, for the default names
        self._shown: dict[str, str] = {}  # node → the name its layer gave it to be read by (see ``shown``)
        self._grads: dict[str, np.ndarray] = {}  # from the last backward: node → ∂output/∂node
        self._graph: Optional[graphs.Graph] = None  # the networkx graph with symbolic forms, built when read
        self.output: Optional[str] = None  # set by backward; printers then show values and gradients

    @property
    def graph(self) -> graphs.Graph:
        """The network as a symdl graph with its symbolic forms, built on the first read after a change
        (networkx bookkeeping and SymPy cost more than the arithmetic, so apply and backward do neither)."""
        if self._graph is None:
            graph = graphs.Graph(granularity="tensor")
            graph.add_nodes_from(self._nodes.items())
            graph.add_edges_from((u, v) for v, data in self._nodes.items() if data["kind"] == "op"
                                 for u in dict.fromkeys(data["inputs"]))
            for node, grad in self._grads.items():  # each edge's share again: backward keeps only the sums
                graph.nodes[node]["grad"] = grad
                if self._nodes[node]["kind"] == "op":
                    for operand, share in self._shares(node, grad).items():
                        graph.edges[operand, node]["contribution"] = share
            if self.output is not None:
                graph.graph["output"] = self.output
            self._annotate(graph)
            self._graph = graph
        return self._graph

    # --- leaves -------------------------------------------------------------------------
    def input(self, name: str, value, shown: Optional[str] = None) -> str:
        return self._leaf(name, value, "input", shown)

    def parameter(self, name: str, value, shown: Optional[str] = None) -> str:
        return self._leaf(name, value, "parameter", shown)

    def constant(self, name: str, value, shown: Optional[str] = None) -> str:
        return self._leaf(name, value, "constant", shown)

    def _leaf(self, name: str, value, kind: str, shown: Optional[str]) -> str:
        array = np.array(value, dtype=float)
        self._add(name, shown, kind=kind, value=array, shape=array.shape)
        return name

    def _add(self, name: str, shown: Optional[str], **data) -> None:
        if name in self._nodes:
            raise SymdlError(f"the network already has a node named {name!r}")
        self._nodes[name] = data
        self._shown = {node: other for node, other in self._shown.items() if other != name}  # an id is its own name
        if shown is not None and shown != name and shown not in self._nodes and shown not in self._shown.values():
            self._shown[name] = shown  # a name taken already (two layers' z_1) leaves the node its id
        self._graph = None

    def shown(self, node: str) -> str:
        """The name a person reads for ``node``, which its symbol carries into every printer: the one the
        layer that built it gave (c_1 for ``c1``, z_hi for ``i1.hh``), else the node's id."""
        return self._shown.get(node, node)

    # --- ops ------------------------------------------------------------------------------
    def apply(self, op_name: str, *inputs: str, name: Optional[str] = None, shown: Optional[str] = None,
              **params) -> str:
        """Add ``op_name(*inputs, **params)`` as a node named ``name`` (default ``q1, q2, …``), read as
        ``shown`` where that is given (see :meth:`shown`)."""
        try:
            values = [self._nodes[n]["value"] for n in inputs]
        except KeyError as missing:
            raise SymdlError(f"{op_name}: no node named {missing.args[0]!r} in this network") from None
        name = name or self._next_name()
        record = registry.TENSOR_REGISTRY.get(op_name)
        if record is not None:
            const, value = None, np.asarray(record.forward(*values, **params), dtype=float)
        else:
            op_name = _scalar_op_name(op_name)
            const, value = self._elementwise_forward(op_name, values, params)
        self._add(name, shown, kind="op", op=op_name, tensor=record is not None, inputs=inputs, params=params,
                  const=const, value=value, shape=value.shape)
        self._ops += 1
        return name

    def _elementwise_forward(self, op_name: str, values: list, params: dict) -> tuple[Optional[float], np.ndarray]:
        """The scalar op's folded constant and its value entry by entry."""
        op = ops.REGISTRY.get(op_name)
        if op is None or op.arity != 1 or len(values) != 1:
            raise SymdlError(f"{op_name!r} is neither a tensor op ({', '.join(sorted(registry.TENSOR_REGISTRY))}) "
                             f"nor a unary scalar op applied element-wise")
        const = op.constant(params)
        return const, np.asarray(op.numpy(values[0], const=const), dtype=float)

    def value(self, node: str) -> np.ndarray:
        return self._nodes[node]["value"]

    # --- backward -------------------------------------------------------------------------
    def backward(self, output: str) -> dict[str, np.ndarray]:
        """d(output)/d(node) for every node the output depends on; the output must be one number."""
        if self._nodes[output]["value"].size != 1:
            raise SymdlError(f"backward needs a scalar output; {output!r} has shape {self._nodes[output]['shape']}")
        self.output, self._graph = output, None
        nodes = self._nodes
        grads = {output: np.ones_like(nodes[output]["value"])}
        sums: set[str] = set()  # nodes whose gradient is an array this pass made, so adding into it aliases nothing
        for node in reversed(nodes):  # reverse order of addition: every consumer before its operands
            upstream = grads.get(node)
            if upstream is None or nodes[node]["kind"] != "op":
                continue
            for operand, contribution in self._shares(node, upstream).items():
                before = grads.get(operand)  # summed over fan-out; the operand's own VJP has not run yet
                if before is None:
                    grads[operand] = contribution
                elif operand in sums and isinstance(before, np.ndarray) and before.shape == np.shape(contribution):
                    np.add(before, contribution, out=before)  # no fresh array per consumer (a weight shared by T steps)
                else:
                    grads[operand] = before + contribution
                    sums.add(operand)
        self._grads = grads  # the shares are not kept: ~1 array less per fan-out edge, rebuilt when the graph is read
        return {node: grads[node] for node in nodes if node in grads}

    def _shares(self, node: str, upstream: np.ndarray) -> dict[str, np.ndarray]:
        """Each operand's share of ∂output/∂operand through ``node``, in its shape (summed where it is
        both operands, as in t ⊙ t)."""
        nodes, data = self._nodes, self._nodes[node]
        shares: dict[str, np.ndarray] = {}
        inputs = data["inputs"]
        for operand, share in zip(inputs, vjp(data, upstream, data["value"], [nodes[n]["value"] for n in inputs])):
            shape = nodes[operand]["shape"]
            if getattr(share, "shape", None) != shape:
                share = np.reshape(share, shape)
            shares[operand] = share + shares[operand] if operand in shares else share
        return shares

    def jacobian(self, node: str, operand: str) -> np.ndarray:
        """∂node/∂operand, shape node.shape + operand.shape, one VJP per output element."""
        data = self._nodes[node]
        return jacobian(data, data["value"], [self._nodes[n]["value"] for n in data["inputs"]], operand)

    # --- the symbolic side, for printers and the worksheet ------------------------------------
    def _annotate(self, graph: graphs.Graph) -> None:
        """Symbols, value forms, edge Jacobians and VJP forms, and the gradients' forms, on ``graph``."""
        nodes = graph.nodes
        for node, data in nodes(data=True):
            data["symbol"] = symbolic.tensor_symbol(self.shown(node), data["shape"])
            if data["kind"] != "op":
                data["flat"] = data["symbol"]
        reads = {node: data["symbol"] for node, data in nodes(data=True)}
        for node, data in nodes(data=True):
            if data["kind"] == "op":
                self._annotate_op(graph, node, data, [reads[i] for i in data["inputs"]])
                if isinstance(data["expr"], sp.Transpose):  # a transpose node: its value is Kᵀ itself
                    reads[node] = data["expr"]
        for node, data in nodes(data=True):
            if "grad" in data and node != self.output:
                data["grad_form"] = sp.Add(*(graph.edges[node, c]["vjp"] for c in graph.successors(node)
                                             if "grad" in nodes[c]))

    def _annotate_op(self, graph: graphs.Graph, node: str, data: dict, operands: list) -> None:
        """The op's forms in terms of ``operands``, its operands as later formulas read them: a transpose
        node as Kᵀ, so that a formula never shows its name, and its transpose reads K again."""
        out = data["symbol"]
        data["expr"] = value_form(data, operands)
        top = self.shown(self.output) if self.output else "L"
        upstream = (sp.Integer(1) if node == self.output
                    else symbolic.tensor_symbol(f"∂{top}/∂{self.shown(node)}", data["shape"]))
        vjps = vjp_forms(data, upstream, out, operands)
        for u in dict.fromkeys(data["inputs"]):
            edge = graph.edges[u, node]
            share = [i for i, name in enumerate(data["inputs"]) if name == u]
            edge["vjp"] = sp.Add(*(vjps[i] for i in share))
            edge["local"] = _local_form(data, share, out, operands)
            if data["value"].size * graph.nodes[u]["value"].size <= SMALL_JACOBIAN:
                edge["local_value"] = self.jacobian(node, u)

    def __repr__(self) -> str:
        return display.show("repr", self)

    # --- names ----------------------------------------------------------------------------
    def _next_name(self) -> str:
        count = self._ops + 1
        while f"q{count}" in self._nodes:
            count += 1
        return f"q{count}"


def _scalar_op_name(name: str) -> str:
    """The scalar op's own name for ``name`` or one of its record's spellings (``silu`` is swish,
    ``sigma`` sigmoid): an ``apply`` is a call. Unknown names are returned as given, for the error."""
    if name in ops.REGISTRY:
        return name
    return next((op.name for op in ops.REGISTRY.values() if name in (*op.spellings, *op.call_spellings)), name)


def value_form(data: dict, operands: list) -> sp.Basic:
    """The op node's value as a matrix expression of its operands' symbols; where it has none, as the
    record writes the step (X ∗ W, stride 2), and opaque only where the record writes none."""
    written = lambda: _written(data, operands)  # noqa: E731
    if _higher_rank(operands):
        return written()
    if not data["tensor"]:
        return _attempt(lambda: symbolic.elementwise_value(data["op"], data["const"], operands[0]), written)
    form = registry.get(data["op"]).value_form
    if form is None:
        return written()
    return _attempt(lambda: form(*operands, **data["params"]), written)


def _written(data: dict, operands: list) -> sp.Basic:
    record = registry.get(data["op"]) if data["tensor"] else None
    if record is None or record.written is None:
        return symbolic.opaque(data["op"], operands)
    return record.written(record, *operands, **data["params"])


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

    jacobian = _attempt(lambda: symbolic.jacobian_form(vjp_of, out, operand, data["expr"]), lambda: None)
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
