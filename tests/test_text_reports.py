"""The text printer's pages for a worked solution, a check report, a verdict and a gradient check.

Each expected text is written out by hand for a tiny case; the model classes' ``lines()``,
``line()``, ``table()`` and ``str()`` must give the printer's text, and their modules must build
no display strings of their own.
"""

from __future__ import annotations

import ast
import importlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symdl
from symdl.printing.text import text
from symdl.worksheet import Report, Solution, loads
from symdl.worksheet.grading import Verdict
from symdl.worksheet.solution import Quantity

gradcheck_module = importlib.import_module("symdl.gradcheck")  # ``symdl.gradcheck`` is the function
ROOT = Path(__file__).resolve().parents[1]
PROBLEM = '''title = "a two-step product"
source = "by hand"
notes = "A hyphen-joined note stays as written: x = -2."

[graph]
steps = "q = x*y"
at = { x = -2, y = 3 }
'''


def hand_solution() -> Solution:
    """x = −2, y = 3, q = xy = −6, ∂q/∂x = y = 3: quantities written by hand, not by the solvers."""
    problem = loads(PROBLEM, path="sheets/two-step.toml")
    quantities = [Quantity("x", "given", np.array(-2.0), rule="input"),
                  Quantity("q", "value", np.array(-6.0), formula="x*y = (-2)*3 = -6", rule="a product"),
                  Quantity("dq/dx", "local", np.array(3.0), formula="y = 3", rule="a multiply gate swaps"),
                  Quantity("dq/dW", "local", np.zeros((2, 2, 2)), formula="a 3-d Jacobian"),
                  Quantity("dq/dy", "local", np.array([[1.0, -0.5], [0.25, 2.0]]))]
    return Solution(problem, {q.key: q for q in quantities}, work=None)


def test_a_solution_prints_one_step_a_line():
    """The title ruled off, the source, label = formula = value with the rule (not for a value),
    no 3-d Jacobian, an array's rows on their own lines, the notes; every number's minus sign
    U+2212, in values and formulas alike, and the notes' hyphens as written."""
    solution = hand_solution()
    expected = ["a two-step product",
                "==================",
                "source: by hand",
                "x = −2    [input]",
                "q = x*y = (−2)*3 = −6",
                "∂q/∂x = y = 3    [a multiply gate swaps]",
                "∂q/∂y = [[1, −0.5],\n [0.25, 2]]",
                "",
                "A hyphen-joined note stays as written: x = -2."]
    assert text(solution) == str(solution) == "\n".join(expected)
    assert solution.lines() == "\n".join(expected).split("\n")


def test_a_scalar_step_is_written_as_mathematics_then_with_its_numbers():
    """Issue 12: worked lines read ``f1 = w0*x0 = 2*(-1)``, ``-f8**2``, ``exp((-1))``. A step with a SymPy
    formula (``Quantity.expr``) is printed in the text printer's notation, then again with each operand's
    value: a negative number in parentheses, but bare as a call's argument; a non-integer base of a
    power in parentheses. Expected lines written by hand."""
    import sympy as sp

    problem = loads(PROBLEM, path="sheets/two-step.toml")
    x, y, f, t = sp.symbols("x y f t")
    given = {"x": -2.0, "y": 3.0, "f": 0.731059, "t": -1.0}
    quantities = [Quantity(k, "given", np.array(v), rule="input") for k, v in given.items()]
    quantities += [Quantity("q", "value", np.array(-6.0), formula="x*y", expr=x * y),
                   Quantity("e", "value", np.array(math.exp(-1)), formula="exp(t)", expr=sp.exp(t)),
                   Quantity("dg/dt", "local", np.array(0.42), formula="1 - tanh(t)**2", expr=1 - sp.tanh(t) ** 2),
                   Quantity("dr/df", "local", np.array(-0.534447), formula="-f**2", expr=-f ** 2),
                   Quantity("dp/dx", "local", np.array(4.0), formula="x**2", expr=x ** 2),
                   Quantity("dq/dx", "local", np.array(3.0), formula="y", expr=y)]
    lines = text(Solution(problem, {q.key: q for q in quantities}, work=None)).split("\n")
    assert "q = x·y = (−2)·3 = −6" in lines
    assert "e = eᵗ = e⁻¹ = 0.367879" in lines
    assert "∂g/∂t = 1 − tanh²(t) = 1 − tanh²(−1) = 0.42" in lines
    assert "∂r/∂f = −f² = −(0.731059)² = −0.534447" in lines
    assert "∂p/∂x = x² = (−2)² = 4" in lines
    assert "∂q/∂x = y = 3" in lines


