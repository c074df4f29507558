"""The notes written back as one self-contained HTML page, each checked equation marked.

Each checked result gets ✓, or ✗ with the correct value (and the slip, if named)
beside it, or ≈ where the number is right but cut off instead of rounded. The notes are shown as the text they are, not typeset: no script, no
network, nothing of the user's is ever markup. Every character is escaped, control
characters are dropped, and bidirectional controls (which could make the page show
text in another order than the file's) are shown as visible code points.
"""

from __future__ import annotations

import html
import unicodedata

from symdl.audit import Audit, FileAudit
from symdl.printing.html import page

_CSS = """<style>
pre.notes { white-space: pre-wrap; background: #fafafa; border: 1px solid #ddd; padding: .8rem; }
.ok { color: #17702f; font-weight: bold; }
.wrong { color: #b00020; font-weight: bold; background: #fde8eb; }
.truncated { color: #8a5a00; font-weight: bold; background: #fff4d6; }
.control { color: #b00020; border: 1px dotted #b00020; font-size: .8em; }
</style>"""


def escaped(text: str) -> str:
    """Text as HTML: escaped, newlines and tabs kept, other controls dropped, bidi controls shown."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in "\n\t":
            out.append(char)
        elif unicodedata.bidirectional(char) in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI") \
                or char in "\u200e\u200f\u061c":
            out.append(f'<span class="control">U+{ord(char):04X}</span>')
        elif category not in ("Cc", "Cs") and char not in "\ufffe\uffff":
            out.append(html.escape(char))
    return "".join(out)


def _mark(check) -> str:
    if check.right:
        return '<span class="ok" title="checked: right">&#x2713;</span>'
    if check.truncated:
        remark = check.slip or f"truncated, not rounded: {check.correct}"
        return f'<span class="truncated" title="truncated, not rounded">&#x2248; {escaped(remark)}</span>'
    slip = f"; {check.slip}" if check.slip else ""
    return f'<span class="wrong">&#x2717; correct: {escaped(check.correct + slip)}</span>'


def _notes(audited: FileAudit) -> str:
    pieces, position = [], 0
    for check in sorted(audited.checks, key=lambda c: c.end):
        pieces += [escaped(audited.source[position:check.end]), " ", _mark(check)]
        position = check.end
    pieces.append(escaped(audited.source[position:]))
    cut = sum(c.truncated for c in audited.findings)
    summary = f"{len(audited.checks)} equalities checked, {len(audited.findings) - cut} wrong"
    summary += f", {cut} truncated rather than rounded" if cut else ""
    return (f"<h2>{escaped(audited.path)}</h2>\n<p>{summary}</p>\n"
            f'<pre class="notes">{"".join(pieces)}</pre>')


def audit_html(report: Audit) -> str:
    """The whole report: every file's notes, marked."""
    return page("symdl audit", [_CSS] + [_notes(f) for f in report.files])
