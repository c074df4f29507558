"""Computational graphs: a SymPy expression (or named steps) as a networkx DiGraph.

Edges run from operand to result. Node ids are strings: a leaf is named by its
symbol (``x``) or its value (``2``); an op node by its step name or a fresh
name (``q`` when it is the only intermediate, else ``q1, q2, …``; the output
is ``f``).

Node attributes follow the one node schema of scalar graphs and tensor networks, a table
in :mod:`symdl.schema`: here every node has shape ``()``, a leaf is ``"input"`` or
``"constant"``, ``const`` is the constant folded into the gate (``+1``, ``×2``, ``x^3``) and
``flat`` (``z*(x + y)``) is set on op nodes when the graph's ``expression`` is first read.

Edge attributes
    ``local``   d(result)/d(operand) in canonical form, written with node symbols
                (summed over positions when an operand appears twice, as in ``x**x``)
    after a backward pass also ``local_value`` (the local gradient's number) and
    ``contribution`` (global gradient of the result × local: the operand's share)

Graph attributes: ``output`` (the output node id), ``expression`` (the flat
expression, built on first read) and ``granularity``.

Granularity: ``gates`` splits everything into binary lecture gates (``*``,
``+``, ``×(−1)``, ``exp``, ``+1``, ``1/x``); ``ops`` keeps n-ary sums and
products; ``fused`` first recognises sigmoid, tanh and softplus written out in
exponentials and makes one gate of each.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Optional, Sequence, Union

import networkx as nx
import sympy as sp
from sympy.core.parameters import distribute

from symdl import display, ops
from symdl.errors import LimitError, SymdlError
from symdl.limits import LIMITS
from symdl.parsing import own_symbols, parse, parse_steps, symbol
from symdl.rewrite import canonical

GRANULARITIES = ("gates", "ops", "fused")


class Graph(nx.DiGraph):
    """A plain networkx DiGraph that also draws itself in Jupyter, and builds its
    ``expression`` on first read (see :class:`_Attributes`)."""

    def __init__(self, incoming_graph_data=None, **attr):
        super().__init__(incoming_graph_data, **attr)
        self.graph = _Attributes(self.graph, self)

    def _repr_svg_(self) -> str:
        return display.show("svg", self)


class _Attributes(dict):
    """Graph attributes whose ``expression`` (with every op node's ``flat``) is built when first
    read: from a long program of named steps that closed form costs exponential time (SymPy's
    assumption queries walk the whole tree), and differentiating never needs it."""

    def __init__(self, data: dict, owner: nx.DiGraph):
        super().__init__(data)
        self.owner = owner

    def __missing__(self, key):
        if key != "expression" or "output" not in self:
            raise KeyError(key)
        self["expression"] = _flatten(self.owner)
        return self["expression"]


Gate = tuple[str, tuple[sp.Expr, ...], Optional[sp.Expr]]  # (op name, operand expressions, const)
Source = Union[str, sp.Expr, Sequence[tuple[str, sp.Expr]], nx.DiGraph]


def build(source: Source, granularity: str = "gates") -> nx.DiGraph:
    """A graph from expression text, named-steps text (``q = x + y; f = q*z``), a SymPy
    expression, or a list of ``(name, expr)`` steps. A graph passes through unchanged."""
    if isinstance(source, nx.DiGraph):
        return _checked(source)
    if granularity not in GRANULARITIES:
        raise SymdlError(f"unknown granularity {granularity!r}; choose one of {', '.join(GRANULARITIES)}")
    return from_steps(steps_of(source), granularity)


def steps_of(source: Union[str, sp.Expr, Sequence[tuple[str, sp.Expr]]]) -> list[tuple[Optional[str], sp.Expr]]:
    """The ``(name, expr)`` steps of expression text, named-steps text, a SymPy expression (one
    step named ``None``) or a list of steps, each step's expression a SymPy expression."""
    if isinstance(source, str):
        source = parse_steps(source) if "=" in source else parse(source)
    if isinstance(source, sp.Basic):
        return [(None, source)]
    return [(name, _as_expr(expr)) for name, expr in source]


_NODE_KEYS = {"input": ("symbol",), "parameter": ("symbol",), "constant": ("symbol",), "op": ("op", "const", "inputs", "symbol", "expr")}


def _checked(graph: nx.DiGraph) -> nx.DiGraph:
    """A graph given whole must have this module's schema (see the docstring); one built by hand
    usually lacks it, and would otherwise fail deep inside with a bare ``KeyError``."""
    missing = [] if "output" in graph.graph and graph.graph["output"] in graph else ["the graph's 'output' node"]
    for node, data in graph.nodes(data=True):
        kind = data.get("kind")
        if kind not in _NODE_KEYS:
            missing.append(f"node {node!r}'s 'kind' (one of {', '.join(_NODE_KEYS)})")
        else:
            missing.extend(f"node {node!r}'s {key!r}" for key in _NODE_KEYS[kind] if key not in data)
    missing.extend(f"edge {u!r}→{v!r}'s 'local'" for u, v, data in graph.edges(data=True) if "local" not in data)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise SymdlError(f"this graph lacks {shown}; build graphs with symdl.build_graph (expression text, "
                         "a SymPy expression or named steps)")
    return graph


def from_steps(steps: Sequence[tuple[Optional[str], sp.Expr]], granularity: str = "gates") -> nx.DiGraph:
    """Build one graph from named steps; a step's name may appear in later steps.
    A step named ``None`` is the anonymous output of a single expression."""
    step_names = {name for name, _ in steps if name is not None}
    collected: dict[sp.Expr, Gate] = {}  # op subexpression -> its gate, in post-order
    roots = []
    for name, expr in steps:
        expr = _as_expr(expr)
        if granularity == "fused":
            expr = canonical(expr)
        _collect(expr, granularity, collected)
        if name is not None and expr not in collected:
            raise SymdlError(f"step {name!r} = {expr} only renames a value; use it directly")
        roots.append((name, expr))
    leaves = _leaves(collected, roots, step_names)
    ids = _name_nodes(collected, roots, taken=step_names | {_leaf_id(leaf) for leaf in leaves})
    output = roots[-1][1]
    graph = Graph(output=ids[output] if output in ids else _leaf_id(output), granularity=granularity)
    for leaf in leaves:
        _add_leaf(graph, leaf)
    symbols_of = {expr: symbol(node) for expr, node in ids.items()}
    for expr, (op_name, operands, const) in collected.items():
        _add_gate(graph, ids[expr], symbols_of[expr], op_name, operands, const, ids, symbols_of, step_names)
    return graph  # graph.graph["expression"] is built when first read


def _as_expr(value: Union[str, int, float, sp.Expr]) -> sp.Expr:
    """API convenience: a step may be text or a Python number as well as a SymPy expression."""
    if isinstance(value, str):
        return parse(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, sp.Basic)):
        raise SymdlError(f"a step must be an expression, not {type(value).__name__}")
    if isinstance(value, sp.Basic):
        return own_symbols(value)[0]  # a SymPy user's plain Symbol('x') is symdl's x
    return sp.Integer(value) if isinstance(value, int) else sp.Float(value)


