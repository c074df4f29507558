"""The backward pass as two booktabs tables (the nodes in forward order, then the edges), and the
cells of a table of arrays.

Each row is ``cell & cell & ...`` with every formula in its own ``$...$``, so a reader (or a test)
can take a row apart; the wide columns wrap rather than shrink (:func:`symdl.printing.latex_layout.table`).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from symdl import graph as graphs
from symdl import ops
from symdl.printing import latex_layout as layout
from symdl.printing.texsafe import latex_of, tex_escape, tex_number


def node_name(g: nx.DiGraph, node: str) -> str:
    """A node as the formulas write it (``q1`` → ``q_{1}``), through the safe printer."""
    return latex_of(g.nodes[node]["symbol"])


def backprop_tables(r) -> str:
    """Two booktabs tables: the nodes in forward order, then the backward pass edge by edge."""
    return _node_table(r) + "\n" + _edge_table(r)


def _node_table(r) -> str:
    g = r.graph
    rows = []
    for node in graphs.topological_order(g):
        data = g.nodes[node]
        if data["kind"] == "op":
            operands = [node_name(g, i) for i in data["inputs"]]
            op = f"${ops.gate(data).tex(operands, data['const'])}$"
            local = layout.cell_lines([f"${_local(g, u, node)}$" for u in dict.fromkeys(data["inputs"])])
        else:
            op, local = f"\\textit{{{data['kind']}}}", ""
        grad = data.get("grad")
        rows.append(f"${node_name(g, node)}$ & {op} & ${tex_number(data['value'])}$ & {local} & "
                    f"{'' if grad is None else f'${tex_number(grad)}$'}")
    return layout.table(f"llr{layout.WRAP}r", ["node", "op", "value", "local gradients", "global gradient"], rows)


def _local(g: nx.DiGraph, operand: str, node: str) -> str:
    """∂node/∂operand = symbolic = evaluated; the symbolic part is dropped when it is a number."""
    edge = g.edges[operand, node]
    symbolic = "" if edge["local"].is_Number else f" = {latex_of(edge['local'])}"
    value = f" = {tex_number(edge['local_value'])}" if "local_value" in edge else ""  # none for a large Jacobian
    return f"{_partial(g, node, operand)}{symbolic}{value}"


def _edge_table(r) -> str:
    """Each edge operand → node: global gradient of node × local gradient = its share of the operand's."""
    g, out = r.graph, r.output
    rows = []
    for node in reversed(graphs.op_nodes(g)):
        upstream = g.nodes[node].get("grad")
        if upstream is None:  # the output does not depend on this node
            continue
        for operand in dict.fromkeys(g.nodes[node]["inputs"]):
            edge = g.edges[operand, node]
            numbers = (f"${tex_number(upstream)} \\cdot {_factor(edge['local_value'])}$"
                       if "local_value" in edge else "")
            rows.append(f"${node_name(g, operand)} \\to {node_name(g, node)}$ & "
                        f"${_partial(g, out, node)} \\cdot {_partial(g, node, operand)}$ & "
                        f"{numbers} & ${tex_number(edge['contribution'])}$")
    return (layout.table(f"l{layout.WRAP}{layout.WRAP}r", ["edge", "global $\\cdot$ local", "numbers", "product"],
                         rows)
            + "A node's global gradient is the sum of the products on its outgoing edges.\n")


def _partial(g: nx.DiGraph, top: str, bottom: str) -> str:
    return f"\\partial {node_name(g, top)}/\\partial {node_name(g, bottom)}"


def _factor(value) -> str:
    """A number as the right operand of a product: parenthesised when negative."""
    negative = not isinstance(value, np.ndarray) and value < 0
    return f"\\left({tex_number(value)}\\right)" if negative else tex_number(value)


def array_cell(value) -> str:
    """An array as a matrix; one too large or of more than two axes as text, which may wrap."""
    tex = tex_number(value)
    return tex_escape(tex[len("\\text{"):-1]) if tex.startswith("\\text{") else f"${tex}$"
