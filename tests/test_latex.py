"""The LaTeX printer: balanced markup, the lecture's numbers, safe user text, and a
document that pdflatex really compiles (without shell escape) when TeX is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import sympy as sp

import symdl
from symdl.printing.latex import latex
from symdl.printing.latex_tables import backprop_tables
from symdl.printing.notebook import derivation_repr_latex

INPUT = r"\input{/etc/passwd}"
WRITE = r"\write18{rm -rf}"
# Control words that read, write or redefine; \definecolor and friends are not among them.
DANGEROUS = re.compile(r"\\(?:input|include|write|openout|def|catcode)(?![A-Za-z])")
TIKZ = r"\begin{tikzpicture}\draw[->] (0,0) -- node[above] {$q$} (2,0);\end{tikzpicture}"


def lecture() -> symdl.Backprop:
    return symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4})


def hostile_document() -> str:
    a, b = sp.Symbol(INPUT, real=True), sp.Symbol(WRITE, real=True)
    result = symdl.backprop(sp.tanh(a * b) + a, at={INPUT: 1, WRITE: 2})
    derivation = symdl.derive(sp.tanh(a * b) + 3 * b, a)
    return latex([result, derivation], title=f"{INPUT} {WRITE} \\def\\x{{1}} \\catcode`\\^^M")


def assert_balanced(tex: str) -> None:
    """Braces never close more than they opened, and \\begin/\\end pair up in order."""
    depth = 0
    for token in re.findall(r"\\[A-Za-z]+|\\.|[{}]", tex):
        depth += {"{": 1, "}": -1}.get(token, 0)
        assert depth >= 0, "a closing brace with no opening one"
    assert depth == 0, "unclosed braces"
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, f"\\end{{{name}}} does not match"
    assert stack == []


def test_fragment_and_document_are_balanced():
    derivation = symdl.derive("tanh(x)", "x")
    assert_balanced(latex(derivation, fragment=True))
    assert_balanced(backprop_tables(lecture()))
    assert_balanced(latex([lecture(), derivation], title="t", tikz=TIKZ))
    assert_balanced(hostile_document())


def test_tanh_derivation_fragment():
    derivation = symdl.derive("tanh(x)", "x")
    fragment = latex(derivation, fragment=True)
    assert fragment.isascii()  # any engine, no \DeclareUnicodeCharacter needed
    assert fragment.count("\\begin{align*}") == fragment.count("\\end{align*}") >= len(derivation.steps)
    assert "\\tanh" in fragment and "1 - \\tanh^{2}" in fragment
    assert "\\frac{d}{d x}" in fragment
    # each rule on a line of its own before its equation, numbered as in the tree, not in a third column
    assert "1.\\ \\textbf{known derivative}" in fragment and "1.2.\\ \\textbf{quotient rule}" in fragment
    assert "&&" not in fragment
    assert_balanced(fragment)


def test_backprop_tables_carry_the_lecture_numbers():
    """By hand: q = x + y = 3, f = q·z = −12. Backward: ∂f/∂q = z = −4, ∂f/∂z = q = 3,
    and the add gate copies −4 to x and y."""
    tables = backprop_tables(lecture())
    assert tables.count("\\toprule") == tables.count("\\midrule") == tables.count("\\bottomrule") == 2
    assert "$f$ & $z \\cdot q$ & $-12$" in tables
    assert "$q$ & $x + y$ & $3$" in tables
    assert "\\partial f/\\partial q = z = -4" in tables and "\\partial f/\\partial z = q = 3" in tables
    for leaf, grad in [("x", -4), ("y", -4), ("z", 3)]:
        assert re.search(rf"\${leaf}\$ & \\textit{{input}} & \$-?\d+\$ &  & \${grad}\$", tables)
    assert "$x \\to q$ & $\\partial f/\\partial q \\cdot \\partial q/\\partial x$ & $-4 \\cdot 1$ & $-4$" in tables
    assert ("$q \\to f$ & $\\partial f/\\partial f \\cdot \\partial f/\\partial q$ & "
            "$1 \\cdot \\left(-4\\right)$ & $-4$") in tables


def test_document_preamble():
    plain = latex(lecture(), title="Lecture 4: (x + y)·z")
    assert plain.startswith("\\documentclass")
    for package in ("amsmath", "amssymb", "booktabs", "xcolor"):
        assert f"\\usepackage{{{package}}}" in plain
    assert "tikz" not in plain
    assert "\\usepackage{tikz}" in latex(lecture(), title="t", tikz=TIKZ)
    assert "\\title{Lecture 4: (x + y)\\ensuremath{\\cdot}z}" in plain
    assert plain.isascii()
    titled = latex(symdl.derive("tanh(x)", "x"))
    assert "\\title{$\\frac{d}{d x} \\tanh{\\left(x \\right)}$}" in titled  # typeset, not code


def test_user_text_cannot_reach_tex_commands():
    tex = hostile_document()
    assert DANGEROUS.search(tex) is None, DANGEROUS.search(tex)
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in tex


def test_jupyter_latex_is_an_aligned_block():
    latex = derivation_repr_latex(symdl.derive("tanh(x)", "x"))
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert "1 - \\tanh^{2}" in latex
    assert_balanced(latex)


@pytest.mark.parametrize("which", ["lecture", "hostile"])
def test_document_compiles(tmp_path, which):
    engine = shutil.which("latexmk") or shutil.which("pdflatex")
    if engine is None:
        pytest.skip("no TeX installation: install Debian's texlive-latex-base, texlive-latex-recommended, "
                    "texlive-pictures")
    if which == "lecture":
        tex = latex([lecture(), symdl.derive("tanh(x)", "x"), symdl.derive("sigmoid(w*x + b)", "w")],
                    title="Lecture 4: (x + y)·z", tikz=TIKZ)
    else:
        tex = hostile_document()
    (tmp_path / "report.tex").write_text(tex, encoding="utf-8")
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
    command = [engine, "-pdf", *flags, "report.tex"] if engine.endswith("latexmk") else [engine, *flags, "report.tex"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert (tmp_path / "report.pdf").exists(), run.stdout[-3000:]


def test_latex_of_never_evaluates_text(tmp_path, monkeypatch):
    from symdl.printing.texsafe import latex_of

    monkeypatch.chdir(tmp_path)
    tex = latex_of("__import__('pathlib').Path('pwned').touch()")
    assert tex.startswith(r"\text{") and list(tmp_path.iterdir()) == []


# Every derivation the gallery writes, and longer ones whose equations must break to fit the page.
FITTING = ["tanh(x)", "sigmoid(x)", "softplus(x)", "relu(x)", "leaky_relu(x)", "(exp(x)-exp(-x))/(exp(x)+exp(-x))",
           "1/(1+exp(-x))", "log(1+exp(x))", "x**3*sin(x)/(1+x**2) + tanh(x**2)", "tanh(sigmoid(x) + softplus(x))*x**x",
           "exp(x)/(exp(x) + exp(y) + exp(z))"]


# pdffonts' names of outline fonts: Type 1 (pdfTeX, LuaTeX), compact Type 1 (XeTeX's xdvipdfmx), TrueType
OUTLINE_FONTS = {"Type 1", "Type 1C", "TrueType", "CID Type 0C", "CID TrueType"}


@pytest.mark.parametrize("engine", ["pdflatex", "xelatex", "lualatex"])
def test_derivations_fit_the_page_on_every_engine(tmp_path, engine):
    """No Overfull \\hbox over 1 pt, and only outline fonts (no Type 3 bitmaps), with each TeX engine."""
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed (Debian's texlive-latex-base has pdflatex and lualatex; "
                    "texlive-xetex has xelatex)")
    tex = latex([symdl.derive(e, "x") for e in FITTING], title="Derivations")
    (tmp_path / "d.tex").write_text(tex, encoding="ascii")
    run = subprocess.run([engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert (tmp_path / "d.pdf").exists(), run.stdout[-3000:]
    log = (tmp_path / "d.log").read_text(errors="replace")
    overfull = [float(p) for p in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]
    assert all(p <= 1.0 for p in overfull), overfull
    assert not re.search(r"Font shape `[^']*/bx/n' undefined", log)  # a heading would lose its bold
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", "d.pdf"], cwd=tmp_path, capture_output=True, text=True).stdout
        kinds = {re.split(r"\s{2,}", line)[1] for line in fonts.splitlines()[2:]}
        assert kinds <= OUTLINE_FONTS, fonts  # no Type 3 bitmaps
        assert "CMBX12" in fonts, fonts  # the bold of the section headings


def _pasted(fragment_tex: str) -> str:
    """``fragment_tex`` pasted into a bare article that loads exactly the packages its first line names."""
    named = re.match(r"% symdl fragment: needs \\usepackage\{([a-z,]+)\} in the preamble\n", fragment_tex)
    assert named, fragment_tex[:200]
    packages = "".join(f"\\usepackage{{{p}}}\n" for p in named.group(1).split(","))
    return f"\\documentclass{{article}}\n{packages}\\begin{{document}}\n{fragment_tex}\\end{{document}}\n"


FRAGMENTS = {
    "derivation": ["derive", "sigmoid(w*x + b)", "--wrt", "w"],
    "backprop": ["backprop", "(x + y)*z", "--at", "x=-2,y=5,z=-4"],
    "neuron backprop": ["backprop", "tanh(w*x + b)*y", "--at", "w=0.5,x=-1,b=0.2,y=3"],
}


@pytest.mark.parametrize("case", list(FRAGMENTS))
def test_fragment_compiles_pasted_into_a_bare_article(tmp_path, case):
    """``--fragment`` writes the parts without the article (no \\documentclass, no \\begin{document});
    pasted into ``\\documentclass{article}`` with the packages its comment names, pdflatex compiles it
    without an Overfull box."""
    done = subprocess.run([sys.executable, "-m", "symdl", *FRAGMENTS[case], "--fragment", "-"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    tex = done.stdout
    assert "\\documentclass" not in tex and "\\begin{document}" not in tex and "\\title" not in tex
    assert_balanced(tex)
    assert ("\\begin{tikzpicture}" in tex and "\\toprule" in tex) if case != "derivation" else "\\begin{align*}" in tex
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian's texlive-latex-base)")
    (tmp_path / "pasted.tex").write_text(_pasted(tex + tex), encoding="ascii")  # pasted twice: still compiles
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "pasted.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "pasted.log").read_text(errors="replace")
    overfull = [float(p) for p in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]
    assert all(p <= 1.0 for p in overfull), overfull


def _every_kind_of_document() -> dict[str, str]:
    """One of each document symdl writes: a worksheet with its circuit, an exercise sheet of a tensor
    network, a backward pass with TikZ and a derivation, a hostile one."""
    from symdl import examples
    from symdl.printing import exports
    from symdl.printing.tikz import tikz
    from symdl.worksheet import check, load, solve
    from symdl.worksheet.variants import variants

    neuron = solve(load(examples.path("sigmoid_neuron")))
    mlp = load(examples.path("mlp_four_input"))
    backward = lecture()
    return {"worksheet": exports.worksheet_files(neuron, check(neuron))["tex"],
            "exercise": exports.exercise_files(mlp.title, variants(mlp, 5, 1))["questions.tex"],
            "backprop": latex([backward, symdl.derive("tanh(x)", "x")], title="Lecture 4", tikz=tikz(backward)),
            "hostile": hostile_document()}


@pytest.mark.parametrize("engine", ["pdflatex", "xelatex", "lualatex"])
def test_every_kind_of_document_compiles_on_every_engine(tmp_path, engine):
    """Each TeX engine compiles every kind of document, with bold headings and only outline fonts
    (an itemize bullet or a subscript digit in a note once came out as a Type 3 bitmap or a boxed ?)."""
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed (Debian's texlive-xetex has xelatex, texlive-luatex lualatex's fonts)")
    for kind, tex in _every_kind_of_document().items():
        (tmp_path / f"{kind}.tex").write_text(tex, encoding="ascii")
        run = subprocess.run([engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", f"{kind}.tex"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, (kind, run.stdout[-3000:])
        log = (tmp_path / f"{kind}.log").read_text(errors="replace")
        assert "Font Warning" not in log, kind
        assert "\\fbox{?}" not in tex or kind == "hostile", kind  # every character of symdl's own text is known
        if shutil.which("pdffonts"):
            fonts = subprocess.run(["pdffonts", f"{kind}.pdf"], cwd=tmp_path, capture_output=True, text=True).stdout
            assert {re.split(r"\s{2,}", line)[1] for line in fonts.splitlines()[2:]} <= OUTLINE_FONTS, (kind, fonts)


def test_names_and_steps_typeset_as_mathematics():
    """A name of several letters is one upright word (``pm`` is not p·m), the step is H(x) as in the
    text and HTML printers, and a derivative problem's f(x) and df/dx are not text."""
    from symdl.printing.latex_worksheets import quantity_name
    from symdl.printing.texsafe import latex_of

    assert latex_of(2 * sp.Symbol("pm")) == "2 \\mathrm{pm}" and latex_of(sp.Symbol("w0")) == "w_{0}"
    assert latex_of(sp.Symbol("alpha")) == "\\alpha" and latex_of(sp.tanh(sp.Symbol("x")) ** 2).startswith("\\tanh^{2}")
    w, z = sp.symbols("w z")
    assert latex_of(sp.Heaviside(w - z, 0)) == "H\\left(w - z\\right)"  # 0 at 0, as ReLU′
    assert latex_of(sp.Heaviside(w - z)) == "H\\left(w - z, \\frac{1}{2}\\right)"  # max's, ½ at a tie
    assert quantity_name("f(x)") == "f\\left(x\\right)" and quantity_name("d/dx") == "\\frac{df}{dx}"


