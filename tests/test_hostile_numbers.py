"""Hostile points (tests/data/hostile_numbers.toml): every answer right to 15 significant digits
against mpmath at 1200 digits, every refusal one line with exit status 2."""

from __future__ import annotations

import json
import tomllib
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

import symdl
from symdl.cli import main

CASES = tomllib.loads((Path(__file__).parent / "data" / "hostile_numbers.toml").read_text())["case"]
KERNEL_CASES = tomllib.loads((Path(__file__).parent / "data" / "hostile_kernels.toml").read_text())["case"]
KERNEL_DIGITS = 50  # digits a kernel's truth is compared at
ANSWERED = [c for c in CASES if "refused" not in c]
REFUSED = [c for c in CASES if "refused" in c]
TRUTH_DIGITS = 1200  # enough for the largest input's argument reduction (sin at 1e900) and every cancellation
FLAT = {"sigmoid": lambda z: 1 / (1 + sp.exp(-z)), "softplus": lambda z: sp.log(1 + sp.exp(z)),
        "max": sp.Max, "floor": sp.floor, "pi": sp.pi}


def _id(case: dict) -> str:
    return f"{case.get('command', 'backprop')} {case['expr']} @ {case.get('at', '')} {' '.join(case.get('args', []))}"


def _point(at: str) -> dict[str, Fraction]:
    return {name: Fraction(value) for name, value in (field.split("=") for field in at.split(","))}


def _truth(expr: str, point: dict[str, Fraction]) -> tuple[mpmath.mpf, dict[str, mpmath.mpf]]:
    """The flat expression and its SymPy derivatives, evaluated by mpmath from the exact point."""
    names = {n: sp.Symbol(n, real=True) for n in point}
    flat = parse_expr(expr, local_dict={**names, **FLAT}, transformations=standard_transformations + (convert_xor,))
    with mpmath.workdps(TRUTH_DIGITS):
        args = [mpmath.mpf(v.numerator) / v.denominator for v in point.values()]
        value = sp.lambdify(list(names.values()), flat, "mpmath")(*args)
        gradients = {n: sp.lambdify(list(names.values()), _printable(sp.diff(flat, s)), "mpmath")(*args)
                     for n, s in names.items()}
    return value, gradients


def _printable(derivative: sp.Expr) -> sp.Expr:
    """What mpmath can evaluate: H(z) as (1 + sign z)/2, and d floor/dx as 0 (no case sits on an integer)."""
    derivative = derivative.replace(sp.Heaviside, lambda z, *_: (1 + sp.sign(z)) / 2)
    return derivative.replace(lambda e: isinstance(e, sp.Derivative), lambda e: sp.S.Zero)


def _close(got: float, truth: mpmath.mpf) -> bool:
    """15 significant digits; a truth below float64's range must come out as (nearly) 0."""
    with mpmath.workdps(TRUTH_DIGITS):
        return abs(mpmath.mpf(got) - truth) <= mpmath.mpf("1e-15") * abs(truth) + mpmath.mpf("1e-300")


def test_corpus_has_every_issue_case_and_fifty_of_our_own():
    issue = [c for c in CASES if CASES.index(c) < 20]
    assert {c["expr"] for c in issue} >= {"(exp(x)-1)/x", "(1 + 1/x)^x", "log(1+x)", "1 - cos(x)", "x - sqrt(x^2-1)",
                                         "sin(x)", "log(sigmoid(t))", "log(1+exp(t))", "sqrt(x^2+1)", "x/y",
                                         "abs(x)/x", "sin(x)/x", "x/sin(pi*x)", "sqrt(-1)*x", "log(-1)*x",
                                         "x + log(-2)", "x*2"}
    assert len(CASES) - len(issue) >= 50


@pytest.mark.parametrize("case", ANSWERED, ids=_id)
def test_answers_agree_with_mpmath(case):
    point = _point(case["at"])
    value, gradients = _truth(case["expr"], point)
    result = symdl.backprop(case["expr"], at=case["at"])
    assert _close(result.value, value), (result.value, mpmath.nstr(value, 20))
    for name, truth in gradients.items():
        assert _close(result.gradients[name], truth), (name, result.gradients[name], mpmath.nstr(truth, 20))


def _kernel_points():
    for case in KERNEL_CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        for at in case["at"]:
            yield pytest.param(case["expr"], at if isinstance(at, list) else [at], marks=marks,
                               id=f"{case['expr']} @ {at}")