def test_no_bundled_worked_solution_prints_python():
    """No example's text holds ``**``, a ``*`` product, ``Heaviside(`` or doubled parentheses."""
    from symdl import examples
    from symdl.worksheet import load, solve

    for name in examples.names():
        printed = text(solve(load(examples.path(name))))
        assert not re.search(r"\*|Heaviside\(|\(\(−?[\d.]+\)\)", printed.split("\n\n")[0]), name


def test_a_solution_of_a_derivation_prints_the_derivation_first():
    """d/dx (x²) = 2x, then the quantities."""
    problem = loads('title = "a square"\n[derivative]\nexpression = "x^2"\nwrt = "x"\n')
    solution = symdl.worksheet.solve(problem)
    printed = str(solution).split("\n")
    assert printed[:4] == ["a square", "========", "", "d/dx (x²) = 2x"]


def test_a_right_verdict_with_negative_numbers():
    verdict = Verdict("dq/dy", np.array(-4.0), np.array(-4.0), True)
    assert text(verdict) == verdict.line() == "  ✓ ∂q/∂y = −4   (exact: −4)"


def test_a_right_verdict_keeps_its_note_and_the_hyphens_of_words():
    verdict = Verdict("q", np.array(-0.66), np.array(-0.664), True, slip="right for a well-rounded input")
    assert verdict.line() == "  ✓ q = −0.66   (exact: −0.664; right for a well-rounded input)"


def test_a_carried_verdict_names_its_origins_and_its_wrong_entries():
    verdict = Verdict("df/dx", np.array([0.5, -1.0]), np.array([0.5, -2.0]), False, cause="carried",
                      origins=("dq/dx", "f"), wrong_entries=("[1]: -1 (correct -2)",))
    assert verdict.line() == ("  ✗ ∂f/∂x = [0.5, −1]   correct: [0.5, −2]. Carried forward from ∂q/∂x, f; "
                              "the step itself is right for the numbers used.\n"
                              "      [1]: −1 (correct −2)")


def test_a_wrong_step_with_many_entries_shows_eight_and_counts_the_rest():
    entries = tuple(f"[{i}]: {-i} (correct {i})" for i in range(1, 11))
    verdict = Verdict("z", -np.arange(1.0, 11.0), np.arange(1.0, 11.0), False, cause="step",
                      slip="the sign is flipped", wrong_entries=entries)
    lines = verdict.line().split("\n")
    assert lines[0] == ("  ✗ z = [−1, −2, −3, −4, −5, −6, −7, −8, −9, −10]   correct: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]. "
                        "This step is wrong: the sign is flipped.")
    assert lines[1:] == [f"      [{i}]: −{i} (correct {i})" for i in range(1, 9)] + ["      … 2 more"]


def test_a_misread_given_and_a_formula_claim():
    given_wrong = Verdict("x", np.array(2.0), np.array(-2.0), False, cause="given")
    assert given_wrong.line() == "  ✗ x = 2   correct: −2. The given data is misread."
    formula = Verdict("d/dx", "exp(-x)*(1 - x)", symdl.parse("1 - x"), False, cause="step")
    assert formula.line() == "  ✗ df/dx = (1 − x)·e⁻ˣ   correct: 1 − x. This step is wrong."  # formulas in textbook notation


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_every_negative_number_of_a_verdict_has_a_minus_sign(number):
    """Whatever the number, the line has no hyphen, and a U+2212 before it exactly when it is negative."""
    from symdl.printing.values import show

    line = Verdict("q", np.array(number), np.array(number), True).line()
    magnitude = show(abs(number)).replace("e-", "e−")
    sign = "−" if number < 0 and show(number) != "0" else ""
    assert "-" not in line
    assert line == f"  ✓ q = {sign}{magnitude}   (exact: {sign}{magnitude})"


def test_a_report_prints_its_file_its_verdicts_and_the_tally():
    solution = hand_solution()
    report = Report(solution, [Verdict("q", np.array(-6.0), np.array(-6.0), True),
                               Verdict("dq/dx", np.array(-3.0), np.array(3.0), False, cause="step",
                                       slip="the sign is flipped")])
    expected = ["sheets/two-step.toml — a two-step product",
                "  ✓ q = −6   (exact: −6)",
                "  ✗ ∂q/∂x = −3   correct: 3. This step is wrong: the sign is flipped.",
                "  1 of 2 claims wrong; the work first goes wrong at ∂q/∂x"]
    assert text(report) == str(report) == "\n".join(expected)
    assert report.lines() == expected


