"""Issue 12 item 6: a worksheet's title, source and notes are prose with the mathematics set as
mathematics. The notes write hₜ₋₁, W_hh and h_{t-1}; escaped as text they printed "h\\_{t-1}" and
stacked one-character subscripts. Expected TeX is written by hand; the PDF test reads the compiled
text back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest

from symdl import examples
from symdl.printing import latex_layout as layout
from symdl.printing.texprose import prose_paragraph, prose_tex
from symdl.printing.texsafe import is_safe

from test_latex import assert_balanced


@pytest.mark.parametrize("text, tex", [
    ("hₜ₋₁ = [0.0, 0.1]", r"$h_{t-1} = [0.0,\allowbreak 0.1]$"),
    ("then h_{t-1} and W_{hf}", "then $h_{t-1}$ and $W_{hf}$"),
    ("W_hh hₜ₋₁", "$W_{hh} h_{t-1}$"),
    ("a 5×5 image", r"a $5\times 5$ image"),
    ("x = −2, y = 5", "$x = -2$, $y = 5$"),
    ("the sum 12.8 is right", "the sum 12.8 is right"),  # a number alone is text
    ("its window 1 3 2 / 8 3 5", r"its window 1 3 2 / 8 3 5"),  # numbers side by side: not a product
    ("x = −∞, mask [0 −∞; 0 0]", r"$x = -\infty$, mask [0 \ensuremath{-}\ensuremath{\infty}; 0 0]"),
    ("σ² = 5", r"$\sigma ^{2} = 5$"),
    ("k·k·C_in", r"$k\cdot k\cdot C_{\mathrm{in}}$"),
    ("boolean attn_mask", r"boolean \texttt{attn\_mask}"),
    ("the 'same' padding", "the `same' padding"),
    ("x₁ AND x₂", "$x_{1}$ AND $x_{2}$"),
    ("out₂,₂", r"$\mathrm{out}_{2,2}$"),
])
def test_prose_sets_each_formula_as_one_math_run(text, tex):
    assert prose_tex(text) == tex


def test_hostile_prose_stays_text():
    tex = prose_tex(r"\input{/etc/passwd} x_{\write18} $ # % & ~ ^ } {")
    assert is_safe(tex) and "\\input" not in tex.replace("\\textbackslash{}input", "")
    assert_balanced(tex)
    assert len(re.findall(r"(?<!\\)\$", tex)) % 2 == 0  # every math run closed


def _examples_prose() -> list[str]:
    """Every bundled title, source and notes with an index in it (a subscript, a superscript, W_hh)."""
    texts = []
    for name in examples.names():
        problem = tomllib.loads(examples.path(name).read_text(encoding="utf-8"))
        texts += [problem[k] for k in ("title", "source", "notes") if k in problem]
    return [t for t in texts if re.search(r"[_^₀-₉ₐ-ₜᵢ-ᵥ²ⁱᵀ]", t)]


def test_every_bundled_title_source_and_note_with_an_index_typesets_it_as_math(tmp_path):
    """Compiled with pdflatex: the PDF's text holds no underscore, brace or backslash (each index was
    set as a subscript), no line runs into the margin, and every paragraph is there."""
    texts = _examples_prose() + ["Gates with braces: h_{t-1}, W_{hf} and e_{t,j}"]
    assert len(texts) > 20
    body = [prose_paragraph(t) for t in texts]  # as a worksheet sets its source and notes
    for tex in body:
        assert_balanced(tex)
    if not (shutil.which("pdflatex") and shutil.which("pdftotext")):
        pytest.skip("needs pdflatex and pdftotext: install Debian's texlive-latex-base and poppler-utils")
    (tmp_path / "prose.tex").write_text(layout.article(prose_tex(texts[0]), body), encoding="ascii")
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "prose.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-3000:]
    overfull = [float(p) for p in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", run.stdout)]
    assert all(p <= 1.0 for p in overfull), overfull
    text = subprocess.run(["pdftotext", "prose.pdf", "-"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120).stdout
    assert not set("_{}\\") & set(text), [line for line in text.splitlines() if set("_{}\\") & set(line)]
    assert "Gates with braces" in text and text.count("seed notes") >= 10
