"""A hostile-input corpus: every case ends in a clear SymdlError or a correct answer, fast,
executes nothing and writes nothing.

Each case runs through the Python API in an empty temporary working directory with
canaries in place: ``os.system``, ``os.popen``, the ``os.exec*``/``spawn*`` family,
``subprocess.Popen`` and imports of ``subprocess``/``socket``/``ctypes``/``shutil`` raise,
and the payloads try to create a sentinel file, which must never appear. A sample goes
through the command line too (exit 2, one stderr line, no traceback).
"""

from __future__ import annotations

import builtins
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import symdl
from symdl.errors import LimitError, ParseError, SymdlError
from symdl.limits import LIMITS, limited
from symdl.parsing import parse
from test_parsing import counting_work

SENTINEL = "PWNED"
TOUCH = f"__import__('os').system('touch {SENTINEL}')"
OPEN = f"open('{SENTINEL}', 'w').write('x')"

x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)


class Case:
    """One hostile input: ``run`` calls the API; ``check`` (optional) validates a returned answer."""

    def __init__(self, category, name, run, check=None):
        self.category, self.name, self.run, self.check = category, name, run, check

    def __repr__(self):
        return f"{self.category}-{self.name}"


def P(text):
    return lambda: symdl.parse(text)


def L(text):
    return lambda: symdl.parse_latex(text)


def B(text, at):
    return lambda: symdl.backprop(text, at=at)


def D(text, wrt):
    return lambda: symdl.derive(text, wrt)


def K(text, wrt=None):
    return lambda: symdl.kernel(text, wrt)


def equals(expected):
    return lambda result: sp.simplify((result - expected).rewrite(sp.exp)) == 0


def value(expected):
    return lambda result: math.isclose(result.value, expected, rel_tol=1e-12)


def kernel_at(point, expected_value):
    def check(k):
        got, _ = k(**point)
        return math.isclose(float(got), expected_value, rel_tol=1e-12)
    return check


CASES: list[Case] = []


def add(category, *entries):
    for entry in entries:
        CASES.append(Case(category, *entry))


# --- code injection through expression text --------------------------------------------------
INJECTIONS = [
    TOUCH, OPEN, "eval('1')", "exec('import os')", "lambda: 0", "x.__class__", "x; import os",
    "().__class__.__bases__[0].__subclasses__()", "getattr(x, 'y')", "x if 1 else y",
    "[x for x in ()]", "f'{x}'", "x # comment", "x\\\ny", "x @ y", "`x`", "$(touch PWNED)",
    "x'); import os; ('", '"x"', "{x: 1}", "x[0]", "x.real", "x := 1", "*x", "x ** ** y", "x!",
    "import os", "globals()", "Symbol('x')", "x, y",
]
add("inject-text", *[(f"parse{i}", P(t)) for i, t in enumerate(INJECTIONS)])
add("inject-text",
    ("backprop", B(TOUCH, "x=1")), ("derive", D(OPEN, "x")), ("kernel", K(TOUCH)),
    ("steps", lambda: symdl.parse_steps(f"q = {TOUCH}; f = q")),
    ("steps-name", lambda: symdl.parse_steps("__import__ = x; f = __import__")))

# --- names: Python builtins, NumPy names and keywords as variables ---------------------------
add("names",
    ("dunder", P("__class__ + x")), ("dunder-builtins", P("__builtins__")), ("dunder-globals", P("x + __globals__")),
    ("keyword", P("lambda + x")), ("keyword-import", P("import")), ("none", P("None + x")),
    ("underscore", P("_ * x"), lambda r: r.free_symbols and len(r.free_symbols) == 2),
    ("long-name", P("a" * 100)),
    ("kernel-exec-print", K("exec + print*x"), kernel_at({"exec": 1.0, "print": 2.0, "x": 3.0}, 7.0)),
    ("kernel-numpy-np", K("numpy*np + x"), kernel_at({"numpy": 2.0, "np": 3.0, "x": 1.0}, 7.0)),
    ("kernel-select-where", K("select + where*exp(x)"), kernel_at({"select": 1.0, "where": 2.0, "x": 0.0}, 3.0)),
    ("kernel-underscore", K("_x + x_"), kernel_at({"_x": 1.0, "x_": 2.0}, 3.0)),
    ("kernel-builtins", K("open + eval + os"), kernel_at({"open": 1.0, "eval": 2.0, "os": 3.0}, 6.0)),
    ("kernel-math-scipy", K("math*scipy"), kernel_at({"math": 2.0, "scipy": 4.0}, 8.0)),
    ("backprop-builtins", B("exec*print", "exec=2,print=3"), value(6.0)),
    ("derive-numpy", D("numpy**2", "numpy"), lambda d: d.result == 2 * sp.Symbol("numpy", real=True)))

