"""Issue 12, item 2: every printed equation is true.

Each formula the printers show is read back with symdl's own parsers (``parse_latex`` for the
LaTeX pages, ``parse`` for the text sheets), evaluated with the numbers printed beside it, and
compared with the result printed after it, to the digits printed (six significant). What is read:

* the LaTeX node table of every gallery circuit: the gate's formula (``q = x + y``) at the printed
  operand values gives the printed value; each local gradient's formula (``∂f/∂q = z``) at the
  printed values gives the printed local gradient;
* the LaTeX edge table: the printed product ``upstream · local`` gives the printed share, its two
  numbers are the node table's global and local gradients, and a node's global gradient is the sum
  of its outgoing shares (as the sentence under the table says);
* the "Worked steps" of every example's LaTeX worksheet, and every line of its text worksheet
  (``f1 = w0*x0 = 2*(-1) = -2``): each formula at the sheet's own printed numbers.

Not parseable, so checked on the printers' source data instead: matrix formulas of tensor sheets
(``W₁ x``, element-wise forms, Z₁ + M, X ∗ W with its stride), whose printed values are arrays — there
the formula the printers show (``Quantity.expr``), evaluated by NumPy at the sheet's values, and each
quantity's own step (``recompute``) must give its value; and derivation steps, which hold no
numbers (``tests/test_derive.py::test_every_step_is_a_true_equation`` checks each step's two sides).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from symdl import examples as bundled
from symdl.backprop import backprop
from symdl.errors import SymdlError
from symdl.gallery import SEED_CIRCUITS
from symdl.parsing import parse, parse_latex
from symdl.printing import latex_tables, latex_worksheets
from symdl.tensor.symbolic import evaluate as evaluate_form
from symdl.worksheet import load, solve

EXAMPLES = bundled.problem_files()
DIGITS = 6  # format_value prints six significant digits


def agrees(computed: float, printed: float, terms: float = 0.0) -> bool:
    """``computed`` rounds to ``printed`` at the printed precision; a sum of printed, rounded terms
    that cancel (to 0) may differ by their rounding, so ``terms`` is the size of its largest term."""
    scale = max(abs(printed), abs(computed), terms)
    return scale == 0 or abs(computed - printed) <= 1.5 * 10 ** (-DIGITS + 1) * scale


def evaluate(expr: sp.Expr, env: dict[sp.Symbol, float]) -> float:
    missing = expr.free_symbols - set(env)
    assert not missing, f"{expr} names {missing}, which the page does not show"
    return float(sp.N(expr.xreplace({s: sp.Float(v, 30) for s, v in env.items()}), 30))


def math_cells(row: str) -> list[str]:
    """The cells of a LaTeX table row, each with its ``$…$`` stripped."""
    return [cell.strip().strip("$").strip() for cell in row.split(" & ")]


def read_latex(tex: str) -> sp.Expr:
    """``parse_latex``, with two notations it does not read spelled as the functions they stand for:
    H(x), the Heaviside step, and ⌊x⌋, the floor."""
    for notation, function in (("H\\left(", "\\operatorname{heaviside}\\left("),
                               ("\\left\\lfloor", "\\operatorname{floor}\\left("),
                               ("\\right\\rfloor", "\\right)"),
                               ("\\lfloor", "\\operatorname{floor}\\left("), ("\\rfloor", "\\right)")):
        tex = tex.replace(notation, function)
    return parse_latex(tex)


def largest_term(expr: sp.Expr, env: dict) -> float:
    return max(abs(evaluate(term, env)) for term in sp.Add.make_args(expr))


def top_level_terms(text: str) -> list[str]:
    """The terms of a printed sum, split at each `` + `` or `` - `` outside parentheses (``parse``
    adds numbers up at once, so the sizes of the terms must be read before it)."""
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text[i:i + 3] in (" + ", " - ", " \u2212 "):
            terms.append(text[start:i])
            start = i + 3
    return terms + [text[start:]]


def number(tex: str) -> float:
    return float(read_latex(tex))


# --- the gallery's circuits: LaTeX node and edge tables --------------------------------------------
def table_rows(tex: str, header: str) -> list[str]:
    block = tex.split(header, 1)[1].split("\\bottomrule", 1)[0]
    return [row.strip() for row in block.split("\\midrule", 1)[1].split("\\\\\n") if row.strip()]


def node_table(tex: str):
    """name → (symbol, value, global gradient, [(operand symbol, formula or None, local value)], op formula)."""
    nodes = {}
    for row in table_rows(tex, "node & op & value"):
        name, op, value, _, grad = math_cells(row)
        local = row.split(" & ")[3]  # its formulas keep their $…$: a stacked cell holds several
        locals_ = []
        for entry in re.findall(r"\$([^$]*)\$", local):
            parts = [p.strip() for p in entry.split(" = ")]
            operand = re.match(r"\\partial (.+)/\\partial (.+)", parts[0]).group(2)
            locals_.append((operand, parts[1] if len(parts) == 3 else None, number(parts[-1])))
        nodes[name] = (read_latex(name), number(value), number(grad) if grad else None, locals_,
                       None if op.startswith("\\textit") else op)
    return nodes


# max at a tie routes half the gradient to each input, H(0, 1/2) = 1/2: a step printed as H(x − y), which
# the page defines as 0 at 0, would be a false equation there
TIES = {"max_tie": ("max(x, y)", {"x": 1.5, "y": 1.5}), "max_gate_tie": ("2*(x*y + max(z, w))",
                                                                       {"x": 3, "y": -4, "z": 2, "w": 2})}
TABLES = {**{c.slug: (c.source, c.at) for c in SEED_CIRCUITS}, **TIES}


@pytest.mark.parametrize("source, at", TABLES.values(), ids=TABLES)
def test_every_gallery_table_equation_is_true(source, at):
    tex = latex_tables.backprop_tables(backprop(source, at))  # the tables of the gallery's .tex
    nodes = node_table(tex)
    env = {symbol: value for symbol, value, *_ in nodes.values()}
    checked = 0
    for name, (symbol, value, grad, locals_, op) in nodes.items():
        if op is not None:  # q = x + y: the gate at the printed operand values gives the printed value
            assert agrees(evaluate(read_latex(op), env), value), (name, op, value)
            checked += 1
        for operand, formula, local in locals_:
            if formula is not None:
                assert agrees(evaluate(read_latex(formula), env), local), (name, operand, formula, local)
                checked += 1
    shares: dict[str, float] = {}
    for row in table_rows(tex, "edge & global"):
        edge, _, numbers, product = math_cells(row)
        operand, node = (part.strip() for part in edge.split("\\to"))
        upstream, local = (number(p) for p in numbers.split("\\cdot"))
        assert agrees(upstream * local, number(product)), row
        assert upstream == nodes[node][2], row  # the upstream number is the node's printed global gradient
        assert local in [v for o, _, v in nodes[node][3] if o == operand], row  # and the printed local one
        shares[operand] = shares.get(operand, 0.0) + number(product)
        checked += 1
    for operand, total in shares.items():  # "a node's global gradient is the sum of the products"
        assert agrees(total, nodes[operand][2]), (operand, total)
    assert checked >= len(nodes)


# --- the example worksheets: LaTeX worked steps and text lines -------------------------------------
def shown_values(solution) -> dict:
    """Each scalar quantity's printed value, by the name the sheets write it with."""
    return {key: float(np.asarray(q.value)) for key, q in solution.quantities.items()
            if not isinstance(q.value, sp.Basic) and np.size(q.value) == 1}