def test_worked_steps_print_no_raw_arrays():
    """A tensor sheet's worked steps are matrices, never NumPy's text (``[[[0., 0.], …]]]``)."""
    from symdl import examples
    from symdl.printing.latex_worksheets import worksheet_steps
    from symdl.worksheet import load, solve

    steps = worksheet_steps(solve(load(examples.path("mlp_four_input"))))
    assert "\\begin{bmatrix}" in steps and "[[" not in steps and "0.," not in steps


def test_a_two_letter_subscript_is_two_indices_not_a_greek_letter():
    """W_xi (input x, gate i) prints W_{xi}, not SymPy's W_{\\xi}; x_alpha still gets its α."""
    from symdl.printing.texsafe import latex_of  # as the test above imports it
    assert latex_of(sp.Symbol("W_xi")) == "W_{xi}"
    assert latex_of(sp.MatrixSymbol("W_xi", 2, 2)) == "W_{xi}"
    assert latex_of(sp.Symbol("x_alpha")) == r"x_{\alpha}"


# --- one notation in every printer: a component's index, a scale by ½, a slice --------------------------
def _every_format(expr: sp.Basic) -> tuple[str, str, str]:
    from symdl.printing.mathml import mathml
    from symdl.printing.texsafe import latex_of
    from symdl.printing.text import text
    return text(expr), latex_of(expr), mathml(expr)


