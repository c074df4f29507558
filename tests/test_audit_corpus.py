"""The audit corpus: `symdl audit FILE --json` measured against hand-annotated notes.

`tests/audit_corpus/` holds notes written for this test, and `expected.json` the slips in
them (line, what is written, the correct value worked out with mpmath, the slip's kind) and
how many correct equations each file has. The engine is driven only through the command
line's JSON contract (DESIGN.md), so the measurement does not depend on its internals.
Findings are matched to the annotations by (file, line, written); precision is the share of
reported findings that are annotated slips, recall the share of annotated slips reported.

The CLI subprocess inherits PYTHONPATH (this tree when unset), so the same test measures
another tree: `PYTHONPATH=/path/to/tree python -m pytest tests/test_audit_corpus.py`.
While the tree has no `audit` command the engine tests skip and say so; the corpus's own
consistency checks always run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "audit_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
FILES = sorted(EXPECTED["files"])
FINDING_KEYS = {"file", "line", "column", "text", "written", "correct", "slip"}
MIN_PRECISION = 0.95
MIN_RECALL = 0.90
NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?|[-+]?\.\d+")


def normalise(written: str) -> str:
    """A written number without spacing, braces, a leading + or thousands separators."""
    text = re.sub(r"[\s{}]", "", written)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return text.lstrip("+").rstrip(".")


def numbers_in(text: str) -> list[str]:
    return [normalise(token) for token in NUMBER.findall(text)]


def decimals(written: str) -> int:
    digits = normalise(written)
    return len(digits.split(".")[1]) if "." in digits else 0


def to_digits(value: Decimal, places: int, rounding: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def agrees_to_digits(shown: str, exact: str) -> bool:
    """`shown` is `exact` to the digits `shown` writes (half a unit in its last place)."""
    half_unit = Decimal(5).scaleb(-decimals(shown) - 1)
    return abs(Decimal(normalise(shown)) - Decimal(normalise(exact))) <= half_unit


def lines_of(name: str) -> list[str]:
    return (CORPUS / name).read_text(encoding="utf-8").split("\n")


# --- the corpus itself (no engine needed) -------------------------------------------------


def test_every_corpus_file_is_annotated_and_big_enough():
    notes = {p.name for p in CORPUS.iterdir() if p.name not in {"expected.json", "README.md"}}
    assert notes == set(FILES)
    assert {Path(name).suffix for name in FILES} >= {".md", ".tex", ".txt"}
    equations = sum(entry["clean"] + len(entry["findings"]) for entry in EXPECTED["files"].values())
    assert equations >= 150
    kinds = {f["slip"] for entry in EXPECTED["files"].values() for f in entry["findings"]}
    assert kinds - {None} == set(EXPECTED["kinds"]), "every catalogue kind has an example"


@pytest.mark.parametrize("name", FILES)
def test_annotations_point_at_what_the_file_writes(name: str):
    lines = lines_of(name)
    entry = EXPECTED["files"][name]
    for finding in entry["findings"]:
        assert 1 <= finding["line"] <= len(lines)
        assert finding["written"] in lines[finding["line"] - 1], finding
        assert not agrees_to_digits(finding["written"], finding["correct"]), finding
        assert finding["slip"] is None or finding["slip"] in EXPECTED["kinds"]
    for trap in entry["traps"]:
        assert 1 <= trap["line"] <= len(lines) and trap["why"]


@pytest.mark.parametrize("finding", [f for entry in EXPECTED["files"].values()
                                     for f in entry["findings"] if f["slip"] in
                                     {"sign", "truncated", "decimal"}],
                         ids=lambda f: f"{f['slip']}-{f['written']}")
def test_annotated_slip_reproduces_the_written_number(finding: dict):
    """Sign, truncation and decimal-point annotations are re-derived from the correct value."""
    written, correct = finding["written"], Decimal(normalise(finding["correct"]))
    places = decimals(written)
    rounded = to_digits(correct, places, ROUND_HALF_EVEN)
    readings = {
        "sign": agrees_to_digits(written, str(-correct)),
        "truncated": to_digits(correct, places, ROUND_DOWN) == Decimal(normalise(written))
        and rounded != Decimal(normalise(written)),
        "decimal": any(agrees_to_digits(written, str(correct.scaleb(k))) for k in range(-6, 7) if k),
    }
    assert {kind for kind, holds in readings.items() if holds} == {finding["slip"]}


# --- the engine, through the CLI contract -------------------------------------------------


def run_symdl(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symdl", *args], capture_output=True, text=True,
                          cwd=CORPUS, env=env, timeout=300)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    probe = run_symdl("audit", "--help")
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        pytest.skip(f"`symdl audit` is not in this tree (exit {probe.returncode}: {reason}); "
                    "the corpus is measured once the audit engine is merged")
    out = {}
    for name in FILES:
        done = run_symdl("audit", name, "--json")
        assert done.returncode in (0, 1), f"{name}: exit {done.returncode}: {done.stderr}"
        data = json.loads(done.stdout)
        assert done.returncode == (1 if data["findings"] else 0), name
        out[name] = data
    return out


def matches(expected: dict, found: dict) -> bool:
    if found["line"] != expected["line"]:
        return False
    want = normalise(expected["written"])
    return normalise(found["written"]) == want or want in numbers_in(found["written"])


def pair_up(reports: dict[str, dict]) -> tuple[list, list, list]:
    """(matched (expected, found) pairs, missed expectations, false flags), one-to-one."""
    matched, missed, false_flags = [], [], []
    for name in FILES:
        found = list(reports[name]["findings"])
        for expected in EXPECTED["files"][name]["findings"]:
            hit = next((f for f in found if matches(expected, f)), None)
            if hit is None:
                missed.append((name, expected))
            else:
                found.remove(hit)
                matched.append((name, expected, hit))
        false_flags += [(name, f) for f in found]
    return matched, missed, false_flags


def describe_false_flag(name: str, found: dict) -> str:
    traps = {t["line"]: t["why"] for t in EXPECTED["files"][name]["traps"]}
    why = traps.get(found["line"], "a correct equation")
    return (f"{name}:{found['line']}: flagged {found['written']!r} (correct {found['correct']!r}) "
            f"in {found['text']!r} — {why}")


def test_json_contract_on_every_file(reports: dict[str, dict]):
    for name, data in reports.items():
        assert set(data) == {"files", "checked", "findings"}
        assert [Path(f).name for f in data["files"]] == [name]
        assert isinstance(data["checked"], int) and not isinstance(data["checked"], bool)
        assert data["checked"] >= len(data["findings"])
        lines = lines_of(name)
        for found in data["findings"]:
            assert set(found) == FINDING_KEYS, found
            assert Path(found["file"]).name == name
            for key in ("line", "column"):
                assert isinstance(found[key], int) and not isinstance(found[key], bool), found
            assert 1 <= found["line"] <= len(lines), found
            assert 1 <= found["column"] <= len(lines[found["line"] - 1]) + 1, found
            for key in ("text", "written", "correct"):
                assert isinstance(found[key], str) and found[key], found
            assert found["slip"] is None or (isinstance(found["slip"], str) and found["slip"])


def test_precision_and_recall(reports: dict[str, dict]):
    matched, missed, false_flags = pair_up(reports)
    reported = len(matched) + len(false_flags)
    precision = len(matched) / reported if reported else 1.0
    recall = len(matched) / (len(matched) + len(missed))
    summary = "\n".join(
        [f"precision {precision:.3f} ({len(matched)}/{reported}), "
         f"recall {recall:.3f} ({len(matched)}/{len(matched) + len(missed)})"]
        + [f"missed {n}:{e['line']}: {e['written']} (correct {e['correct']}, {e['slip']}): {e['why']}"
           for n, e in missed]
        + ["false flag " + describe_false_flag(n, f) for n, f in false_flags])
    print(summary)
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, summary


def test_catalogue_slips_are_named(reports: dict[str, dict]):
    matched, _, _ = pair_up(reports)
    unnamed = [f"{n}:{e['line']}: {e['written']} is {e['slip']!r}, the audit says {f['slip']!r}"
               for n, e, f in matched if e["slip"] and not any(
                   word.lower() in (f["slip"] or "").lower() for word in EXPECTED["kinds"][e["slip"]])]
    assert not unnamed, "\n".join(unnamed)


def test_correct_values_agree_with_mpmath(reports: dict[str, dict]):
    matched, _, _ = pair_up(reports)
    wrong = [f"{n}:{e['line']}: the audit says {f['correct']!r}, mpmath {e['correct']}"
             for n, e, f in matched
             if not any(agrees_to_digits(shown, e["correct"]) for shown in numbers_in(f["correct"]))]
    assert not wrong, "\n".join(wrong)