# --- function names that are not registry ops ------------------------------------------------
FUNCTIONS = ["system", "__import__", "getattr", "Symbol", "Function", "sympify", "S", "eval", "exec",
             "Integer", "Lambda", "open", "compile", "globals", "vars", "input", "breakpoint", "lambdify"]
add("functions", *[(f, P(f"{f}(x)")) for f in FUNCTIONS])
add("functions", ("kernel-system", K("system(x)")), ("derive-import", D("__import__(x)", "x")),
    ("step-payload", P(f"step(x, {TOUCH})")), ("leaky-payload", P("leaky_relu(x, eval)")))

# --- --at values (the point) -------------------------------------------------------------------
AT = [f"x={TOUCH}", "x=1;import os", "x=1e999999", "x=nan", "x=inf", "x=1/0", "x=0x10", "x=1_000",
      "x=eval(1)", "__x=1", "x=1,x=2", "x=1e400", "x=--1", "x=", "=1", "x=1,", "x=\x00", "x=1\udcff",
      "x=" + "9" * 10_000, "x=1e-400", "lambda=1"]
add("at", *[(f"at{i}", B("x*2", a)) for i, a in enumerate(AT)])
add("at", ("dict-string", B("x*2", {"x": TOUCH})), ("dict-nan", B("x*2", {"x": float("nan")})),
    ("dict-object", B("x*2", {"x": object()})), ("dict-bool", B("x*2", {"x": True})),
    ("fraction", B("x*3", "x=1/3"), value(1.0)))

# --- --wrt names -----------------------------------------------------------------------------
add("wrt", ("kernel-payload", K("x", TOUCH)), ("kernel-dunder", K("x", "__class__")),
    ("kernel-list-payload", K("x", [TOUCH])), ("kernel-dots", K("x", "os.system")),
    ("kernel-twice", K("x", "x,x")), ("kernel-empty", K("x", "")),
    ("derive-payload", D("x", TOUCH), lambda d: d.result == 0),
    ("derive-sym", D("x*y", "y"), lambda d: d.result == x))

# --- LaTeX ---------------------------------------------------------------------------------
LATEX = [r"\input{/etc/passwd}", r"\write18{touch PWNED}", r"\immediate\write18{touch PWNED}",
         r"\def\x{1}\x", r"\catcode`\^^@=11 x", r"\csname input\endcsname{a}", r"\include{a}",
         r"\openout1=PWNED", r"\newcommand{\x}{1}", r"\let\a\input", r"\expandafter\input x",
         r"^^5cinput{a}", r"\operatorname{__import__}(x)", r"\operatorname{system}(x)",
         r"\mathrm{\input{a}}", r"\text{\input{a}}", r"x % \input{a}", r"x \\ y", r"#1", r"x & y", r"x ~ y",
         r"$x$", r"\frac{\input{a}}{2}", r"\sqrt[\write18{a}]{x}", r"e^{\def\a{b}}", r"\begin{verbatim}x",
         r"\usepackage{shellesc}", r"\ShellEscape{touch PWNED}", r"\directlua{os.execute('touch PWNED')}",
         r"\special{ps: x}", r"\left( x \right.", r"\operatorname{" + "a" * 200 + "}(x)"]
