"""Every gallery page's tables, as Chromium lays them out at 1280 px: nothing runs out of its cell, no
column is empty in every row; a node table's op column names no variable; and a wide circuit, printed by
Chromium, is whole on paper."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import sympy as sp

import symdl
from symdl import examples as bundled
from symdl import worksheet
from symdl.printing import rendering
from symdl.printing.html import HtmlPrinter, inline_svg, node_table, page
from symdl.printing.html_circuit import PART_HEIGHT, PART_WIDTH, circuit_figure, print_parts
from test_html import chromium, headless, measured_in_chromium

SVG = "{http://www.w3.org/2000/svg}"

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
def gallery_pages(gallery_files) -> dict[str, str]:
    return {name: str(content) for name, content in gallery_files.items() if name.endswith(".html")}


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


# --- print ----------------------------------------------------------------------------------------

def _printed_words(browser: str, tmp_path: Path, page_text: str, name: str) -> list[tuple]:
    """Each word Chromium prints of ``page_text`` (its print stylesheet applied) as pdftotext finds it in
    the PDF: (word, x0, y0, x1, y1, page width, page height), in pt."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    source, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
    source.write_text(page_text, encoding="utf-8")
    headless(browser, tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", source.as_uri())
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [(html.unescape(word), *map(float, box), float(width), float(height))
            for width, height, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S)
            for *box, word in re.findall(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" '
                                         r'yMax="([-\d.]+)">([^<]*)</word>', body)]


def _circuit_page(stem: str, printable: bool = True) -> tuple[str, str]:
    """A page holding the circuit of a bundled worksheet alone (so each printed word is the circuit's),
    and that circuit's SVG."""
    with rendering.embedded_only():
        drawn = inline_svg(rendering.svg(worksheet.solve(worksheet.load(bundled.path(stem))).work, inline=True))
    return page("c", [circuit_figure(drawn, printable)]), drawn


def _missing(drawn: str, words) -> dict[str, int]:
    """How many times each word of the circuit's labels is missing from the printed words."""
    labels = Counter(w for t in ET.fromstring(drawn).iter(f"{SVG}text") for w in "".join(t.itertext()).split())
    printed = Counter(w[0] for w in words)
    return {w: n - printed[w] for w, n in labels.items() if printed[w] < n}


@pytest.mark.parametrize("stem", ["softmax_jacobian", "sigmoid_neuron", "batch_norm", "lstm"])  # lstm: 1116 pt high
def test_a_wide_circuit_prints_whole_in_parts_at_full_size(tmp_path, stem):
    """Issue 12: a wide circuit scrolled on screen but was cut in print (softmax_jacobian ended at
    "[0.659, 0", sigmoid_neuron's ∂f/∂q3 = 0 read as false). Printed by Chromium, every word of every
    label is in the PDF, inside its page, at a size of at least 6 pt (a word's box height), and each
    part is at most a page column wide and a page high."""
    text, drawn = _circuit_page(stem)
    words = [w for w in _printed_words(chromium(), tmp_path, text, stem) if w[0] != "c"]  # the page's title
    assert words and _missing(drawn, words) == {}
    assert [w[0] for w in words if w[1] < 0 or w[2] < 0 or w[3] > w[5] or w[4] > w[6]] == []
    assert [(w[0], w[4] - w[2]) for w in words if w[4] - w[2] < 6] == []
    parts = re.findall(r'<svg class="part" width="([\d.]+)pt" height="([\d.]+)pt"', text)
    sizes = [(float(w), float(h)) for w, h in parts]
    assert len(sizes) >= 2 and max(w for w, _ in sizes) <= PART_WIDTH and max(h for _, h in sizes) <= PART_HEIGHT


def test_the_print_measure_finds_a_cut_circuit(tmp_path):
    """The old page, put back (the circuit without its parts): its print loses the labels past the page."""
    text, drawn = _circuit_page("softmax_jacobian", printable=False)
    assert _missing(drawn, _printed_words(chromium(), tmp_path, text, "cut"))


def test_only_a_page_has_print_parts_and_only_for_a_wide_circuit():
    """A notebook cell has no stylesheet to hide the parts on screen; a narrow circuit prints as it is."""
    wide = symdl.backprop("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", at="w0=2,x0=-1,w1=-3,x1=-2,w2=-3")
    with rendering.embedded_only():
        drawn = rendering.svg(wide, inline=True)
        narrow = rendering.svg(symdl.backprop("x*y", at="x=2,y=3"), inline=True)
    assert 'class="part"' in HtmlPrinter(svg=drawn).doprint(wide)
    assert 'class="part"' not in HtmlPrinter(svg=drawn, heading="h3").doprint(wide)
    assert print_parts(inline_svg(narrow)) == []
