"""The text printer's pages for worksheets and checks: a worked solution, a graded report, one
verdict, a gradient check's table.

These are prose about numbers (a problem's title, a file's path, a slip's sentence), so only the
minus signs of numbers become U+2212 (``−0.66``, ``1e−06``); a hyphen in a path or a title stays.
The methods are mixed into :class:`symdl.printing.text.TextPrinter`, the one text printer, which
dispatches on the class name (``_print_Report``); the model classes call it lazily.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import sympy as sp

from symdl.derivation import Derivation
from symdl.errors import SymdlError
from symdl.parsing import parse
from symdl.printing.values import label, show

# a minus that starts a number (−0.5, (−2), [−1, …]) or a number's exponent (1e−06), not a hyphen
_NEGATIVE_NUMBER = re.compile(r"(?<![\w.)\]])-(?=\.?\d|inf\b)|(?<=\de)-(?=\d)")
_WRONG_ENTRIES_SHOWN = 8
GRADCHECK_COLUMNS = ("input", "point", "symdl", "central difference", "PyTorch", "|difference|", "status")


def minus_signs(text: str) -> str:
    """``text`` with each negative number's minus as U+2212, as the rest of the text printer writes it."""
    return _NEGATIVE_NUMBER.sub("−", text)


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells in left-aligned columns, the header ruled off with ``=`` (a hyphen rule would
    read as minus signs once the printer writes them as U+2212)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("=" * w for w in widths))
    return lines


def rules_stated_once(quantities) -> dict[str, str]:
    """Each quantity's rule on the row where it is first said, "" on the later rows of that rule: a
    table that says "An add hands the upstream gradient to both inputs" twenty times buries the rules
    that differ. ``quantities`` are the rows as the page prints them, in order."""
    seen: set[str] = set()
    stated = {}
    for q in quantities:
        stated[q.key] = "" if q.rule in seen else q.rule
        seen.add(q.rule)
    return stated


def gradcheck_cells(c) -> list[str]:
    """One check (a :class:`symdl.gradcheck.Check`) as the cells of its table row."""
    point = ", ".join(f"{n}={v:.6g}" for n, v in c.point.items())
    torch = "" if c.torch is None else f"{c.torch:.12g}"
    return [c.input, point, f"{c.symbolic:.12g}", f"{c.numeric:.12g} ± {c.numeric_error:.1e}", torch,
            f"{c.error:.1e}", c.status]


def gradcheck_summary(g) -> str:
    """``8 checks: 8 agree, 0 disagree; PyTorch compared``, and what could not be checked."""
    tally = g.tally
    parts = [f"{tally['pass'] + tally['fail']} checks: {tally['pass']} agree, {tally['fail']} disagree"]
    skipped = tally["kink"] + tally["undefined"]
    if skipped:
        parts.append(f"{skipped} not checkable (kink or undefined)")
    if g.unchecked:
        parts.append(f"never checked: {', '.join(g.unchecked)}")
    parts.append("PyTorch compared" if g.torch is not None else "PyTorch not used")
    return "; ".join(parts)


def _departures(r) -> str:
    """"; the work first goes wrong at z_hi, and 2 later claims carry that error forward; 6 other steps
    go wrong on their own, and 1 more claim carries their errors forward": the one place a TA marks
    first, how much of the rest follows from it, and how much does not."""
    if not r.first_departure:
        return ""
    carried, others = len(r.carried_from_first), len(r.first_departures) - 1
    rest = len(r.wrong) - len(r.first_departures) - carried
    text = f"; the work first goes wrong at {label(r.first_departure)}"
    if carried:
        text += f", and {_count(carried, 'later claim', 'carries', 'carry')} that error forward"
    if others:
        text += f"; {_count(others, 'other step', 'goes', 'go')} wrong on {'its' if others == 1 else 'their'} own"
    if others and rest:
        text += f", and {_count(rest, 'more claim', 'carries', 'carry')} {'its error' if others == 1 else 'their errors'} forward"
    return text


def _count(n: int, noun: str, one: str, many: str) -> str:
    """``2 later claims carry``: the number, the noun and the verb agreeing with it."""
    return f"{n} {noun} {one}" if n == 1 else f"{n} {noun}s {many}"