def test_a_report_without_claims_says_so():
    report = Report(hand_solution(), [])
    assert report.lines() == ["sheets/two-step.toml — a two-step product", "  (no claims to check)",
                              "  0 of 0 claims wrong"]


def hand_gradcheck() -> gradcheck_module.GradcheckResult:
    """Two points of f = x·y (∂f/∂x = y): one checked, one at a kink; y never checked."""
    return gradcheck_module.GradcheckResult(
        symdl.parse("x*y"), ["x", "y"], ["x", "y"], np.array([[-0.5, -1.25], [1.0, 2.0]]),
        symbolic=np.array([[-1.25, -0.5], [2.0, 1.0]]), numeric=np.array([[-1.25, -0.5], [2.0, 1.0]]),
        numeric_error=np.array([[2e-11, 1e-11], [0.0, 0.0]]), tolerance=np.ones((2, 2)), torch=None,
        status=np.array([["pass", "kink"], ["", "undefined"]]))


def test_a_gradcheck_table_with_minus_signs():
    """Columns padded to the widest cell, the header ruled with =, U+2212 in every negative number
    (the exponents' too), the unused candidate left out, the summary below."""
    result = hand_gradcheck()
    expected = [
        "input  point            symdl  central difference  PyTorch  |difference|  status",
        "=====  ===============  =====  ==================  =======  ============  =========",
        "x      x=−0.5, y=−1.25  −1.25  −1.25 ± 2.0e−11              0.0e+00       pass",
        "y      x=−0.5, y=−1.25  −0.5   −0.5 ± 1.0e−11               0.0e+00       kink",
        "y      x=1, y=2         1      1 ± 0.0e+00                  0.0e+00       undefined",
        "",
        "1 checks: 1 agree, 0 disagree; 2 not checkable (kink or undefined); never checked: y; PyTorch not used"]
    assert text(result) == result.table() == "\n".join(expected)
    assert result.summary() == expected[-1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_real_gradcheck_table_reads_back(seed):
    """f = x·y − 3x at seeded points: ∂f/∂x = y − 3 and ∂f/∂y = x, worked out by hand, in each row's
    symdl column; no hyphen anywhere."""
    table = symdl.gradcheck("x*y - 3*x", points=2, seed=seed, torch=False).table()
    assert "-" not in table
    for row in table.split("\n")[2:-2]:
        name, point, value = re.split(r"\s{2,}", row)[:3]
        at = {k: float(v.replace("−", "-")) for k, v in (pair.split("=") for pair in point.split(", "))}
        expected = at["y"] - 3 if name == "x" else at["x"]
        assert math.isclose(float(value.replace("−", "-")), expected, rel_tol=1e-5)


def test_the_cli_prints_the_gradcheck_table_in_ascii_where_the_stream_needs_it():
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "symdl", "gradcheck", "x*y", "--at", "x=-2,y=3"],
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"},
                          timeout=120)
    assert done.returncode == 0 and done.stderr == b""
    rows = done.stdout.decode("ascii").split("\n")
    assert rows[2].split()[:4] == ["x", "x=-2,", "y=3", "3"] and rows[3].split()[:4] == ["y", "x=-2,", "y=3", "-2"]


MODEL_MODULES = ["symdl/worksheet/solution.py", "symdl/worksheet/grading.py", "symdl/gradcheck.py",
                 "symdl/backprop.py", "symdl/derivation.py"]
PADDING = {"ljust", "rjust", "center"}
MARKS = ("✓", "✗", "±", " — ", "claims wrong", "central difference", "exact: ")


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


@pytest.mark.parametrize("path", MODEL_MODULES)
def test_the_model_modules_build_no_display_text(path):
    """Tables and verdict lines are the text printer's: no column padding, check marks, rules
    ("=" * width) or the report's phrases in the model modules' code (docstrings may describe them)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    padding = [node.lineno for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr in PADDING]
    marks = [(node.lineno, node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
             and any(mark in node.value for mark in MARKS)]
    rules = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
             and any(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.left, node.right))]
    assert padding == [] and marks == [] and rules == []
