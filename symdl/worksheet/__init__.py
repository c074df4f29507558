"""Worksheets: problem files that symdl solves in full, grades claim by claim, and varies.

``load`` reads a TOML problem file, ``solve`` works it, ``check`` grades the
student's claims in it, ``variants`` draws new numbers with answer keys.
"""

from symdl.worksheet.grading import Report, check
from symdl.worksheet.problem import Problem, ProblemError, load, loads
from symdl.worksheet.solution import Solution
from symdl.worksheet.solvers import solve

__all__ = ["Problem", "ProblemError", "Report", "Solution", "check", "load", "loads", "solve"]
