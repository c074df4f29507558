"""How LaTeX parts are arranged on the page, without compiling: a long table is cut into several."""

from __future__ import annotations

import re

from symdl.printing import latex_layout as layout


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