add("latex", *[(f"latex{i}", L(t)) for i, t in enumerate(LATEX)])
add("latex", ("frac-ok", L(r"\frac{e^x - e^{-x}}{e^x + e^{-x}}"), equals(sp.tanh(x))))

# --- dunder access ---------------------------------------------------------------------------
add("dunder", ("attr", P("x.__dict__")), ("mro", P("x.__class__.__mro__")), ("subclasses", P("__subclasses__()")),
    ("latex-dunder", L(r"\operatorname{__class__}")), ("at-dunder", B("x", "__class__=1")),
    ("steps-dunder", lambda: symdl.parse_steps("__x = 1; f = __x")), ("bare-underscores", P("__")))

# --- resource bombs ----------------------------------------------------------------------------
NESTED = "(" * 100_000 + "x" + ")" * 100_000
MANY_MAX = "max(" + ",".join(f"x{i}" for i in range(1000)) + ")"
SQUARED = "x"
for _ in range(40):
    SQUARED = f"({SQUARED})**2"
NUM_SQUARED = "3"
for _ in range(40):
    NUM_SQUARED = f"({NUM_SQUARED})**2"
add("bombs",
    ("tower-numbers", P("9**9**9**9")), ("tower-caret", P("2^2^2^2^2^2^2")), ("tower-latex", L("9^{9^{9^{9}}}")),
    ("tower-symbolic", D("x**x**x**x**x**x**x**x", "x")),
    ("tower-backprop", B("x**x**x**x**x", "x=3")),
    ("power-100000", P("(x+1)**100000")), ("power-100000-latex", L("(x+1)^{100000}")),
    ("power-1000-derive", D("(x+1)**1000", "x"), lambda d: d.result == 1000 * (x + 1) ** 999),
    ("power-1000-overflow", B("(x+1)**1000", "x=2")),
    ("multinomial", D("(x+y+1)**1000", "y")),
    ("nested-100000", P(NESTED)), ("nested-100000-latex", L("{" * 100_000 + "x" + "}" * 100_000)),
    ("nested-exp", P("exp(" * 5000 + "x" + ")" * 5000)),
    ("nested-sqrt-latex", L(r"\sqrt{" * 5000 + "x" + "}" * 5000)),
    ("million-sum", P("x+" * 500_000 + "x")), ("million-name", P("a" * 1_000_000)),
    ("million-digits", P("1" * 1_000_000)), ("million-latex", L("x" * 1_000_000)),
    ("million-at", B("x", "x=" + "1" * 1_000_000)), ("million-wrt", K("x", "x" * 1_000_000)),
    ("max-1000", P(MANY_MAX)), ("min-1000", P(MANY_MAX.replace("max", "min"))),
    ("max-1000-latex", L(r"\max(" + ",".join(f"x_{{{i}}}" for i in range(1000)) + ")")),
    ("max-1000-kernel", K(MANY_MAX)),
    ("squaring-symbolic", P(SQUARED)), ("squaring-backprop", B(SQUARED, "x=1.0001")),
    ("squaring-numbers", P(NUM_SQUARED)),
    ("exp-exp", B("exp(exp(exp(exp(x))))", "x=10")), ("exp-number", P("exp(exp(exp(exp(3))))")),
    ("big-literal", P("1e100000")), ("tiny-literal", P("1e-100000")),
    ("fraction-sum", P("+".join(f"1/{p}" for p in range(2, 3000)))),
    ("long-product", P("*".join(["x"] * 3000))),
    ("sin-of-huge", P("sin(10**999)")),
    ("derive-nested-sin", D("sin(" * 100 + "x" + ")" * 100, "x")))

# --- malformed UTF-8 (surrogate escapes) and control characters ---------------------------------
UNICODE = ["x\udcff", "\udc80", "x\x00", "x\x1b[31m", "\u202ex", "ｘ", "x\u200b", "\ufeffx", "𝑥", "x\x7f",
           "x\x0b", "x\x0c", "é", "x\u2028y", "\x00" * 1000]