def _collect(root: sp.Expr, granularity: str, collected: dict) -> None:
    """Post-order walk (iterative, so deep expressions cannot hit Python's recursion limit)."""
    stack: list[tuple[sp.Expr, Optional[Gate]]] = [(root, None)]
    orders: dict[sp.Expr, list[sp.Expr]] = {}  # the printed order of sums and products split off longer ones
    while stack:
        expr, gate = stack.pop()
        if gate is not None:
            collected[expr] = gate
            if len(collected) > LIMITS.max_nodes:
                raise LimitError("graph size", len(collected), "max_nodes", LIMITS.max_nodes)
        elif expr not in collected and not _is_leaf(expr):
            gate = split(expr, granularity, orders)
            stack.append((expr, gate))
            stack.extend((operand, None) for operand in reversed(gate[1]))


def _is_leaf(expr: sp.Expr) -> bool:
    """Symbols and finite numbers; tested on atoms only, as SymPy's ``is_number`` recurses."""
    if not expr.is_Atom:
        return False
    if expr.is_number and not expr.is_finite:
        raise SymdlError(f"{expr} is not a finite number")
    return True


def split(expr: sp.Expr, granularity: str, orders: Optional[dict] = None) -> Gate:
    """The top gate of ``expr``: which op, on which operand subexpressions, with which constant.
    ``orders`` holds the printed order of the sums and products split off longer ones, so a sum of n
    terms is sorted once, not n times (which cost O(n² log n): 58 s for 500 terms)."""
    orders = {} if orders is None else orders
    if expr.is_Add:
        return _split_add(expr, granularity, orders)
    if expr.is_Mul:
        return _split_mul(expr, granularity, orders)
    if expr.is_Pow:
        return _split_pow(expr, granularity)
    op = ops.by_head(type(expr))
    if op is None:
        raise SymdlError(f"symdl has no gate for {type(expr).__name__} (in {expr})")
    args = tuple(expr.args)
    if op.arity is None and len(args) > LIMITS.max_arguments:  # a SymPy Max given whole, not parsed
        raise LimitError(f"the number of arguments of {op.name}", len(args), "max_arguments", LIMITS.max_arguments)
    if op.params:
        return (op.name, *op.fold(args))
    if op.arity is None and granularity == "gates" and len(args) > 2:
        return (op.name, (type(expr)(*args[:-1]), args[-1]), None)
    return (op.name, args, None)


