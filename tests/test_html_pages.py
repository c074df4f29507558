"""Every gallery page's tables, as Chromium lays them out at 1280 px: nothing runs out of its cell, no
column is empty in every row; and a node table's op column names no variable."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
import sympy as sp

import symdl
from symdl.gallery import build_gallery
from symdl.printing.html import node_table
from test_html import chromium, measured_in_chromium

_TABLES = """<script>
addEventListener("load", () => {
  const overflow = [], empty = [];
  let cells = 0;
  document.querySelectorAll("table").forEach((table, t) => {
    const rows = [...table.querySelectorAll("tbody tr")];
    const width = Math.max(0, ...rows.map(r => r.cells.length));
    for (const cell of table.querySelectorAll("td, th")) {
      cells++;
      const box = cell.getBoundingClientRect();
      for (const inner of cell.querySelectorAll("*")) {  // every descendant: a MathML token can outgrow its <math>
        const r = inner.getBoundingClientRect();
        if (r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5))
          overflow.push(`table ${t} row ${cell.parentElement.rowIndex} column ${cell.cellIndex} by `
                        + `${Math.round(Math.max(r.right - box.right, box.left - r.left))} px: `
                        + inner.textContent.slice(0, 40));
      }
    }
    for (let c = 0; c < width; c++)
      if (rows.every(r => !r.cells[c]
                          || (!r.cells[c].textContent.trim() && !r.cells[c].querySelector("math, svg, img"))))
        empty.push(`table ${t} column ${c}: ${table.tHead ? table.tHead.rows[0].cells[c].textContent : ""}`);
  });
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({tables: document.querySelectorAll("table").length, cells, overflow, empty});
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="module")
def gallery_pages() -> dict[str, str]:
    return {name: str(content) for name, content in build_gallery().items() if name.endswith(".html")}


def test_no_table_cell_overflows_and_no_column_is_empty_in_any_gallery_page(tmp_path, gallery_pages):
    """Issue 12: in mlp_four_input a wide local gradient ran over the global gradient beside it, and the
    rnn, lstm and attention tables had a global-gradient column with nothing in it. Every cell's
    content (each descendant's getBoundingClientRect) stays within its cell, and no column of any
    table is empty in every row, in every page of the gallery (worksheets included)."""
    browser = chromium()
    found = {name: measured_in_chromium(browser, tmp_path, text, _TABLES, name=name.replace("/", "_"))
             for name, text in gallery_pages.items()}
    assert len(found) >= 45 and sum(r["tables"] for r in found.values()) >= 35, found
    assert sum(r["cells"] for r in found.values()) > 2000
    assert {name: r["overflow"] for name, r in found.items() if r["overflow"]} == {}
    assert {name: r["empty"] for name, r in found.items() if r["empty"]} == {}


def test_the_measure_finds_a_token_running_out_of_its_cell_and_an_empty_column(tmp_path):
    """The old layout, put back (no stylesheet): ∂a/∂b = a long array in one <mn>, in a narrow table,
    and a column of blanks."""
    cell = ("<math><mfrac><mi>a</mi><mi>b</mi></mfrac><mo>=</mo>"
            "<mn>[[0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1]]</mn></math>")
    table = (f'<table style="width: 12rem"><thead><tr><th>a</th><th>b</th><th>c</th></tr></thead>'
             f"<tbody><tr><td>{cell}</td><td>1</td><td></td></tr><tr><td>2</td><td>3</td><td> </td></tr>"
             "</tbody></table>")
    bare = f"<!DOCTYPE html><html><body>{table}</body></html>"
    measured = measured_in_chromium(chromium(), tmp_path, bare, _TABLES)
    assert measured["overflow"] and measured["empty"] == ["table 0 column 2: c"], measured


def _op_cells(text: str) -> list[str]:
    """The op column of every node table: the cell after each row's node name."""
    tables = re.findall(r'<table class="nodes">(.*?)</table>', text, re.DOTALL)
    return [html.unescape(op) for t in tables for op in re.findall(r"<tr><td><math>.*?</math></td><td>([^<]*)</td>", t)]


def test_an_op_shown_alone_names_no_variable_and_keeps_its_operand_place(gallery_pages):
    """Issue 12: the op column showed a bare ᵀ (beside Wᵀ it read as a second transpose) and x² (in a
    graph with an input x, the input squared). In every gallery page an op that writes its operand
    writes a place-holder, never x, and none starts with a postfix mark."""
    ops = {op for text in gallery_pages.values() for op in _op_cells(text)}
    assert {"(·)ᵀ", "(·)²", "1/(·)", "·", "+", "σ"} <= ops, ops
    assert not [op for op in ops if re.search(r"(?<![A-Za-z])x(?![A-Za-z])", op)], ops
    assert not [op for op in ops if unicodedata.category(op[0]) in ("Lm", "No")], ops


@pytest.mark.parametrize("expr, shown", [("x**2 + y", "(·)²"), ("1/x + y", "1/(·)"), ("abs(x) + y", "|·|"),
                                         ("max(x, y)", "max"), ("exp(x) + y", "exp")])
def test_a_gate_glyph_in_the_op_column(expr, shown):
    table = node_table(symdl.backprop(expr, at={"x": 2, "y": 1}))
    assert shown in _op_cells(table)


def test_a_number_local_gradient_is_text_after_its_formula():
    """∂f/∂x of f = 3x is the number 3: the formula ∂f/∂x = (MathML), then 3 as text."""
    table = node_table(symdl.backprop(3 * sp.Symbol("x"), at={"x": 1}))
    assert re.search(r'<mi>x</mi></mrow></mfrac><mo>=</mo></math><span class="num">3</span>', table), table