def test_a_component_is_an_index_in_every_format():
    """cross_entropy(x, y)₂²: the class index 2 is a subscript, the power over it, never a third argument."""
    from symdl.functions import cross_entropy

    x, y = sp.symbols("x y")
    printed, tex, mathml = _every_format(y * cross_entropy(x, y, 2) ** 2)
    assert printed == "y·cross_entropy(x, y)₂²"
    assert tex == r"y \operatorname{CE}\left(x, y\right)_{2}^{2}"
    assert "<msubsup>" in mathml and mathml.endswith("<mn>2</mn><mn>2</mn></msubsup></mrow>")
    assert ", 2" not in printed and ", 2" not in tex and "<mo>,</mo><mn>2</mn>" not in mathml


@pytest.mark.parametrize("coefficient, matrix", [(sp.Rational(1, 2), False), (sp.Rational(1, 2), True),
                                                 (sp.Rational(-3, 4), True), (sp.sqrt(2) / 2, True)])
def test_a_scale_by_a_fraction_is_written_one_way_in_every_format(coefficient, matrix):
    """x/2 for a number and S/2 for a matrix, as one page shows both (an attention score's √2/2 scale
    beside a scalar's ½): the denominator last in text, under the bar in LaTeX and MathML."""
    s = sp.MatrixSymbol("S", 2, 2) if matrix else sp.Symbol("S")
    printed, tex, mathml = _every_format(coefficient * s)
    top, bottom = sp.fraction(coefficient)
    assert printed.endswith(f"S/{sp.sstr(bottom).replace('sqrt(2)', '√2')}") and "0.5" not in printed
    assert re.fullmatch(r"(- )?\\frac\{(.+ )?S\}\{" + re.escape(str(bottom)) + r"\}", tex), tex
    assert f"</mrow><mn>{bottom}</mn></mfrac>" in mathml or f"<mi>S</mi><mn>{bottom}</mn></mfrac>" in mathml
    assert (printed.startswith("−") == tex.startswith("-") == ("&#8722;" in mathml) == (top < 0))


def test_a_slice_is_one_based_and_alike_in_every_format():
    """Q[:, 1–2], head 1's columns counted from 1: the LaTeX and MathML forms give the same bounds as the
    text and none is a Python slice (Q[:, :2], 0:2)."""
    from symdl import examples
    from symdl.worksheet import load, solve

    path = next(p for p in examples.problem_files() if p.stem == "masked_multihead_attention")
    sheet = solve(load(str(path)))
    checked = 0
    for key in ("Q1", "Q2", "K1", "V2", "dL/dQ", "dL/dV"):
        printed, tex, mathml = _every_format(sheet.quantities[key].expr)
        bounds = re.findall(r"(\d)–(\d)", printed)
        assert bounds and bounds == re.findall(r"(\d)\\text\{--\}(\d)", tex) == re.findall(r"(\d)&#8211;(\d)", mathml)
        for shown in (printed, tex, mathml):
            assert not re.search(r"\d:|:\d|\b0–", shown), (key, shown)
        checked += 1
    assert checked == 6