def _split_add(expr: sp.Add, granularity: str, orders: dict) -> Gate:
    const, rest = expr.as_coeff_Add()
    if const != 0:
        return ("shift", (rest,), const)
    terms = orders.pop(expr, None) or expr.as_ordered_terms()  # the printed order, so gates read left to right
    negative = [-t for t in terms if t.could_extract_minus_sign()]
    positive = [t for t in terms if not t.could_extract_minus_sign()]
    if negative and positive:
        return ("sub", (sp.Add(*positive), sp.Add(*negative)), None)
    if negative:
        return ("neg", (sp.Add(*negative),), None)
    return _nary(expr, positive, granularity, orders)


def _split_mul(expr: sp.Mul, granularity: str, orders: dict) -> Gate:
    coeff, rest = expr.as_coeff_Mul()
    if coeff == -1:
        return ("neg", (rest,), None)
    if coeff != 1:
        return ("scale", (rest,), coeff)
    numerator, denominator = [], []
    for factor in orders.pop(expr, None) or expr.as_ordered_factors():
        if factor.is_Pow and factor.exp.is_number and factor.exp.is_negative:
            denominator.append(factor.base ** -factor.exp)
        else:
            numerator.append(factor)
    if denominator and numerator:
        return ("div", (sp.Mul(*numerator), sp.Mul(*denominator)), None)
    if denominator:
        return ("reciprocal", (sp.Mul(*denominator),), None)
    return _nary(expr, numerator, granularity, orders)


def _split_pow(expr: sp.Pow, granularity: str) -> Gate:
    base, exponent = expr.args
    if exponent.is_number:
        if exponent == -1:
            return ("reciprocal", (base,), None)
        if exponent.is_negative and granularity == "gates":
            return ("reciprocal", (base**-exponent,), None)
        if exponent == sp.S.Half:
            return ("sqrt", (base,), None)
        return ("powc", (base,), exponent)
    if base.is_number:
        return ("expc", (exponent,), base)
    return ("pow", (base, exponent), None)


def _nary(expr: sp.Expr, terms: list, granularity: str, orders: dict) -> Gate:
    """An add or mul gate of all of ``expr``'s ``terms`` (in printed order); binary for lecture gates:
    the sum of all but the last, and the last."""
    name = "add" if expr.is_Add else "mul"
    if granularity != "gates" or len(terms) <= 2:
        return (name, tuple(terms), None)
    # the others, still in SymPy's order and with no like terms to combine: no flatten, no sort, no
    # comparisons of expressions (the terms are expr's own objects, found by identity)
    at = [id(t) for t in expr.args].index(id(terms[-1]))
    head = type(expr)._from_args(expr.args[:at] + expr.args[at + 1:], expr.is_commutative)
    orders[head] = terms[:-1]  # dropping a term keeps the others' printed order
    return (name, (head, terms[-1]), None)


def _leaves(collected: dict, roots: list, step_names: set[str]) -> list[sp.Expr]:
    """Every leaf, inputs in name order then constants, so graphs of equal expressions match.
    A symbol named after an earlier step is that step's node, not a leaf."""
    found = set()
    for _, operands, _ in collected.values():
        found.update(o for o in operands if o not in collected)
    found.update(expr for _, expr in roots if expr not in collected)
    found = {leaf for leaf in found if not (isinstance(leaf, sp.Symbol) and leaf.name in step_names)}
    return sorted(found, key=lambda leaf: (not isinstance(leaf, sp.Symbol), sp.default_sort_key(leaf)))


