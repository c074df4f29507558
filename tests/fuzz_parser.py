"""Fuzz target for both parsers: text built from the grammars' tokens plus random characters.

Property: ``parse`` / ``parse_latex`` either return a SymPy expression or raise
``SymdlError`` — never another exception, and never more work than the text is
long (each call's token reads are counted, not timed).

* CI (default hypothesis profile ``ci``): a short run inside ``pytest``.
* Long: ``HYPOTHESIS_PROFILE=long python3 -m pytest tests/fuzz_parser.py``, or
  ``python3 tests/fuzz_parser.py ROUNDS`` which keeps drawing fresh examples
  (new random seeds, with hypothesis' coverage-directed shrinking), 1 500 per
  round, for ROUNDS rounds and prints a summary.
"""

from __future__ import annotations

import sys

import sympy as sp

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from hypothesis import given, settings
from hypothesis import strategies as st

import symdl
from symdl.errors import SymdlError
from test_parsing import counting_work

TEXT_TOKENS = [
    "x", "y", "w0", "x_1", "W_hh", "e", "pi", "E", "sigma", "ln", "Abs", "Max", "Min", "Heaviside",
    "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "softplus", "relu", "leaky_relu",
    "step", "max", "min", "gelu", "__import__", "__class__", "lambda", "os", "eval",
    "0", "1", "2", "9", "0.5", "1e-3", "1e400", "1e-400", "123456789", ".5", "3.", "0.1e+2",
    "+", "-", "*", "/", "**", "^", "(", ")", ",", "=", ";", " ", "\n", "\t",
]
LATEX_TOKENS = [
    r"\frac", r"\dfrac", r"\sqrt", r"\left(", r"\right)", r"\left[", r"\right]", r"\left|", r"\right|",
    r"\cdot", r"\times", r"\div", r"\pi", r"\exp", r"\log", r"\ln", r"\sin", r"\cos", r"\tanh", r"\max",
    r"\min", r"\sigma", r"\alpha", r"\lambda", r"\operatorname{ReLU}", r"\operatorname{LeakyReLU}",
    r"\mathrm{e}", r"\operatorname{", r"\mathrm{", r"\input", r"\write18", r"\def", r"\catcode", r"\csname",
    r"\endcsname", r"\,", r"\;", r"\!", r"\ ", "{", "}", "[", "]", "(", ")", "|", "_", "^", "e", "x", "y",
    "w", "0", "1", "2", "10", "0.5", ".5", "+", "-", "*", "/", ",", " ",
]


def _text(tokens: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(tokens), st.sampled_from(tokens), st.text(max_size=3))
    return st.lists(piece, max_size=40).map("".join)


def _nested(tokens: list[str], open_: str, close: str) -> st.SearchStrategy[str]:
    """Deep-ish nesting around a random core, the parser's recursion path."""
    return st.tuples(st.integers(0, 300), _text(tokens), st.sampled_from(["", close, close * 3])).map(
        lambda t: open_ * t[0] + t[1] + close * t[0] + t[2])


TEXT_INPUTS = st.one_of(_text(TEXT_TOKENS), _nested(TEXT_TOKENS, "(", ")"), _nested(TEXT_TOKENS, "exp(", ")"))
LATEX_INPUTS = st.one_of(_text(LATEX_TOKENS), _nested(LATEX_TOKENS, "{", "}"), _nested(LATEX_TOKENS, r"\sqrt{", "}"))


def check(parser, text: str) -> None:
    with counting_work() as work:
        try:
            result = parser(text)
        except SymdlError as error:
            assert str(error), "an error must say what is wrong"
        else:
            assert isinstance(result, sp.Expr), type(result)
    assert work["reads"] <= len(text) + 1, f"{parser.__name__}({text!r}) read {work['reads']} tokens"


@given(TEXT_INPUTS)
def test_parse_returns_expr_or_symdl_error(text):
    check(symdl.parse, text)


@given(LATEX_INPUTS)
def test_parse_latex_returns_expr_or_symdl_error(text):
    check(symdl.parse_latex, text)


@given(st.text(max_size=60))
def test_both_parsers_on_arbitrary_unicode(text):
    check(symdl.parse, text)
    check(symdl.parse_latex, text)


def main(rounds: int) -> int:
    """Run the three targets with fresh seeds, ``rounds`` times; exit 1 on the first failure."""
    examples = 0
    targets = [test_parse_returns_expr_or_symdl_error, test_parse_latex_returns_expr_or_symdl_error,
               test_both_parsers_on_arbitrary_unicode]
    for done in range(rounds):
        for target in targets:
            inner = target.hypothesis.inner_test
            run = settings(max_examples=500, deadline=None, database=None)(given(
                {test_parse_returns_expr_or_symdl_error: TEXT_INPUTS,
                 test_parse_latex_returns_expr_or_symdl_error: LATEX_INPUTS}.get(target, st.text(max_size=60)))(inner))
            try:
                run()
            except Exception as failure:  # report and stop: hypothesis has already shrunk it
                print(f"FAILED after {done} rounds ({examples} examples): {failure!r}", flush=True)
                return 1
            examples += 500
        print(f"round {done + 1} of {rounds}: {examples} examples", flush=True)
    print(f"OK: {examples} examples, no crash, no parse longer than its text", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
