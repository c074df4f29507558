"""The element-wise expansion of a small tensor network: every entry of every node as
a SymPy expression of the leaves' entries (W[0,1] becomes the symbol ``W_0_1``).

This is how a student checks the matrix-calculus form against the scalar one: the
gradient of the expanded output, entry by entry, equals the network's VJP backward.
Tensor ops expand through their registry ``symbolic`` form, element-wise scalar ops
through the scalar registry's forward form; constants stay numbers.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.errors import LimitError
from symdl.parsing import symbol
from symdl.tensor import registry
from symdl.tensor.network import Network

MAX_ENTRIES = 512  # the expansion is for small shapes: beyond this, its expressions stop being readable


def entry_symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The leaf's entries as symbols ``name_i_j`` (just ``name`` for a scalar)."""
    if shape == ():
        return np.array(symbol(name), dtype=object)
    symbols = [symbol("_".join([name, *map(str, index)])) for index in np.ndindex(*shape)]
    return np.array(symbols, dtype=object).reshape(shape)


def expand(net: Network) -> dict[str, np.ndarray]:
    """Every node as an object array of SymPy expressions, in topological order."""
    total = sum(d["value"].size for _, d in net.graph.nodes(data=True))
    if total > MAX_ENTRIES:
        raise LimitError("entries to expand element-wise", total, "tensor.expand.MAX_ENTRIES", MAX_ENTRIES)
    expanded: dict[str, np.ndarray] = {}
    for node in graphs.topological_order(net.graph):
        data = net.graph.nodes[node]
        if data["kind"] == "constant":
            expanded[node] = np.vectorize(sp.nsimplify, otypes=[object])(data["value"])
        elif data["kind"] != "op":
            expanded[node] = entry_symbols(node, data["shape"])
        elif data["tensor"]:
            operands = [_to_sympy(expanded[i]) for i in data["inputs"]]
            result = registry.get(data["op"]).symbolic(*operands, **data["params"])
            expanded[node] = np.array(result.tolist(), dtype=object).reshape(data["shape"])
        else:
            op = ops.get(data["op"])
            const = _exact(op.constant(data["params"]))
            expanded[node] = np.vectorize(lambda e: op.forward((e,), const), otypes=[object])(expanded[data["inputs"][0]])
    return expanded


def elementwise_gradient(net: Network, output: str, wrt: str) -> np.ndarray:
    """∂output/∂wrt entry by entry, differentiated by SymPy from the expansion."""
    expanded = expand(net)
    (scalar,) = expanded[output].reshape(-1)
    leaves = entry_symbols(wrt, net.graph.nodes[wrt]["shape"])
    return np.vectorize(lambda s: sp.diff(scalar, s), otypes=[object])(leaves)


def values_of(net: Network) -> dict[sp.Symbol, float]:
    """Each leaf entry's symbol with its number, to evaluate an expansion at the network's point."""
    point = {}
    for node, data in net.graph.nodes(data=True):
        if data["kind"] in ("input", "parameter"):
            symbols = entry_symbols(node, data["shape"])
            point.update(zip(symbols.reshape(-1), data["value"].reshape(-1).tolist()))
    return point


def _to_sympy(array: np.ndarray) -> np.ndarray:
    """The operand as an object array of its own shape. A registry ``symbolic`` form reads an
    n×1 Matrix as the vector (n,), so a Matrix would turn an n×1 weight into a vector (and
    W x with input size 1 would fail); an object array means its shape exactly, as NumPy does."""
    return np.asarray(array, dtype=object)


def _exact(value):
    return None if value is None else sp.nsimplify(value)
