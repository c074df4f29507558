"""Issue 12, the LaTeX documents as a person reads them: compiled with pdflatex, no line runs into
the margin (no Overfull \\hbox over 1 pt) and every word outside a circuit is at least 6 pt tall as
pdftotext measures it; and the worksheet and exercise fragments paste into a bare article.

Before: the gallery's vanishing-sigmoid table ran 6.6 pt into the margin, a worksheet's tables up
to 207 pt; a fraction in a rule's inline formula was 5.3 pt, a subscript in a table's exponent 4.4 pt."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest

import symdl
from symdl import examples
from symdl.printing import exports
from symdl.worksheet import check, load, solve
from symdl.worksheet.variants import variants

from test_latex import _pasted, assert_balanced

PDFLATEX = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
_WORD = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')
# the headings that follow a circuit, whose labels are another test's (tests/test_tikz.py)
_AFTER_CIRCUIT = {"Backward", "Arrays", "Worked", "Exercise", "Derivative", "Given"}


def _worksheet(name: str, fmt: str = "tex") -> str:
    solution = solve(load(examples.path(name)))
    return exports.worksheet_files(solution, check(solution))[fmt]


def _exercise(name: str, suffix: str = "questions.tex") -> str:
    problem = load(examples.path(name))
    return exports.exercise_files(problem.title, variants(problem, 1, 2))[suffix]


def _gallery(slug: str) -> str:
    """The gallery's .tex of a seed circuit or a seed derivative, made as `symdl gallery` makes it."""
    from symdl import gallery
    from symdl.parsing import parse, symbol
    circuits = {c.slug: c for c in gallery.SEED_CIRCUITS}
    if slug in circuits:
        return exports.produce("backprop", "tex", symdl.backprop(circuits[slug].source, circuits[slug].at), slug)
    derivation = symdl.derive(parse(dict(gallery.SEED_DERIVATIVES)[slug]), symbol("x"))
    return exports.produce("derivation", "tex", derivation, slug)


DOCUMENTS = {
    "backprop (gallery)": lambda: _gallery("vanishing_sigmoid_chain"),
    "neuron backprop (gallery)": lambda: _gallery("sigmoid_neuron"),
    "derivation (gallery)": lambda: _gallery("d_sigmoid"),
    "lstm worksheet": lambda: _worksheet("lstm"),
    "neuron worksheet": lambda: _worksheet("sigmoid_neuron"),
    "bottleneck worksheet": lambda: _worksheet("bottleneck_cost"),
    "attention worksheet": lambda: _worksheet("masked_multihead_attention"),
    "conv output sizes worksheet": lambda: _worksheet("conv_output_sizes"),
    "exercise sheet": lambda: _exercise("sigmoid_neuron"),
    "answer key": lambda: _exercise("mlp_four_input", "answers.tex"),
}