class ReportText:
    """The text printer's methods for Solution, Report, Verdict and GradcheckResult."""

    #: classes printed as prose: the printer leaves their hyphens alone (see ``minus_signs``)
    PROSE = frozenset({"Solution", "Report", "Verdict"})

    def _print_Solution(self, s) -> str:
        """The worked solution, one step per line: label = formula = value, and the rule where it is
        first used."""
        problem = s.problem
        lines = [problem.title, "=" * len(problem.title)]
        if problem.source:
            lines.append(f"source: {problem.source}")
        if isinstance(s.work, Derivation):
            lines += ["", self.doprint(s.work)]
        # a Jacobian of a matrix op: a claim may name it, but printed it helps no one
        printed = [q for q in s.quantities.values() if not (q.kind == "local" and np.ndim(q.value) > 2)]
        rules = rules_stated_once(q for q in printed if q.kind != "value")
        for q in printed:
            value = self.doprint(q.value) if isinstance(q.value, sp.Basic) else show(q.value)  # f(x), df/dx
            formula = (self._worked(q, s.quantities) or minus_signs(q.formula)).removesuffix(f" = {value}")
            shown = q.label if q.kind == "given" or formula in ("", value) else f"{q.label} = {formula}"
            lines.append(f"{shown} = {value}" + (f"    [{rules[q.key]}]" if rules.get(q.key) else ""))
            lines += [f"    where {self.doprint(q.where)}"] if q.where is not None else []
        lines += ["", s.values_only] if s.values_only else []
        if problem.notes:
            lines += ["", problem.notes]
        return "\n".join(lines)

    def _worked(self, q, quantities) -> str:
        """``w0·x0 = 2·(−1)``: a scalar step's formula in this printer's notation (−f8², 1 − tanh²(f5), not
        SymPy's ``-f8**2``), then again with each operand's value; "" where the step has no scalar formula
        (a tensor step's ``formula`` is already printed, a chain rule's is written with its labels)."""
        if q.expr is None or q.kind not in ("value", "local", "gradient"):
            return ""
        symbols = q.expr.free_symbols
        if not all(isinstance(s, sp.Symbol) and s.name in quantities and np.ndim(quantities[s.name].value) == 0
                   for s in symbols):
            return ""
        numbers = {s: float(quantities[s.name].value) for s in symbols}
        worked = type(self)({"numbers": numbers})
        formula = self.doprint(q.expr)
        worked = worked._argument(q.expr) if q.expr.is_Symbol else worked.doprint(q.expr)  # x0 = −1
        return formula if worked == formula else f"{formula} = {worked}"

    def _claimed(self, value) -> str:
        """A number as :func:`show` writes it; a formula (a claim's text or the exact form) in the text
        printer's notation, 1 − tanh²(x) and not 1 - tanh(x)**2. A claim that does not parse stays as typed."""
        if isinstance(value, str):
            try:
                value = parse(value)
            except SymdlError:
                return value
        return self.doprint(value) if isinstance(value, sp.Basic) else show(value)

    def _print_Verdict(self, v) -> str:
        """``  ✓ q = 0.73   (exact: 0.731059)``; ``  ≈`` for a number right but truncated, with the
        rounding it should have had; or ``  ✗`` with the correct value, why, and the slip."""
        claimed, correct = (" ".join(self._claimed(value).split()) for value in (v.claimed, v.correct))
        if v.right or v.cause == "truncated":
            note = f"right for the truncated {', '.join(map(label, v.origins))} it was computed from" \
                if v.origins else v.slip
            mark = "✓" if v.right else "≈"
            return minus_signs(f"  {mark} {label(v.claim)} = {claimed}   (exact: {correct}{'; ' + note if note else ''})")
        why = {"step": "this step is wrong", "given": "the given data is misread",
               "carried": f"carried forward from {', '.join(map(label, v.origins))}; "
                          "the step itself is right for the numbers used"}[v.cause]
        if v.used:
            why = why.replace("this step is wrong", f"this step is wrong, with {v.used} (as it is used)") \
                .replace("the numbers used", f"the numbers used, with {v.used}")
        text = f"  ✗ {label(v.claim)} = {claimed}   correct: {correct}. {why[0].upper()}{why[1:]}"
        if v.slip:
            text += f" ({v.slip})" if v.cause == "carried" else f": {v.slip}"
        if v.carried:
            verb = "are" if v.carried.startswith("entries") else "is"
            text += f"; {v.carried} {verb} carried forward from {', '.join(map(label, v.origins))}"
        entries = [f"      {entry}" for entry in v.wrong_entries[:_WRONG_ENTRIES_SHOWN]]
        if len(v.wrong_entries) > _WRONG_ENTRIES_SHOWN:
            entries.append(f"      … {len(v.wrong_entries) - _WRONG_ENTRIES_SHOWN} more")
        return minus_signs("\n".join([text + "."] + entries))

    def _print_Report(self, r) -> str:
        """The file and title, a verdict per claim, and the tally with where the work first goes wrong."""
        problem = r.solution.problem
        lines = [f"{problem.path} — {problem.title}"] + [self._print(v) for v in r.verdicts]
        if not r.verdicts:
            lines.append("  (no claims to check)")
        summary = f"  {len(r.wrong)} of {len(r.verdicts)} claims wrong"
        if r.truncated:
            summary += f", {len(r.truncated)} truncated rather than rounded"
        if r.carried_truncations:
            summary += f", {len(r.carried_truncations)} carried from a truncation"
        return "\n".join(lines + [summary + _departures(r)])

    def _print_GradcheckResult(self, g) -> str:
        """A table, one row per check, and the summary."""
        rows = [GRADCHECK_COLUMNS] + [gradcheck_cells(c) for c in g.checks]
        return "\n".join(aligned(rows) + ["", gradcheck_summary(g)])
