"""How LaTeX parts are arranged on the page: a long table is cut into several, and the page a circuit
is fitted to is the page the article sets (compiled)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from symdl.printing import latex_layout as layout
from symdl.printing import tikz_layout as tikz


def _tables(tex: str) -> list[list[str]]:
    """The body rows of each tabularx in ``tex``."""
    bodies = re.findall(r"\\midrule\n(.*?)\\bottomrule", tex, flags=re.S)
    return [[row for row in body.split(" \\\\\n") if row.strip()] for body in bodies]


def test_a_short_table_stays_one_table():
    tex = layout.table("ll", ["a", "b"], [f"{i} & {i}" for i in range(10)])
    assert tex.count("\\begin{tabularx}") == 1 and len(_tables(tex)[0]) == 10


def test_a_long_table_is_cut_into_tables_that_fit_a_page_each_with_the_header():
    """A tabularx cannot break across pages: conv_output_sizes's node table ran 179 pt past the page.
    100 one-line rows at 36 lines a table: 36 + 36 + 28, every row once and in order."""
    rows = [f"{i} & {i}" for i in range(100)]
    tex = layout.table("ll", ["a", "b"], rows)
    tables = _tables(tex)
    assert [len(t) for t in tables] == [36, 36, 28]
    assert [row for t in tables for row in t] == rows
    assert tex.count("a & b \\\\") == 3


def test_a_row_of_several_lines_counts_each_line_and_is_never_split():
    """Rows of three lines (two \\newline): twelve fill 36 lines, the thirteenth starts a table."""
    rows = [f"{i} & x \\newline y \\newline z" for i in range(13)]
    assert [len(t) for t in _tables(layout.table("ll", ["a", "b"], rows))] == [12, 1]


@pytest.mark.parametrize("engine", ["pdflatex", "xelatex", "lualatex"])
def test_the_text_block_is_the_one_the_article_sets(tmp_path, engine):
    """Issue 12: circuits were fitted to 345 × 550 pt while the article's text block is 455 × 703 pt.
    The article, compiled, types its \\textwidth and \\textheight; they are TEXT_BLOCK, and the
    picture's page (in bp) is the same width and no taller."""
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed (Debian's texlive-latex-base, texlive-xetex, texlive-luatex)")
    probe = "\\typeout{SYMDLBLOCK \\the\\textwidth\\space\\the\\textheight}"
    (tmp_path / "block.tex").write_text(layout.article("Block", [probe]), encoding="ascii")
    done = subprocess.run([engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "block.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-2000:]
    width, height = (float(x) for x in re.search(r"SYMDLBLOCK ([\d.]+)pt ([\d.]+)pt", done.stdout).groups())
    assert (width, height) == pytest.approx(layout.TEXT_BLOCK, abs=0.01)
    assert width == pytest.approx(455.24, abs=0.01) and height == pytest.approx(702.78, abs=0.01)  # A4, 2.5 cm
    assert tikz.PAGE[0] * 72.27 / 72 == pytest.approx(width, abs=0.01) and tikz.PAGE[1] * 72.27 / 72 < height