MAX_GATE_AT_A_TIE = "max_gate_tie"  # the max_gate example with w = z, its inputs tied


@pytest.fixture(scope="module", params=[*EXAMPLES, MAX_GATE_AT_A_TIE], ids=[p.stem for p in EXAMPLES] + [MAX_GATE_AT_A_TIE])
def solution(request, tmp_path_factory):
    if request.param != MAX_GATE_AT_A_TIE:
        return solve(load(str(request.param)))
    source = next(p for p in EXAMPLES if p.stem == "max_gate").read_text()
    assert "z = 2, w = -1" in source
    tied = tmp_path_factory.mktemp("tie") / f"{MAX_GATE_AT_A_TIE}.toml"
    tied.write_text(source.replace("z = 2, w = -1", "z = 2, w = 2"))
    return solve(load(str(tied)))


def test_every_worked_step_in_latex_is_true(solution):
    """``f_{1} &= w_{0} x_{0} = -2``: the formula at the sheet's printed numbers is the printed value."""
    scalars = shown_values(solution)
    env = {read_latex(latex_worksheets.quantity_name(k)): v for k, v in scalars.items() if not k.startswith("d")}
    for line in latex_worksheets.worksheet_steps(solution).split("\\\\\n"):
        parts = [p.strip() for p in line.removeprefix("\\begin{align*}\n").split("\\end{align*}")[0]
                 .replace("&=", "=").split(" = ")]
        if len(parts) < 3 or "bmatrix" in line or "\\text" in line:
            continue  # a bare value, or an array: the source-data test below checks those
        try:
            formula = read_latex(parts[1])
        except SymdlError:  # a matrix form (tr(·), 𝟙): the source-data test below evaluates it
            assert solution.problem.kind == "network", line
            continue
        value = number(parts[-1])
        if formula.free_symbols <= set(env):
            assert agrees(evaluate(formula, env), value, largest_term(formula, env)), line


