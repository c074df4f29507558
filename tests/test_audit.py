"""``symdl audit``: the readings of notes, the comparisons, the slips, and the CLI contract.

Expected values are worked by hand or with the standard library (math, fractions),
never taken from symdl's output."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symdl.audit import audit, audit_text
from symdl.cli import main
from symdl.limits import limited
from symdl.ops import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
SEED = Path("/work/shared/seed/000_a702dec30f4bde87.txt")


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symdl", "audit", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """The command in this process (fast); ``run`` starts it as a user would."""
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def findings(text: str, path: str = "notes.md", tolerance=None) -> list:
    return [c for c in audit_text(path, text, tolerance).checks if not c.right]


def checked(text: str, path: str = "notes.md") -> int:
    return len(audit_text(path, text).checks)


def where(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based line and column of the needle in the text, found by hand."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


# --- the contract -----------------------------------------------------------------------------------
def test_json_contract_and_exit_status(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Softmax\n\n$$s_2 = \\frac{e^1}{10.0} = \\frac{2.7}{10.0} = 0.24$$\n", encoding="utf-8")
    done = run(str(notes), "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"files", "checked", "findings"}
    assert data["files"] == [str(notes)] and data["checked"] == 1
    (finding,) = data["findings"]
    assert set(finding) == {"file", "line", "column", "text", "written", "correct", "slip"}
    assert finding["file"] == str(notes)
    assert (finding["line"], finding["column"]) == where(notes.read_text(), "0.24")
    assert finding["text"] == "\\frac{2.7}{10.0} = 0.24"
    assert finding["written"] == "0.24" and finding["correct"] == "0.27" and finding["slip"] is None


def test_no_findings_exit_zero_and_plain_text(tmp_path, capsys):
    notes = tmp_path / "ok.md"
    notes.write_text("$2 + 3 = 5$ and $\\frac{1}{4} = 0.25$\n", encoding="utf-8")
    code, out, err = cli(capsys, str(notes))
    assert code == 0, err
    assert out.strip().splitlines() == ["0 finding(s) in 2 equalities checked in 1 file(s)"]


def test_plain_text_line_per_finding(tmp_path):
    notes = tmp_path / "n.md"
    notes.write_text("text\n$$0.5 \\times 0.3 = 1.5$$\n", encoding="utf-8")
    done = run(str(notes))
    assert done.returncode == 1
    first, summary = done.stdout.strip().splitlines()
    line, column = where(notes.read_text(), "1.5$$")
    assert first == (f"{notes}:{line}:{column}: written 1.5, correct 0.15 "
                     "(off by a factor of 10 (a decimal-point slip))")
    assert summary == "1 finding(s) in 1 equalities checked in 1 file(s)"


def test_api_to_dict_matches_cli(tmp_path, capsys):
    notes = tmp_path / "n.md"
    notes.write_text("$$7 \\times 8 = 54$$\n", encoding="utf-8")
    assert audit([str(notes)]).to_dict() == json.loads(cli(capsys, str(notes), "--json")[1])


# --- notation --------------------------------------------------------------------------------------
def test_markdown_math_and_code_skipped():
    text = ("Inline $1 + 1 = 3$ here.\n\n```\n$$2 + 2 = 5$$\n```\n\n`$3 + 3 = 7$`\n\n$$4 + 4 = 9$$\n")
    found = findings(text)
    assert [(c.written, c.correct) for c in found] == [("3", "2"), ("9", "8")]
    assert [(c.line, c.column) for c in found] == [where(text, "3$"), where(text, "9$$")]


def test_latex_environments_line_breaks_and_alignment():
    text = ("\\section{One}\n\\[ 2 \\cdot 3 = 6 \\]\n\\begin{equation} 10 - 4 = 5 \\end{equation}\n"
            "\\begin{align}\n a &= 1 + 2 \\\\\n   &= 3 \\\\\n b &= 4 \\cdot 2 \\\\\n   &= 9\n\\end{align}\n")
    found = findings(text, "notes.tex")
    assert [(c.written, c.correct) for c in found] == [("5", "6"), ("9", "8")]
    assert [(c.line, c.column) for c in found] == [where(text, "5 \\end"), where(text, "9\n")]
    assert checked(text, "notes.tex") == 4


def test_comments_and_sout_skipped_in_latex():
    text = "% $1 + 1 = 3$\n\\sout{$2 + 2 = 5$} $3 + 3 = 6$\n"
    assert findings(text, "n.tex") == [] and checked(text, "n.tex") == 1


def test_chain_continues_across_display_blocks():
    text = "$$s = 0.5(1 - 0.5)$$\n\nso\n\n$$= 0.30$$\n\n$$= 0.25$$\n"
    assert [(c.written, c.correct, c.line) for c in findings(text)] == [("0.30", "0.25", 5), ("0.25", "0.3", 7)]
    text = text.replace("$$= 0.25$$", "$$\\Rightarrow 0.5 \\times 0.5 = 0.26$$")
    assert [(c.written, c.correct, c.line) for c in findings(text)] == [("0.30", "0.25", 5), ("0.26", "0.25", 7)]


def test_inline_math_does_not_continue_a_chain():
    assert checked("$2 + 2$ and then $= 5$\n") == 0


@pytest.mark.parametrize("relation", ["=", "\\Rightarrow", "⇒", "\\approx", "\\equiv", "\\to"])
def test_each_relation_joins_sides(relation):
    (finding,) = findings(f"$$6 \\cdot 7 {relation} 43$$")
    assert (finding.written, finding.correct) == ("43", "42")


def test_relations_that_are_not_equality_break_the_chain():
    assert checked("$$3 + 4 \\neq 8$$ $$1 < 2$$ $$0.5 \\quad 0.7 = 0.7$$") == 1


def test_notation_abuse_compares_computation_with_the_result_that_follows():
    text = "$$3 \\times 3 \\times 3 = 27 \\times 10 \\text{ filters} \\Rightarrow 270$$"
    assert findings(text) == [] and checked(text) == 1


def test_arrow_between_two_numbers_is_not_a_claim_of_equality():
    assert checked("$$1.251 \\Rightarrow 0.62$$") == 0
    (finding,) = findings("$$0.25 \\approx 0.622$$")
    assert finding.written == "0.622"


def test_digits_written_on_the_right_side():
    assert findings("$$0.6648 \\approx 0.66$$") == []
    assert "truncated" in findings("$$0.6652 \\approx 0.66$$")[0].slip  # 0.6652 is 0.67 to two places
    assert findings("$$\\frac{e^{1}}{10} = 0.27$$") == []  # e/10 = 0.2718...
    assert findings("$$\\frac{1}{8} = 0.1250$$") == []
    (finding,) = findings("$$\\frac{1}{8} = 0.1260$$")
    assert finding.correct == "0.125"
    assert findings("$$0.0448 \\approx 0.045$$") == []
    assert len(findings("$$0.6652 \\approx 0.65$$")) == 1
    assert len(findings("$$1 = 2$$")) == 1 and len(findings("$$0.66 = 0.6652$$")) == 1
    text = "$$12 \\times 10^{6} = 12,000,001$$"
    (finding,) = findings(text)
    assert finding.written == "12,000,001" and finding.correct == "12000000"


def test_tolerance_relative():
    text = "$$\\frac{1}{3} = 0.30$$"
    assert len(findings(text)) == 1
    assert findings(text, tolerance=0.2) == []
    assert len(findings(text, tolerance=0.05)) == 1


def test_scientific_notation_is_a_written_number():
    assert findings("$$\\frac{3}{2000} = 1.5 \\times 10^{-3}$$") == []
    assert findings("$$1.5e-3 = 0.0015$$") == [] and findings("$$\\frac{3}{2000} = 1.5e-3$$") == []
    (finding,) = findings("$$\\frac{3}{2000} = 1.6 \\times 10^{-3}$$")
    assert finding.correct == "0.0015"


def test_thousands_separators_and_units():
    assert findings("$$224 \\times 224 \\times 3 = 150,528$$") == []
    assert findings("$$224 \\times 224 \\times 3 = 150{,}528 \\text{ pixels}$$") == []
    assert findings("$$2 \\times 9 = 18 \\text{ m}^3$$") == []
    (finding,) = findings("$$2 \\times 9 = 19 \\text{ m}^3$$")
    assert finding.correct == "18"


def test_a_word_inside_a_side_leaves_it_unknown():
    assert checked("$$2 \\text{ and } 3 = 6$$") == 0
    assert checked("$$20\\% \\text{ of } 50 = 10$$") == 0
    assert checked("$$\\Rightarrow \\text{O} = 0.06$$") == 0


def test_struck_through_text_is_skipped():
    assert checked("~~$$1 + 1 = 3$$~~\n") == 0
    assert findings("$$0.1 + 0.2 = \\cancel{0.4} 0.3$$") == []
    assert checked("$$2 + 2 = \\sout{5}$$") == 0


def test_undefined_sides_are_skipped():
    assert checked("$$\\frac{1}{0} = 5$$") == 0
    assert checked("$$\\log(-1) = 2$$") == 0
    assert checked("$$\\frac{d}{dx} = 2$$") == 0


def test_functions_evaluate_exactly():
    cases = [("\\sin(1)", math.sin(1)), ("\\cos(0.5)", math.cos(0.5)), ("\\tanh(0.3)", math.tanh(0.3)),
             ("\\sigma(0.5)", 1 / (1 + math.exp(-0.5))), ("e^{-2}", math.exp(-2)), ("\\exp(1.5)", math.exp(1.5)),
             ("\\log(3)", math.log(3)), ("\\sqrt{2}", math.sqrt(2)), ("\\frac{3}{7}", 3 / 7)]
    for latex, value in cases:
        assert findings(f"$${latex} = {value:.4f}$$") == [], latex
        (finding,) = findings(f"$${latex} = {value + 0.01:.4f}$$")
        assert abs(float(finding.correct) - value) < 1e-4


# --- bindings ---------------------------------------------------------------------------------------
def test_bindings_are_used_and_scoped_to_the_section():
    text = ("# A\n\n$$f_7 = 1 + 0.36 = 1.36$$\n\n$$f_8 = \\frac{1}{f_7} = 0.735$$\n\n$$x_1 = -2$$ "
            "$$x_1^2 = 5$$\n\n# B\n\n$$\\frac{1}{f_7} = 0.5$$\n")
    (finding,) = findings(text)
    assert (finding.written, finding.correct) == ("5", "4")
    assert checked(text) == 3  # 1 + 0.36 = 1.36, 1/f_7 = 0.735, x_1^2 = 5; section B knows no f_7


def test_matrix_names_bind_element_wise():
    text = ("$$\\begin{bmatrix} x_1 \\\\ x_2 \\end{bmatrix} = \\begin{bmatrix} -2.4 \\\\ 1.2 \\end{bmatrix}$$\n"
            "$$x_1 + x_2 = -1.1$$\n")
    (finding,) = findings(text)
    assert finding.correct == "-1.2"


def test_tuples_compare_and_bind_item_by_item():
    text = "$$(s_1, s_2) = (0.5, 0.25)$$\n$$(s_1 + s_2, s_1 s_2) = (0.75, 0.11)$$\n$$(1, 2) = (1)(2)$$"
    (finding,) = findings(text)
    assert (finding.written, finding.correct) == ("0.11", "0.125")
    assert checked(text) == 2


def test_unbound_names_are_skipped():
    assert checked("$$w x + b = 3$$") == 0


# --- matrices --------------------------------------------------------------------------------------
def test_matrices_element_wise():
    text = ("$$\\begin{bmatrix} 1 + 1 & 2 \\\\ 3 & 2 \\cdot 2 \\end{bmatrix} = "
            "\\begin{bmatrix} 2 & 2 \\\\ 3 & 5 \\end{bmatrix}$$")
    (finding,) = findings(text)
    assert (finding.written, finding.correct) == ("5", "4")
    assert (finding.line, finding.column) == where(text, "5 \\end")
    assert findings(text.replace("bmatrix", "pmatrix").replace("& 5", "& 4")) == []


def test_matrices_of_different_shapes_are_not_compared():
    assert checked("$$\\begin{bmatrix} 1 & 2 \\end{bmatrix} = \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}$$") == 0


# --- slips -----------------------------------------------------------------------------------------
def slip(text: str) -> str:
    (finding,) = findings(text)
    return finding.slip


def test_slip_sin_in_degrees():
    assert slip("$$\\sin(30) = 0.5$$") == REGISTRY["sin"].slips[0].text  # sin 30° = 1/2
    assert slip("$$\\cos(60) = 0.5$$") == REGISTRY["cos"].slips[0].text


def test_slip_truncated_not_rounded():
    assert "truncated" in slip("$$\\frac{2}{3} = 0.66$$") and "0.67" in slip("$$\\frac{2}{3} = 0.66$$")


def test_slip_sign_flipped():
    assert slip("$$2 - 5 = 3$$") == "the sign is flipped"


def test_slip_decimal_point():
    assert "decimal-point" in slip("$$0.5 \\times 0.3 = 1.5$$")
    assert "decimal-point" in slip("$$12 \\times 3 = 3.6$$")


def test_slip_term_dropped_and_one_sign():
    assert slip("$$3 + 5 + 7 = 12$$") == "one term is left out"  # 3 dropped
    assert slip("$$10 + 2 - 3 = 15$$") == "one term's sign is flipped"  # -3 as +3


def test_slip_sigma_for_sigma_derivative():
    text = REGISTRY["sigmoid"].slips[0].text
    assert slip("$$0.622(1 - 0.622) = 0.622$$") == text
    assert slip(f"$$\\sigma(1)(1 - \\sigma(1)) = {1 / (1 + math.exp(-1)):.3f}$$") == text
    assert slip(f"$$1 - \\tanh(0.5)^2 = {math.tanh(0.5):.3f}$$") == REGISTRY["tanh"].slips[0].text


def test_slip_search_is_bounded_per_file():
    from symdl.audit.sides import read
    from symdl.audit.located import Located
    from symdl.audit.slips import SlipSearch
    computed, written = (read(Located.of(text), {}).cells[0] for text in ("\\sin(30)", "0.5"))
    assert SlipSearch().name(computed, written, {}) == REGISTRY["sin"].slips[0].text
    search = SlipSearch(replays=1)  # sin(30) is the first node replayed
    assert search.name(computed, written, {}) == REGISTRY["sin"].slips[0].text and search.replays == 0
    assert search.name(computed, written, {}) is None  # the budget is spent


def test_unexplained_wrong_value_has_no_slip():
    assert slip("$$7 \\times 8 = 54$$") is None


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.integers(1, 4))
def test_a_right_sum_is_never_flagged_and_a_wrong_one_always(a, b, places):
    x, y = Fraction(a, 10**places), Fraction(b, 10**places)
    total = x + y
    right = f"{float(total):.{places}f}"
    text = f"$${float(x):.{places}f} + ({float(y):.{places}f}) = {right}$$"
    assert findings(text) == []
    wrong = f"{float(total + Fraction(1, 10**(places - 1))):.{places}f}"
    assert len(findings(text.replace(f"= {right}$$", f"= {wrong}$$"))) == 1


_PIECES = ["\\frac{", "}", "{", "(", ")", "1", "0.5", "x_1", "\\\\", "&", "\\begin{bmatrix}", "\\end{bmatrix}",
           "\\text{a}", "~~", "\n", "\\cancel{", "-", "+", "^", "e", "\\sigma", "\\sin", "150,528", "\\times", "<",
           "\\quad", ",", "f_7", "\\sqrt", "|", "3", "2.25", "\\Rightarrow", "=", "$", "$$", "\u202e", "# h\n", " "]


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=10).map("".join), min_size=2, max_size=4))
def test_any_notes_are_read_without_a_crash(sides):
    text = "$$f_7 = 2$$\n$$" + " = ".join(sides) + "$$\n"
    lines = text.split("\n")
    for path in ("n.md", "n.tex"):
        for check in audit_text(path, text).checks:
            assert 1 <= check.line <= len(lines) and 1 <= check.column <= len(lines[check.line - 1]) + 1
            assert check.written and check.written in text


# --- HTML -------------------------------------------------------------------------------------------
def test_html_marks_and_escapes_hostile_text(tmp_path, capsys):
    notes = tmp_path / "hostile.md"
    notes.write_text('<script>alert(1)</script> "><img src=x onerror=alert(1)> \u202eevil\u202c\n\n'
                     "$$1 + 1 = 2$$\n\n$$2 + 2 = 5 \\text{<b>bold</b>}$$\n", encoding="utf-8")
    out = tmp_path / "report.html"  # an output's folder must exist (all-or-nothing files, issue 13)
    code, _, err = cli(capsys, str(notes), "--html", str(out))
    assert code == 1, err
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "\u202e" not in page and "U+202E" in page
    assert page.count("\u2713") + page.count("&#x2713;") == 1
    assert "&#x2717; correct: 4" in page


# --- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"\x00\x01binary", b"\xff\xfe not utf-8 \xc3\x28"])
def test_not_text_is_exit_2(tmp_path, capsys, content):
    bad = tmp_path / "bad.md"
    bad.write_bytes(content)
    out = tmp_path / "out.html"
    code, out_text, err = cli(capsys, str(bad), "--html", str(out), "--json")
    assert code == 2 and out_text == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_unreadable_and_missing_files_are_exit_2(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text("$$1 + 1 = 3$$", encoding="utf-8")
    out = tmp_path / "out.html"
    for path in (tmp_path / "missing.md", tmp_path):
        code, out_text, err = cli(capsys, str(good), str(path), "--html", str(out))
        assert code == 2 and out_text == "" and len(err.strip().splitlines()) == 1
        assert not out.exists()


def test_bad_tolerance_is_exit_2(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text("$$1 + 1 = 2$$", encoding="utf-8")
    for value in ("abc", "-1", "nan"):
        code, _, err = cli(capsys, str(good), "--tolerance", value)
        assert code == 2 and len(err.strip().splitlines()) == 1, value
    assert cli(capsys, str(good), "--tolerance", "digits")[0] == 0
    good.write_text("$$\\frac{1}{3} = 0.30$$", encoding="utf-8")
    assert cli(capsys, str(good))[0] == 1 and cli(capsys, str(good), "--tolerance", "0.2")[0] == 0


def test_too_large_a_file_is_refused(tmp_path, capsys):
    from symdl.cli import main
    big = tmp_path / "big.md"
    big.write_text("$$1 + 1 = 2$$\n" * 100, encoding="utf-8")
    with limited(max_notes_bytes=100):
        assert main(["audit", str(big)]) == 2
    with limited(max_equations=10):
        assert main(["audit", str(big)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 2


# --- the seed ---------------------------------------------------------------------------------------
@pytest.mark.skipif(not SEED.exists(), reason="the seed notes are not on this machine")
def test_the_seed_runs_and_finds_the_softmax_slip():
    done = run(str(SEED), "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    lines = {(f["line"], f["written"], f["correct"]) for f in data["findings"]}
    assert (65, "0.24", "0.27") in lines  # e^1/10.0 = 2.7/10.0 = 0.27, written 0.24
    assert (69, "0.099", "0.1") in lines  # e^0/10.0 = 1.0/10.0 = 0.1


def test_html_to_stdout_is_the_page_alone(tmp_path, capsys):
    notes = tmp_path / "n.md"
    notes.write_text("$$1 + 1 = 3$$\n", encoding="utf-8")
    code, out, err = cli(capsys, str(notes), "--html", "-")
    assert code == 1 and err == ""
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")  # no report lines mixed in
