"""Grading a problem file given as text, shared by the grading tests."""

from __future__ import annotations

from symdl.worksheet import check, loads, solve


def graded(text: str):
    """The check report of the problem in ``text``."""
    return check(solve(loads(text, "test.toml")))


def by_claim(report) -> dict:
    """A report's verdicts by the claim they grade."""
    return {v.claim: v for v in report.verdicts}


def claims_of(text: str) -> dict:
    """The verdicts of the problem in ``text``, by claim."""
    return by_claim(graded(text))