def _pdflatex(tmp_path, name: str, tex: str) -> str:
    (tmp_path / f"{name}.tex").write_text(tex, encoding="ascii")
    run = subprocess.run([*PDFLATEX, f"{name}.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-3000:]
    return (tmp_path / f"{name}.log").read_text(errors="replace")


def _words_outside_circuits(pdf) -> list[tuple[float, str]]:
    """(height, word) of every word pdftotext finds, but those from a "Circuit" heading to the next."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=120).stdout
    kept, inside = [], False
    for m in _WORD.finditer(out):
        word = html.unescape(m[3])
        if word == "Circuit" or (word == "circuit" and kept and kept[-1][1] == "The"):
            inside = True
        elif inside and word in _AFTER_CIRCUIT:
            inside = False
        if not inside:
            kept.append((float(m[2]) - float(m[1]), word))
    return kept


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_no_line_overfull_and_every_word_at_least_6_pt(tmp_path, kind):
    if not (shutil.which("pdflatex") and shutil.which("pdftotext")):
        pytest.skip("needs pdflatex and pdftotext: install Debian's texlive-latex-base and poppler-utils")
    log = _pdflatex(tmp_path, "doc", DOCUMENTS[kind]())
    overfull = [float(p) for p in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]
    assert all(p <= 1.0 for p in overfull), overfull
    assert "Overfull \\vbox" not in log  # a table taller than the page (conv_output_sizes: 179 pt)
    words = _words_outside_circuits(tmp_path / "doc.pdf")
    small = sorted(words)[:5]
    assert len(words) > 50 and small[0][0] >= 6.0, small


FRAGMENTS = {
    "neuron worksheet": lambda: _worksheet("sigmoid_neuron", "fragment.tex"),
    "network worksheet": lambda: _worksheet("mlp_four_input", "fragment.tex"),
    "derivative worksheet": lambda: _worksheet("tanh_quotient_rule", "fragment.tex"),
    "exercise questions": lambda: _exercise("sigmoid_neuron", "questions.fragment.tex"),
    "exercise answers": lambda: _exercise("mlp_four_input", "answers.fragment.tex"),
}


@pytest.mark.parametrize("kind", list(FRAGMENTS))
def test_worksheet_and_exercise_fragments_paste_into_a_bare_article(tmp_path, kind):
    """Like ``backprop --fragment``: no article around it, its packages named in the first line;
    pasted (twice) into ``\\documentclass{article}`` with exactly those, pdflatex compiles it."""
    tex = FRAGMENTS[kind]()
    assert "\\documentclass" not in tex and "\\begin{document}" not in tex and "\\maketitle" not in tex
    assert_balanced(tex)
    assert ("\\begin{tikzpicture}" in tex) == (kind in ("neuron worksheet", "network worksheet", "exercise questions"))
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian's texlive-latex-base)")
    log = _pdflatex(tmp_path, "pasted", _pasted(tex + tex))
    overfull = [float(p) for p in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]
    assert all(p <= 1.0 for p in overfull), overfull


def test_one_printer_prints_every_kind_of_object():
    """``latex(obj)`` dispatches on what it is given: each kind gets its own part of the page."""
    from symdl.printing.latex import latex
    from symdl.tensor.network import Network

    net = Network()
    net.backward(net.apply("sum", net.apply("relu", net.input("x", [1.0, -2.0])), name="L"))
    parts = {"backprop": (symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4}), "\\section*{Backward pass}"),
             "derivation": (symdl.derive("tanh(x)", "x"), "\\section*{Derivative with respect to $x$}"),
             "network": (net, "\\section*{Arrays}")}
    for kind, (obj, heading) in parts.items():
        document, fragment = latex(obj), latex(obj, fragment=True)
        assert heading in document and document.startswith("\\documentclass"), kind
        assert heading.replace("section", "paragraph") in fragment and "\\documentclass" not in fragment, kind


def test_a_rule_title_keeps_to_its_equation_wherever_it_falls(tmp_path):
    """Issue 12: d_tanh_from_exp's PDF ended a page with a rule's title, its equation over the page.
    The derivation is set 40 times, each after a little more space (17 pt more: every place on a page
    a title can fall); TeX writes, when it ships each page out, the page of every title and of every
    equation, and each title is on the page of the equation after it."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian's texlive-latex-base)")
    doc = _gallery("d_tanh_from_exp")
    body = doc[doc.index("\\section*{Derivative"):doc.index("\\end{document}")]
    body = body.replace("\\par}", "\\write-1{SYMDLTITLE \\thepage}\\par}")  # a title ends with its group
    body = body.replace("\\begin{align*}", "\\begin{align*}\\write-1{SYMDLEQUATION \\thepage}")
    shifted = "".join(f"\\clearpage\\vspace*{{{17 * k}pt}}\n{body}" for k in range(40))
    log = _pdflatex(tmp_path, "rules", doc[:doc.index("\\begin{document}")] + "\\begin{document}\n" + shifted
                    + "\\end{document}\n")
    marks = re.findall(r"^SYMDL(TITLE|EQUATION) (\d+)$", log, flags=re.M)
    titles = [i for i, (kind, _) in enumerate(marks) if kind == "TITLE"]
    assert len(titles) >= 40 * 8 and marks[-1][0] == "EQUATION"  # 9 rule titles in each copy
    apart = [(marks[i][1], marks[i + 1][1]) for i in titles if marks[i + 1] != ("EQUATION", marks[i][1])]
    assert apart == []