@pytest.mark.parametrize("expr, at", list(_kernel_points()))
def test_kernels_at_float64_extremes_agree_with_mpmath(expr, at):
    k = symdl.kernel(expr)
    point = dict(zip(k.args, (Fraction(v) for v in at)))  # a float64 is an exact fraction
    value, gradients = _truth(expr, point)  # worked at 1200 digits: the flat log(1 - σ(800)) cancels 350
    with np.errstate(all="raise"):  # an overflow or 0·∞ on the way is a failure too, even if the end is finite
        got, grads = k(*[float(v) for v in at])
    for name, result, truth in [("value", got, value), *((n, grads[n], gradients[n]) for n in k.args)]:
        result = float(result)
        with mpmath.workdps(KERNEL_DIGITS):
            assert np.isfinite(result) and abs(mpmath.mpf(result) - truth) <= 1e-13 * abs(truth) + 1e-300, \
                (name, result, mpmath.nstr(truth, 17))


@pytest.mark.parametrize("case", REFUSED, ids=_id)
def test_refusals_are_one_line_and_exit_2(case, capsys):
    at = ["--at", case["at"]] if "at" in case else []
    status = main([case.get("command", "backprop"), case["expr"], *at, *case.get("args", [])])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    command = case.get("command", "backprop")
    assert err.count("\n") == 1 and err.startswith(f"symdl {command}: ") and case["refused"] in err, err


def test_json_refuses_a_node_beyond_float64_that_the_table_prints(capsys):
    assert main(["backprop", "log(1+exp(t))", "--at", "t=900"]) == 0
    table = capsys.readouterr().out
    assert "7.32881e+390" in table and "inf" not in table  # e^900 = 7.3288e390, by hand: 900/ln 10 = 390.865
    assert main(["backprop", "log(1+exp(t))", "--at", "t=900", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "in the JSON report, q1 = exp(t) is 7.32881E+390, beyond the range of a 64-bit float" in err


def test_json_numbers_stay_numbers(capsys):
    assert main(["backprop", "(exp(x)-1)/x", "--at", "x=1e-40", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["value"] == 1.0 and report["gradients"] == {"x": 0.5}  # the series 1 + x/2 + …
    assert all(isinstance(n["value"], float) for n in report["nodes"])


def test_a_raised_limit_answers_what_the_default_refuses():
    from symdl.limits import limited
    with limited(max_working_digits=100):
        with pytest.raises(symdl.SymdlError, match="ill-conditioned at this point"):
            symdl.backprop("sin(x)", at="x=1e300")
    with mpmath.workdps(400):  # 10^300 is exact at 400 digits; mpmath reduces it modulo 2π itself
        truth = mpmath.sin(mpmath.mpf(10) ** 300)
    assert _close(symdl.backprop("sin(x)", at="x=1e300").value, truth)


def test_limit_settings_do_not_outlive_the_command():
    from symdl.limits import LIMITS
    before = LIMITS.max_magnitude
    assert main(["backprop", "x", "--at", "x=1", "--limit", "max_magnitude=5"]) == 0
    assert LIMITS.max_magnitude == before


_FORMULA_PROBLEM = 'title = "t"\n[derivative]\nexpression = "{expr}"\nwrt = "x"\n[claims]\n"d/dx" = "{claim}"\n'


@pytest.mark.parametrize("expr, claim, wrong", [
    ("abs(x)*sign", "sign*x/abs(x)", 0),  # `sign` is a name here, not NumPy's sign: d/dx = sign·x/|x|
    ("abs(x)*sign", "abs(x)*sign", 1),
    ("max(x, maximum)", "max(x, maximum)", 1),  # the derivative is a step, not max itself
])
def test_claims_may_use_names_that_numpy_calls_functions(tmp_path, capsys, expr, claim, wrong):
    problem = tmp_path / "p.toml"
    problem.write_text(_FORMULA_PROBLEM.format(expr=expr, claim=claim))
    assert main(["check", str(problem)]) == wrong
    assert f"{wrong} of 1 claims wrong" in capsys.readouterr().out


def test_a_claim_nested_65_deep_is_one_line(tmp_path, capsys):
    problem = tmp_path / "p.toml"
    problem.write_text('title = "t"\n[graph]\nsteps = "f = x*y"\nat = { x = 1, y = 2 }\n[claims]\nf = '
                       + "[" * 65 + "2" + "]" * 65 + "\n")
    assert main(["check", str(problem)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lists nested 65 deep; an array has at most 32 dimensions" in err


def test_variants_beyond_int64_are_one_line(tmp_path, capsys):
    problem = tmp_path / "p.toml"
    problem.write_text('title = "t"\n[graph]\nsteps = "f = x*y"\nat = { x = 1, y = 2 }\n'
                       "[variants]\nlow = -1e18\nhigh = 1e18\ndecimals = 2\n")
    assert main(["exercise", str(problem), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "low × 10^decimals must be below 9.2e18 in size" in err