def _leaf_id(leaf: sp.Expr) -> str:
    return leaf.name if isinstance(leaf, sp.Symbol) else str(leaf)


def _name_nodes(collected: dict, roots: list, taken: set[str]) -> dict[sp.Expr, str]:
    """Step names where given; otherwise ``f`` for the output and ``q``/``q1…`` for the rest."""
    ids: dict[sp.Expr, str] = {}
    for name, expr in roots:
        if name is not None and expr in ids:
            raise SymdlError(f"steps {ids[expr]!r} and {name!r} compute the same value {expr}")
        if name is not None:
            ids[expr] = name
    output = roots[-1][1]
    if output in collected and output not in ids:
        ids[output] = _fresh(["f", "f_out", "output"], taken)
        taken = taken | {ids[output]}
    unnamed = [expr for expr in collected if expr not in ids]
    candidates = ["q"] if len(unnamed) == 1 else (f"q{i}" for i in itertools.count(1))
    taken = set(taken)  # one copy, then grown in place: a copy per node is quadratic
    for expr in unnamed:
        ids[expr] = _fresh(candidates, taken)
        taken.add(ids[expr])
    return ids


def _fresh(candidates: Iterable[str], taken: set[str]) -> str:
    for name in itertools.chain(candidates, (f"node{i}" for i in itertools.count(1))):
        if name not in taken:
            return name
    raise AssertionError("unreachable: the counter never ends")


def _add_leaf(graph: nx.DiGraph, leaf: sp.Expr) -> None:
    is_input = isinstance(leaf, sp.Symbol)
    graph.add_node(_leaf_id(leaf), kind="input" if is_input else "constant",
                   symbol=symbol(leaf.name) if is_input else leaf, flat=leaf, shape=())


def _add_gate(graph, node_id, node_symbol, op_name, operands, const, ids, symbols_of, step_names) -> None:
    op = ops.get(op_name)
    operand_ids = tuple(ids[o] if o in ids else _leaf_id(o) for o in operands)
    operand_symbols = tuple(symbols_of.get(o, graph.nodes[i]["symbol"]) for o, i in zip(operands, operand_ids))
    params = {op.params[0].name: const} if op.params and const is not None else {}
    graph.add_node(node_id, kind="op", op=op_name, tensor=False, const=const, params=params, inputs=operand_ids,
                   symbol=node_symbol, expr=op.forward(operand_symbols, const), shape=())
    locals_ = op.local(node_symbol, operand_symbols, const)
    for operand_id, local in zip(operand_ids, locals_):
        if graph.has_edge(operand_id, node_id):  # the same operand twice: the chain rule sums
            graph.edges[operand_id, node_id]["local"] += local
        else:
            graph.add_edge(operand_id, node_id, local=local)


def _flatten(graph: nx.DiGraph) -> sp.Expr:
    """Each node's expression over the leaves (stored as ``flat``), its products as the graph has them
    (2·(xy + max(z, w)), not SymPy's distributed 2xy + 2max(z, w)); returns the output's."""
    with distribute(False):
        for node in topological_order(graph):
            data = graph.nodes[node]
            if data["kind"] == "op":
                operands = {graph.nodes[i]["symbol"]: graph.nodes[i]["flat"] for i in data["inputs"]}
                data["flat"] = data["expr"].xreplace(operands)
    return graph.nodes[graph.graph["output"]]["flat"]


def topological_order(graph: nx.DiGraph) -> list[str]:
    """Operands before results; among equals, the order nodes were added (leaves, then gates
    in the order they are read), so tables and diagrams list q1, q2, … in sequence."""
    added = {node: i for i, node in enumerate(graph.nodes)}
    return list(nx.lexicographical_topological_sort(graph, key=added.__getitem__))


def op_nodes(graph: nx.DiGraph) -> list[str]:
    """The op nodes in topological order (leaves first, output last)."""
    return [n for n in topological_order(graph) if graph.nodes[n]["kind"] == "op"]


def inputs(graph: nx.DiGraph) -> list[str]:
    """The input leaves, in name order."""
    return sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "input")
