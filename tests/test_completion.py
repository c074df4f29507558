"""Shell completion: a problem FILE completes to files and to the bundled examples' names; other
FILEs and DIRs to files and directories only. Expected names come from the examples folder's listing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(path.stem for path in (ROOT / "symdl" / "examples").glob("*.toml"))


def script(shell: str) -> str:
    done = subprocess.run([sys.executable, "-m", "symdl", "completion", shell], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def complete(tmp_path_factory):
    """``complete("solve", "ls")``: what bash offers for the last word, in a folder holding
    lstm_homework.toml and a directory lsdir."""
    folder = tmp_path_factory.mktemp("completion")
    (folder / "lstm_homework.toml").write_text("")
    (folder / "lsdir").mkdir()
    (folder / "symdl.bash").write_text(script("bash"))

    def run(*words: str) -> set[str]:
        words = ("symdl",) + words
        line = " ".join(words)
        probe = (f"source symdl.bash; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; "
                 f"COMP_POINT={len(line)}; _shtab_symdl; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=folder, timeout=60)
        return set(done.stdout.split())
    return run


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@needs_bash
@pytest.mark.parametrize("command", ["solve", "exercise"])
def test_problem_file_completes_files_and_example_names(complete, command):
    assert "lstm" in EXAMPLES
    assert complete(command, "ls") == {"lstm_homework.toml", "lsdir", "lstm"}


@needs_bash
def test_every_file_of_check_completes_example_names(complete):
    expected = {name for name in EXAMPLES if name.startswith("r")}
    assert expected == {"relu_definition", "rnn"}  # by hand, from the folder's listing
    assert complete("check", "lstm", "r") == expected


@needs_bash
def test_an_empty_word_offers_every_example(complete):
    assert set(EXAMPLES) <= complete("solve", "''")


@needs_bash
def test_notes_and_directories_complete_no_example_names(complete):
    assert complete("audit", "ls") == {"lstm_homework.toml", "lsdir"}  # notes, not problem files
    assert complete("solve", "--out", "ls") == {"lsdir"}
    assert complete("backprop", "x", "--svg", "ls") == {"lstm_homework.toml", "lsdir"}


def test_zsh_script_offers_files_and_example_names():
    text = script("zsh")
    assert "_files" in text and f"bundled example:({' '.join(EXAMPLES)})" in text