MATRIX_NOTATION = r"𝟙|ᵀ|⊙|‖|\btr\(|\w \w"  # the ones, a transpose, a Hadamard, a norm or a matrix product (W1 x)


def quantity_lines(solution) -> list[list[str]]:
    """Each quantity's line of the text sheet, cut at `` = `` into its pieces (name, formulas, value),
    without the bracketed reason; the title (underlined: the problem as its author wrote it, f = x + y z),
    the notes and the derivation above are not quantities' lines."""
    labels = {q.label for q in solution.quantities.values()}
    sheet = solution.lines()
    titles = {line for line, under in zip(sheet, sheet[1:]) if under and set(under) == {"="}}
    lines = [[p.strip() for p in line.split("    [")[0].split(" = ")] for line in sheet if line not in titles]
    return [pieces for pieces in lines if len(pieces) > 1 and pieces[0] in labels]


def test_every_worked_line_in_text_is_true(solution):
    """``f1 = w0·x0 = 2·(−1) = −2``, ``∂f8/∂f6 = ∂f8/∂f7·∂f7/∂f6 = (−0.534447)·1 = −0.534447``: every
    piece of a scalar quantity's line is read by ``parse`` as printed, each name standing for the value
    the sheet prints for it (a gradient's name ∂f8/∂f7 replaced by its printed value), and gives the
    printed value. Only an array's line (``[[0.1, …``) and a matrix form (``W1 x``, ``𝟙 u``) are left to
    the source-data test below, and only on a network's sheet: no other piece may fail to parse."""
    lines = quantity_lines(solution)
    printed = {}  # a quantity's name on the sheet -> its printed value, as printed
    for pieces in lines:
        try:
            last = parse(pieces[-1])
        except SymdlError:
            assert solution.problem.kind == "network" and pieces[-1].startswith("["), pieces
            continue
        if last.is_number:
            printed[pieces[0]] = pieces[-1]
    symbols = {n: _symbol_or_none(n) for n in printed}
    env = {s: float(parse(printed[n])) for n, s in symbols.items() if isinstance(s, sp.Symbol)}
    names = sorted((n for n, s in symbols.items() if not isinstance(s, sp.Symbol)), key=len, reverse=True)
    scalar_lines = [p for p in lines if p[0] in printed and len(p) > 2]
    matrix = sum(bool(re.search(MATRIX_NOTATION, piece)) for p in scalar_lines for piece in p[1:-1]
                 if solution.problem.kind == "network")
    checked = 0
    for pieces in scalar_lines:
        value = float(parse(pieces[-1]))
        for piece in pieces[1:-1]:
            for name in names:  # ∂f8/∂f7, ∂params/∂c_out (local): a gradient's name, as its printed number
                piece = piece.replace(name, f"({printed[name]})")
            if solution.problem.kind == "network" and re.search(MATRIX_NOTATION, piece):
                continue  # a matrix form giving a number (𝟙ᵀ u, ½‖Y − T‖²): the source-data test evaluates it
            expr = parse(piece)
            assert expr.free_symbols <= set(env), (pieces, expr.free_symbols - set(env))
            terms = max(abs(evaluate(parse(term), env)) for term in top_level_terms(piece))
            assert agrees(evaluate(expr, env), value, terms), pieces
            checked += 1
    assert checked == sum(len(p) - 2 for p in scalar_lines) - matrix  # every piece, counted on the sheet
    assert checked or solution.problem.kind == "network"