add("unicode", *[(f"text{i}", P(t)) for i, t in enumerate(UNICODE)])
add("unicode", *[(f"latex{i}", L(t)) for i, t in enumerate(UNICODE[:6])])
add("unicode", ("bytes", P(b"x+1")), ("none", P(None)), ("int", P(3)), ("latex-bytes", L(b"x")),
    ("crlf", P("x\r\n+y")), ("at-surrogate", B("x", "x\udcff=1")), ("wrt-surrogate", K("x", "x\udcff")),
    ("derive-control", D("x", "x\x00")))


def _raiser(*args, **kwargs):
    raise AssertionError(f"hostile input executed something: {args!r:.80}")


@pytest.fixture
def canaries(monkeypatch, tmp_path):
    symdl.kernel("exp(x) + tanh(x)")  # warm SymPy/lambdify/SciPy imports outside the timed call
    monkeypatch.chdir(tmp_path)
    for name in ("system", "popen", "execv", "execve", "execvp", "spawnv", "spawnl", "fork", "remove", "unlink"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _raiser)
    monkeypatch.setattr(subprocess, "Popen", _raiser)
    real_import = builtins.__import__

    def guarded_import(name, *args, **kwargs):
        if name.split(".")[0] in ("subprocess", "socket", "ctypes", "shutil", "pty"):
            _raiser(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded_import)
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_hostile_case(case, canaries, hang_guard):
    with counting_work() as work:
        try:
            result = case.run()
        except SymdlError as error:
            message = str(error)
            assert message and "\n" not in message.strip(), message
        else:
            assert case.check is None or case.check(result), f"{case!r} returned a wrong answer: {result!r:.200}"
    # what the parsers did is bounded by what they may accept: no case makes them read past the text limit
    assert work["reads"] <= LIMITS.max_text_length + 1 and work["tokens"] <= LIMITS.max_text_length + 1, dict(work)
    assert list(canaries.iterdir()) == [], "hostile input wrote a file"
    assert not Path(SENTINEL).exists()


def test_corpus_size_and_categories():
    assert len(CASES) >= 100
    assert {c.category for c in CASES} >= {"inject-text", "names", "functions", "at", "wrt", "latex", "dunder",
                                           "bombs", "unicode"}


def test_max_arguments_limit_names_itself():
    with pytest.raises(LimitError, match="max_arguments"):
        symdl.parse(MANY_MAX)
    with pytest.raises(LimitError, match="max_arguments"):
        symdl.parse_latex(r"\max(" + ",".join(f"x_{{{i}}}" for i in range(1000)) + ")")
    assert symdl.parse("max(x, y, 0)") == sp.Max(x, y, 0)


@pytest.mark.parametrize("text, at, where", [
    ("x**x**x**x**x", "x=3", "q3 = x**q2 (3638334640024)"),  # 3**3**27: refused before its 10¹²-digit exponent
    # q2 = e^(e^10) ≈ 9.39e9565 is within 10^±10000; q3 = e^q2 has log10 = q2/ln 10 ≈ 4.08e9565
    ("exp(exp(exp(exp(x))))", "x=10", "q3 = exp(q2) (about 4.08e+9565)"),
])
def test_backprop_magnitude_limit_names_itself(text, at, where):
    with pytest.raises(LimitError, match="max_magnitude") as refused:
        symdl.backprop(text, at=at)
    assert where in str(refused.value)  # the node it reached: refused there, before the next step's work


@pytest.mark.parametrize("text, at, message", [
    ("x*2", "x=1e400", "f = 2*x is 2.00000E+400"),  # read as an exact number: it used to come out as inf
    ("sqrt(x)", "x=1e-700", "∂f/∂x is 5.00000E+349"),  # 1/(2·sqrt(1e-700)): a gradient too large for a float
])
def test_backprop_refuses_a_reported_number_beyond_float64(text, at, message):
    with pytest.raises(SymdlError, match="beyond the range of a 64-bit float") as refused:
        symdl.backprop(text, at=at)
    assert message in str(refused.value)


