"""Worksheets: problem files solved, claims graded, variants drawn — and bad files refused.

Expected numbers are computed here by hand (math, plain NumPy), never read back
from symdl. The seed-note examples bundled in symdl/examples/ are checked for the slips the
notes are known to make.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, strategies as st

from symdl import examples as bundled
from symdl.cli import main
from symdl.printing.html import report as html_report
from symdl.worksheet import ProblemError, check, load, loads, solve
from symdl.worksheet.variants import variants

EXAMPLES = bundled.folder()
ALL_EXAMPLES = sorted(EXAMPLES.glob("*.toml"))


def verdicts(name: str) -> dict:
    return {v.claim: v for v in check(solve(load(EXAMPLES / name))).verdicts}


def problem(text: str):
    return solve(loads(text, "test.toml"))


# --- solving ---------------------------------------------------------------------------------------
def test_sigmoid_neuron_numbers_by_hand():
    s = solve(load(EXAMPLES / "sigmoid_neuron.toml")).quantities
    q = 2 * -1 + -3 * -2 - 3
    f = 1 / (1 + math.exp(-q))
    assert s["f6"].value == pytest.approx(math.exp(-1), rel=1e-12)
    assert s["f8"].value == pytest.approx(f, rel=1e-12)
    assert s["df8/df7"].value == pytest.approx(-1 / (1 + math.exp(-1)) ** 2, rel=1e-12)
    assert s["df8/dw0"].value == pytest.approx(-1 * f * (1 - f), rel=1e-12)  # x0 · σ'(q)
    assert s["df8/dx1"].value == pytest.approx(-3 * f * (1 - f), rel=1e-12)


def test_exploding_chain_numbers_by_hand():
    s = solve(load(EXAMPLES / "exploding_relu_chain.toml")).quantities
    assert float(s["f9"].value) == 124**2 / 2
    assert float(s["df9/dx"].value) == 124 * 5**3


def test_softmax_and_jacobian_by_numpy():
    s = solve(load(EXAMPLES / "softmax_jacobian.toml")).quantities
    x = np.array([2.0, 1.0, 0.1])
    soft = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(s["s"].value, soft, rtol=1e-12)
    jacobian = [[soft[i] * ((i == j) - soft[j]) for j in range(3)] for i in range(3)]
    np.testing.assert_allclose(s["ds/dx"].value, jacobian, rtol=1e-12, atol=1e-15)


def test_every_example_solves_and_prints(capsys):
    for path in ALL_EXAMPLES:
        assert main(["solve", str(path)]) == 0, path
        out = capsys.readouterr().out
        assert load(path).title in out


def test_derivative_problem_gives_the_textbook_form():
    s = problem('title = "t"\n[derivative]\nexpression = "sigmoid(x)"\nwrt = "x"\n').quantities
    assert str(s["d/dx"].value) in ("(1 - sigmoid(x))*sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))")


# --- grading ---------------------------------------------------------------------------------------
def test_add_gate_slip_is_named():
    v = verdicts("add_after_mul.toml")
    assert not v["df/dx"].right and v["df/dx"].cause == "step" and "add gate" in v["df/dx"].slip
    assert all(v[k].right for k in ("f", "df/dy", "df/dz", "dq/dy"))


def test_softmax_diagonal_slip_is_named():
    v = verdicts("softmax_jacobian.toml")
    assert v["s"].right  # 0.66, 0.24, 0.1: right to the digits written
    assert v["ds/dx[0,0]"].cause == "step" and "sᵢ(1 − sᵢ)" in v["ds/dx[0,0]"].slip
    assert "truncated" in v["ds/dx[1,0]"].slip  # −0.66·0.24 = −0.1584, written −0.15
    assert not v["ds/dx"].right


def test_carried_error_is_reported_at_its_origin():
    v = verdicts("sigmoid_neuron.toml")
    # e⁻¹ = 0.3679 written 0.36: truncated, a precision remark, and so are the numbers computed from it
    assert v["f6"].cause == "truncated" and v["f6"].slip == "truncated, not rounded: 0.37"
    for carried in ("f7", "f8", "df8/df7"):
        assert v[carried].cause == "truncated" and v[carried].origins == ("f6",), carried
    assert v["df8/df5"].cause == "step"  # −0.54 × 0.36 = −0.1944, written −0.198: the one wrong step
    # 0.19 for ∂f8/∂f3 and then −0.38 for ∂f8/∂w1 carry the truncation of 0.198 (0.20 rounded) at ∂f8/∂f4
    assert v["df8/df4"].slip == "truncated, not rounded: 0.20" and v["df8/dw1"].origins == ("df8/df4",)
    assert v["df8/dw1"].cause == "truncated"
    v = verdicts("exploding_relu_chain.toml")
    assert v["df9/df3"].cause == "step"
    assert v["df9/dx"].cause == "carried" and v["df9/dx"].origins == ("df9/df2",)  # 155 = 31·5, and 31 is the slip
    assert [k for k, x in v.items() if not x.right] == ["df9/df3", "df9/df2", "df9/dx"]


def test_power_rule_slip_and_its_consequences():
    v = verdicts("square_of_sum.toml")
    assert v["df/dq"].cause == "step" and "power rule" in v["df/dq"].slip
    assert v["df/dx"].cause == v["df/dy"].cause == "carried"


def test_formula_claims():
    v = verdicts("relu_definition.toml")
    assert not v["f(x)"].right and "factor of 2" in v["f(x)"].slip
    v = verdicts("tanh_quotient_rule.toml")
    assert v["d/dx"].right  # 1 − (eˣ − e⁻ˣ)²/(eˣ + e⁻ˣ)² is 1 − tanh²
    assert not v["f"].right  # tanh(1.9) = 0.956, not 0.716
    inverted = problem('title = "t"\n[derivative]\nexpression = "tanh(x)"\nwrt = "x"\n'
                       '[claims]\n"d/dx" = "1 - 1/tanh(x)**2"\n')
    assert "inverted" in check(inverted).verdicts[0].slip


@st.composite
def rounded_truths(draw):
    """A random point of a small network, and a claim rounded to 2 or 3 significant digits."""
    x, y, w = (draw(st.integers(-9, 9).filter(lambda v: v != 0)) / 4 for _ in range(3))
    digits = draw(st.sampled_from([2, 3]))
    return x, y, w, digits


@given(rounded_truths())
def test_claims_to_two_or_three_significant_digits_are_accepted(case):
    x, y, w, digits = case
    a = math.tanh(w * x + y)
    grad_w = x * (1 - a * a)
    claims = {"a": a, "da/dw": grad_w}
    lines = "\n".join(f'"{k}" = {float(f"{v:.{digits}g}")!r}' for k, v in claims.items())
    text = (f'title = "t"\n[graph]\nsteps = "z = w*x + y; a = tanh(z)"\nat = {{ x = {x}, y = {y}, w = {w} }}\n'
            f"[claims]\n{lines}\n")
    report = check(problem(text))
    assert not report.wrong, str(report)


@given(st.floats(0.2, 5.0), st.sampled_from([2, 3]))
def test_a_claim_off_in_its_last_written_digit_is_rejected(value, digits):
    truth = math.exp(value)
    written = float(f"{truth:.{digits}g}")
    exponent = math.floor(math.log10(abs(written))) - digits + 1
    places = max(0, -exponent)
    off = f"{written + 2 * 10.0**exponent:.{places}f}"  # two units in the last written place, trailing zeros kept
    text = f'title = "t"\n[graph]\nexpression = "exp(x)"\nat = {{ x = {value!r} }}\n[claims]\nf = {off}\n'
    assert check(problem(text)).wrong


def test_check_exit_status(tmp_path, capsys):
    assert main(["check", str(EXAMPLES / "max_gate.toml")]) == 0
    assert main(["check", str(EXAMPLES / "max_gate.toml"), str(EXAMPLES / "add_after_mul.toml")]) == 1
    out = capsys.readouterr().out
    assert "an add gate's local gradient is 1" in out
    assert main(["check", "--json", str(EXAMPLES / "add_after_mul.toml")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[0]["first_departures"] == ["df/dx"]


# --- variants ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_variants_are_reproducible_and_their_keys_check(path):
    p = load(path)
    first, again = variants(p, seed=7, count=3), variants(p, seed=7, count=3)
    assert [v.to_dict() for v in first] == [v.to_dict() for v in again]
    other = variants(p, seed=8, count=3)
    assert any(not np.array_equal(a, b) for v, w in zip(first, other) for a, b in zip(v.given.values(),
                                                                                      w.given.values()))
    for v in first:
        keyed = type(v.problem)(**{**v.problem.__dict__, "claims": _claims(v.answers())})
        report = check(solve(keyed))
        assert report.verdicts and not report.wrong, str(report)


def _claims(answers: dict) -> dict:
    return {k: value if isinstance(value, str) else np.asarray(value, dtype=float) for k, value in answers.items()}


def test_exercise_files(tmp_path, capsys):
    out = tmp_path / "sheet"
    assert main(["exercise", str(EXAMPLES / "sigmoid_neuron.toml"), "--seed", "3", "--count", "3",
                 "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["sigmoid_neuron-seed3-answers.fragment.tex", "sigmoid_neuron-seed3-answers.tex",
                     "sigmoid_neuron-seed3-exercises.json", "sigmoid_neuron-seed3-questions.fragment.tex",
                     "sigmoid_neuron-seed3-questions.tex"]
    data = json.loads((out / "sigmoid_neuron-seed3-exercises.json").read_text())
    assert len(data["variants"]) == 3
    questions = (out / "sigmoid_neuron-seed3-questions.tex").read_text()
    answers = (out / "sigmoid_neuron-seed3-answers.tex").read_text()
    assert "Find" in questions and "Find" not in answers and "align*" in answers
    # the question states the problem: every gate of the circuit, and the circuit itself without numbers
    for gate in ("f_{1} &= w_{0} \\cdot x_{0}", "f_{6} &= e^{f_{5}}", "f_{8} &= \\frac{1}{f_{7}}"):
        assert gate in questions, gate
    assert questions.count("\\begin{tikzpicture}") == 1 and "\\begin{tikzpicture}" not in answers
    picture = questions[questions.index("\\begin{tikzpicture}"):questions.index("\\end{tikzpicture}")]
    assert not any(str(v) in picture for v in ("0.731", "-0.19", "1.36"))


def test_variants_stay_out_of_saturation():
    """With preactivation = 3 the exponent −(w0 x0 + w1 x1 + w2) of every draw is within ±3, checked by
    hand from the drawn numbers, so σ′ = σ(1 − σ) ≥ σ(3)(1 − σ(3)) ≈ 0.045, never ~1e−4."""
    text = (EXAMPLES / "sigmoid_neuron.toml").read_text()
    assert "preactivation = 3" in text
    for v in variants(loads(text, "neuron.toml"), seed=11, count=12):
        g = v.given
        z = float(g["w0"] * g["x0"] + g["w1"] * g["x1"] + g["w2"])
        assert abs(z) <= 3, g
    wide = text.replace("preactivation = 3", "")
    z_values = [float(v.given["w0"] * v.given["x0"] + v.given["w1"] * v.given["x1"] + v.given["w2"])
                for v in variants(loads(wide, "neuron.toml"), seed=11, count=12)]
    assert max(abs(z) for z in z_values) > 3  # without the bound, the same seed does saturate


@pytest.mark.parametrize("value", ["0", "-1", "true", '"3"'])
def test_a_bad_preactivation_bound_is_refused(value):
    text = (EXAMPLES / "sigmoid_neuron.toml").read_text().replace("preactivation = 3", f"preactivation = {value}")
    with pytest.raises(ProblemError, match="preactivation"):
        loads(text, "neuron.toml")


# --- outputs ----------------------------------------------------------------------------------------
def test_solve_writes_every_format(tmp_path, capsys):
    assert main(["solve", str(EXAMPLES / "sigmoid_neuron.toml"), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"sigmoid_neuron.{fmt}" for fmt in (
        "fragment.tex", "html", "json", "svg", "tex", "tikz", "txt")]
    data = json.loads((tmp_path / "sigmoid_neuron.json").read_text())
    assert data["quantities"]["f8"]["value"] == pytest.approx(1 / (1 + math.exp(-1)))
    assert data["check"]["first_departures"] == ["df8/df5"]  # f6 = 0.36 is only truncated
    html = (tmp_path / "sigmoid_neuron.html").read_text()
    assert "<svg" in html and "<script" not in html
    assert main(["solve", "--json", str(EXAMPLES / "derivative_free.toml")]) == 2  # no such file
    assert main(["solve", str(EXAMPLES / "relu_definition.toml"), "--out", str(tmp_path / "d")]) == 0
    assert not (tmp_path / "d" / "relu_definition.svg").exists()  # a derivative has no circuit


def test_solution_document_compiles(tmp_path, capsys):
    engine = shutil.which("latexmk")
    if engine is None:
        pytest.skip("no TeX installation: install Debian's texlive-latex-base, texlive-latex-recommended, latexmk")
    for name in ("sigmoid_neuron", "softmax_jacobian", "tanh_quotient_rule"):
        assert main(["solve", str(EXAMPLES / f"{name}.toml"), "--out", str(tmp_path)]) == 0
        run = subprocess.run([engine, "-pdf", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                              f"{name}.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert (tmp_path / f"{name}.pdf").exists(), run.stdout[-3000:]


# --- bad files --------------------------------------------------------------------------------------
BAD = {
    "unknown top-level key": ('title = "t"\ncolour = 1\n[graph]\nexpression = "x"\nat = { x = 1 }\n', ":2:", "colour"),
    "two kinds": ('title = "t"\n[graph]\nexpression = "x"\nat = { x = 1 }\n[derivative]\nexpression = "x"\n'
                  'wrt = "x"\n', "exactly one", ""),
    "missing title": ('[graph]\nexpression = "x"\nat = { x = 1 }\n', "title", ""),
    "missing at": ('title = "t"\n[graph]\nexpression = "x*y"\nat = { x = 1 }\n', "no value given for y", ""),
    "claim shape": ('title = "t"\n[network]\ninputs = { x = [1.0, 2.0] }\n[[network.ops]]\nname = "s"\n'
                    'op = "softmax"\ninputs = ["x"]\n[claims]\ns = [0.5, 0.5, 0.5]\n', "shape", "claims.s"),
    "ragged array": ('title = "t"\n[network]\ninputs = { x = [[1.0, 2.0], [3.0]] }\n[[network.ops]]\n'
                     'name = "s"\nop = "softmax"\ninputs = ["x"]\n', ":3:", "rectangular"),
    "unknown quantity": ('title = "t"\n[graph]\nexpression = "x*y"\nat = { x = 1, y = 2 }\n[claims]\n'
                         '"df/dz" = 1\n', ":6:", "no quantity"),
    "unknown op": ('title = "t"\n[network]\ninputs = { x = [1.0] }\n[[network.ops]]\nname = "s"\n'
                   'op = "__import__"\ninputs = ["x"]\n', ":4:", "__import__"),
    "op key": ('title = "t"\n[network]\ninputs = { x = [1.0] }\n[[network.ops]]\nname = "s"\nop = "tanh"\n'
               'inputs = ["x"]\ncode = "os.system(1)"\n', ":8:", "code"),
    "bad index": ('title = "t"\n[graph]\nexpression = "x*y"\nat = { x = 1, y = 2 }\n[claims]\n"f[3]" = 1\n',
                  "outside", ""),
    "hostile expression": ('title = "t"\n[graph]\nexpression = "__import__(\'os\').system(\'x\')"\nat = {}\n',
                           "graph", ""),
    "not toml": ('title = "t\n', "not valid TOML", ""),
    "formula claim on a number": ('title = "t"\n[graph]\nexpression = "2*x"\nat = { x = 1 }\n[claims]\nf = "x"\n',
                                  "claim it as a number", ""),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_name_file_line_and_key(name, tmp_path, capsys):
    text, *expected = BAD[name]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symdl check: ") and err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    for fragment in expected:
        assert fragment in err, err
    assert main(["solve", str(path), "--out", str(tmp_path / "out")]) == 2
    assert sorted(tmp_path.iterdir()) == before  # nothing written


_PIECES = st.sampled_from([
    "title", "[graph]", "[network]", "[claims]", "[[network.ops]]", "expression", "steps", "at", "=", '"', "[", "]",
    "{", "}", ",", "x", "f", "df/dx", "1", "-2.5", "1e400", "[1, 2]", "[[1], [2, 3]]", "\n", "op", "inputs",
    "softmax", "tanh", "name", '"x"', "true", "nan", "inf", "\\", "é", "\x00", "__class__",
])


@given(st.lists(_PIECES, max_size=40), st.sampled_from(ALL_EXAMPLES or [None]), st.integers(0, 10_000))
def test_fuzzed_problem_files_never_crash(pieces, example, cut):
    """Random text, and real examples cut or spliced with it: exit 0, 1 or 2, never a traceback."""
    base = example.read_text(encoding="utf-8") if example else ""
    cut = cut % (len(base) + 1)
    text = base[:cut] + " ".join(pieces) + base[cut:]
    try:
        report = check(solve(loads(text, "fuzz.toml")))
    except ProblemError as error:
        assert str(error).startswith("fuzz.toml")
    else:
        assert isinstance(report.wrong, list)


@pytest.mark.parametrize("steps, at, corner", [
    ("f = min(z, w, v)", "z = 0, w = 1, v = -1", lambda g: sorted(g.values())[0] == sorted(g.values())[1]),
    ("f = max(z, w, v)", "z = 0, w = 1, v = -1", lambda g: sorted(g.values())[-1] == sorted(g.values())[-2]),
    ("f = relu(x)*y", "x = 1, y = 1", lambda g: g["x"] == 0),
])
def test_variants_never_land_on_a_kink(steps, at, corner):
    """Integers in [−1, 1] tie or hit 0 in most draws: every such draw must be drawn again."""
    text = (f'title = "t"\n[graph]\nsteps = "{steps}"\nat = {{ {at} }}\ngranularity = "ops"\n'
            '[variants]\nlow = -1\nhigh = 1\n')
    for v in variants(loads(text, "kink.toml"), seed=1, count=20):
        assert not corner({k: float(x) for k, x in v.given.items()}), v.given


@pytest.mark.parametrize("name", ["sigmoid_neuron", "tanh_quotient_rule", "mlp_four_input"])
def test_exercise_sheets_compile(tmp_path, name):
    """Each sheet (questions, answers) is one PDF that pdflatex compiles, with nothing past the margin."""
    if shutil.which("pdflatex") is None:
        pytest.skip("no TeX installation: install Debian's texlive-latex-base, texlive-latex-recommended, texlive-pictures")
    assert main(["exercise", str(EXAMPLES / f"{name}.toml"), "--seed", "5", "--count", "2", "--out", str(tmp_path)]) == 0
    for sheet in ("questions", "answers"):
        tex = f"{name}-seed5-{sheet}.tex"
        run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", tex],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert (tmp_path / tex).with_suffix(".pdf").exists(), run.stdout[-2000:]


def test_a_slip_with_no_real_value_at_the_point_is_left_out(tmp_path):
    """At x = 0 the inverted-fraction slip of tanh, 1 − 1/tanh²(x), is infinite: no student's number comes
    from it, so it is dropped and the point is still solved (tanh′(0) = 1 − 0² = 1 by hand)."""
    path = tmp_path / "tanh0.toml"
    path.write_text('title = "tanh at 0"\n[derivative]\nexpression = "(exp(x) - exp(-x))/(exp(x) + exp(-x))"\n'
                    'wrt = "x"\nat = { x = 0 }\n', encoding="utf-8")
    solution = solve(load(path))
    assert float(solution.quantities["df/dx"].value) == 1.0
    assert float(solution.quantities["f"].value) == 0.0


# --- rules: the broadcast sentence only where an input is broadcast, each rule said once ------------
BIAS = """title = "a bias added to every row"
[network.inputs]
X = [[1.0, 2.0], [3.0, 4.0]]
[network.parameters]
w = [0.5, -1.0]
v = [1.0, 1.0]
b = 0.25
[[network.ops]]
name = "Xw"
op = "matmul"
inputs = ["X", "w"]
[[network.ops]]
name = "z"
op = "add"
inputs = ["Xw", "b"]
[[network.ops]]
name = "u"
op = "add"
inputs = ["Xw", "v"]
"""


def test_the_broadcast_sentence_stands_only_beside_a_broadcast_input():
    s = problem(BIAS).quantities
    # b is one number added to both rows of X w (shape (2,)): its gradient is summed; X w and v are
    # both of shape (2,), as is u = X w + v, so nothing is broadcast there
    assert "broadcast" in s["dz/db"].rule and "summed" in s["dz/db"].rule and "broadcast" in s["z"].rule
    assert "broadcast" not in s["dz/dXw"].rule
    assert all("broadcast" not in s[key].rule for key in ("u", "du/dXw", "du/dv"))
    assert s["du/dv"].rule.startswith("An add hands the upstream gradient to both inputs")


def test_a_rule_shared_by_many_rows_is_said_once_on_the_page():
    # the LSTM's eight pre-activations are each a sum of two vectors of one shape (z = W_h h + W_x x):
    # sixteen local gradients of an add, sixteen of a matrix product, one rule sentence each
    page = str(solve(load(EXAMPLES / "lstm.toml")))
    assert page.count("An add hands the upstream gradient to both inputs") == 1
    assert page.count("For Y = A B the left factor's gradient") == 1
    assert "broadcast" not in page
    # said where the add is first differentiated
    assert page.index("∂z_i/∂z_hi =") < page.index("An add hands") < page.index("∂z_i/∂z_xi =")
    html = html_report("lstm", solve(load(EXAMPLES / "lstm.toml")))
    assert html.count("An add hands the upstream gradient to both inputs") == 1
    # beside the gradient it is about (its name the fraction ∂z_i/∂z_hi), not the forward value z_i = z_hi + z_xi
    row = next(r for r in html.split("<tr") if "An add hands" in r)
    assert "<mfrac>" in row and "<mi>hi</mi></msub></mrow></mfrac>" in row  # ∂z_i/∂z_hi


# --- a size calculation is worked by its values only -------------------------------------------------
SIZES = """title = "one layer's output size"
gradients = false
[graph]
steps = "d = n + 2*p - f; n1 = floor(d/s) + 1"
at = { n = 7, p = 1, f = 3, s = 2 }
[claims]
"""


def test_a_size_calculation_has_no_gradient_rows_and_says_why():
    # (7 + 2 − 3)/2 = 3, floor 3, + 1 = 4
    s = problem(SIZES + "n1 = 4\n")
    assert {q.kind for q in s.quantities.values()} == {"given", "value"}
    assert all(q.rule == "" for q in s.quantities.values() if q.kind == "value")  # an op's rule is its gradient's
    assert float(s.quantities["n1"].value) == 4
    page = str(s)
    assert "∂" not in page and "Values only: a size or count calculation has no gradient" in page
    assert "Values only" in html_report("sizes", s)
    assert check(s).lines()[-1] == "  0 of 1 claims wrong"


def test_a_gradient_claimed_of_a_size_calculation_is_refused():
    with pytest.raises(ProblemError, match="no quantity 'dn1/dn'"):
        check(problem(SIZES + '"dn1/dn" = 0\n'))
    with pytest.raises(ProblemError, match="'gradients' is true or false"):
        loads(SIZES.replace("gradients = false", 'gradients = "no"'), "test.toml")


@pytest.mark.parametrize("name", ["conv_output_sizes", "parameter_count", "bottleneck_cost"])
def test_the_bundled_size_and_count_examples_are_values_only(name):
    s = solve(load(EXAMPLES / f"{name}.toml"))
    assert s.values_only and all(q.kind in ("given", "value") for q in s.quantities.values())