def _symbol_or_none(name: str) -> sp.Expr | None:
    """What a printed name reads as (cᵢₙ is c_in), or None where it is not an expression (∂f/∂q)."""
    try:
        return parse(name)
    except SymdlError:
        return None


def test_every_quantity_is_its_own_step_at_the_sheet_numbers(solution):
    """The source data of every sheet, arrays included: each quantity's step (``recompute``),
    fed the sheet's own values of what it depends on, gives the value the sheet prints."""
    values = {k: q.value for k, q in solution.quantities.items()}
    for key, q in solution.quantities.items():
        if q.recompute is None or isinstance(q.value, sp.Basic):
            continue
        again = np.asarray(q.recompute({d: values[d] for d in q.depends}), dtype=float)
        np.testing.assert_allclose(again, np.asarray(q.value, dtype=float), rtol=1e-9, atol=1e-12, err_msg=key)


def test_every_printed_tensor_formula_is_true_at_the_sheet_numbers(solution):
    """The formula each printer shows for a tensor step (``Quantity.expr``: X W_Q, Q[:, 1–2], Z₁ + M with
    M's −∞ entries, X ∗ W with its stride and padding, γ ⊙ (Z − μ)/√(σ² + ε) + β) evaluated by NumPy at
    the sheet's own values of its symbols gives the value printed beside it."""
    if solution.problem.kind != "network":
        pytest.skip("a scalar sheet: its formulas are re-parsed above")
    values = {key: np.asarray(q.value, dtype=float) for key, q in solution.quantities.items()
              if not isinstance(q.value, sp.Basic)}
    upstream = {f"∂{key[1:].replace('/d', '/∂', 1)}": v for key, v in values.items() if key.startswith("d")}
    checked = 0
    for key, q in solution.quantities.items():
        if q.expr is None or q.kind not in ("value", "gradient"):
            continue
        printed = evaluate_form(q.expr, {**values, **upstream})
        np.testing.assert_allclose(np.reshape(printed, np.shape(q.value)), q.value, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{key} = {q.formula}")
        checked += 1
    assert checked


def test_gallery_titles_are_textbook_notation():
    """A derivative page's title, and its link on the index, read d/dx LeakyReLU(x, 1/5), not code:
    no ``*``, ``**``, ``_`` or hyphen for minus."""
    from symdl import gallery

    pages = {name: page for slug, source in gallery.SEED_DERIVATIVES
             for name, page in gallery._derivation_files(slug, source).items()}
    titles = [entry[0] for _, _, entries in gallery._index_groups(pages) for entry in entries]
    titles += [re.search(r"<h1>(.*?)</h1>", pages[f"{slug}.html"]).group(1) for slug, _ in gallery.SEED_DERIVATIVES]
    derivatives = [t for t in titles if t.startswith("d/dx")]
    assert len(derivatives) == 2 * len(gallery.SEED_DERIVATIVES)
    for title in derivatives:
        assert not re.search(r"\*|_|-", title), title