def test_backprop_magnitude_limit_is_adjustable():
    from symdl.limits import limited
    with limited(max_magnitude=400):
        with pytest.raises(LimitError, match="max_magnitude=400"):
            symdl.backprop("exp(exp(x))", at="x=7")  # e^1097 ≈ 1e476
    with pytest.raises(SymdlError, match="beyond the range of a 64-bit float"):  # computed, but no float holds it
        symdl.backprop("exp(exp(x))", at="x=7")


def test_limits_are_adjustable():
    from symdl.limits import limited
    with limited(max_arguments=12):
        symdl.parse("max(" + ",".join(f"x{i}" for i in range(12)) + ")")
        with pytest.raises(LimitError):
            symdl.parse("max(" + ",".join(f"x{i}" for i in range(13)) + ")")


def test_max_kernel_routes_at_the_limit():
    n = 10
    k = symdl.kernel("max(" + ",".join(f"x{i}" for i in range(n)) + ")")
    got, grads = k(*[float(i) for i in range(n)])
    assert got == n - 1 and grads[f"x{n - 1}"] == 1 and grads["x0"] == 0


# --- the command line ----------------------------------------------------------------------------
# The corpus of command lines is tests/data/hostile_cli.toml (run in-process by test_hostile_cli.py);
# these few go through a real process end to end: argv that is not UTF-8, and a payload or an ESC.
CLI = [
    ["backprop", TOUCH, "--at", "x=1"],
    ["backprop", "x\x1b[31m", "--at", "x=1"],
    ["backprop", "x", "--at", "x=1", "--svg", "PWNED.svg", "--output", "__class__"],
    [os.fsencode("derive"), b"x\xff", b"--wrt", b"x"],
    [b"kernel", b"\xc3\x28"],
    [b"audit", b"notes\xff.md"],
    ["derive", "I*x", "--wrt", "x"],
]


@pytest.mark.parametrize("argv", CLI, ids=[str(i) for i in range(len(CLI))])
def test_cli_refuses_hostile_input(argv, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-m", "symdl", *argv], cwd=tmp_path, capture_output=True, env=env,
                         timeout=60)
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert re.match(r"symdl( [a-z]+)?: ", stderr) and "internal error" not in stderr and "Traceback" not in stderr
    assert run.stdout == b"" and b"\x1b" not in run.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["I", "oo", "zoo", "nan", "EulerGamma"])
def test_a_name_sympy_reads_as_a_number_is_refused(name):
    # the JSON 'derivative' is SymPy-parsable: I*x would come back as the imaginary unit times x
    assert sp.sympify(name).is_number  # why it is refused: SymPy's own reading of the name
    for text in (f"{name}*x", f"{name}_1*x + {name}"):
        with pytest.raises(ParseError, match=f"'{name}' is .* to SymPy"):
            symdl.derive(text, "x")
    with pytest.raises(ParseError, match=f"'{name}' is"):
        symdl.derive("x", name)


@pytest.mark.parametrize("name", ["I_1", "S", "Q", "N", "gamma", "beta", "Io", "noo"])
def test_derivative_string_reparses_to_the_same_expression(name):
    derivation = symdl.derive(f"{name}*x**2", "x")
    written = derivation.to_dict()["derivative"]
    x, other = sp.Symbol("x", real=True), sp.Symbol(name, real=True)
    assert parse(written) == 2 * other * x  # symdl's parser reads its own string back
    reparsed = sp.parse_expr(written, local_dict={name: sp.Symbol(name), "x": sp.Symbol("x")})
    assert reparsed == 2 * sp.Symbol(name) * sp.Symbol("x")


def test_gradcheck_points_are_bounded():
    with pytest.raises(LimitError, match="max_gradcheck_work") as refusal:
        symdl.gradcheck("x*2", points=10**12)
    assert refusal.value.value == 4 * 10**12 * 3  # 4 candidates a point, x*2 has 3 nodes: x, 2 and the product
    with limited(max_gradcheck_work=4 * 25 * 3):  # exactly at the limit it runs; one point more is refused
        assert len(symdl.gradcheck("x*2", points=25, torch=False).checks) == 25
        with pytest.raises(LimitError):
            symdl.gradcheck("x*2", points=26, torch=False)
