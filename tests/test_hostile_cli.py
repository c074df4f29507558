"""The command line's hostile corpus (tests/data/hostile_cli.toml), one parametrised test: every case runs
``symdl.cli.main(argv)`` in-process in an empty directory holding the files it asks for, and must end with
its exit status, never a traceback, exit 3, a stray file or an ESC on stdout; a refusal is one escaped
line on stderr.

A case's fields (the data file's header says the same): ``argv``; ``status``; ``message``, a fragment of
the stderr line; ``stdout``, a fragment of stdout; ``stdin``; ``files`` to create first, each
``{path, text | hex | example | kind = "dir" | "fifo" | "symlink" (with target), mode}``; ``writes``, the
paths the command may add (nothing else may appear, and no created file may change, its mode included);
``nonroot``, a case root would pass through (a directory's mode does not bind root). ``{c*N}`` in a
string is N copies of c; ``{tmp}`` is the case's directory.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from symdl import examples as bundled
from symdl.cli import main

CASES = tomllib.loads((Path(__file__).parent / "data" / "hostile_cli.toml").read_text())["case"]
_REPEAT = re.compile(r"\{([^{}*]+)\*(\d+)\}")


def _expand(text: str, tmp: Path) -> str:
    return _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text).replace("{tmp}", str(tmp))


def _create(spec: dict, tmp: Path) -> None:
    path = tmp / _expand(spec["path"], tmp)
    kind = spec.get("kind", "file")
    if kind == "dir":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        path.symlink_to(_expand(spec["target"], tmp))
    elif "example" in spec:
        path.write_bytes(bundled.path(spec["example"]).read_bytes())
    elif "hex" in spec:
        path.write_bytes(bytes.fromhex(spec["hex"]))
    else:
        path.write_text(_expand(spec.get("text", ""), tmp), encoding="utf-8")
    if "mode" in spec:
        os.chmod(path, spec["mode"])


def _snapshot(tmp: Path) -> dict[str, tuple]:
    """Every path under ``tmp`` (symlinks not followed) with its kind, mode and, for a file, its bytes."""
    found = {}
    for path in sorted(tmp.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[path.relative_to(tmp).as_posix()] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), data)
    return found


def _id(case: dict) -> str:
    text = " ".join(case["argv"])
    return (text[:70] + "…" if len(text) > 70 else text).encode("unicode_escape").decode()


def _run(argv: list[str], stdin: bytes, monkeypatch) -> tuple[object, str, bytes]:
    out, err = io.BytesIO(), io.BytesIO()
    streams = {name: io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
               for name, buffer in (("stdout", out), ("stderr", err), ("stdin", io.BytesIO(stdin)))}
    for name, stream in streams.items():
        monkeypatch.setattr(sys, name, stream)
    try:
        status = main(argv)
    except SystemExit as stop:  # only --help and --version may leave this way
        status = ("SystemExit", stop.code)
    return status, err.getvalue().decode("utf-8", "replace"), out.getvalue()


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_cli_case(case, tmp_path, monkeypatch, hang_guard):
    if case.get("nonroot") and os.geteuid() == 0:
        pytest.skip("root writes through a directory's mode")
    for spec in case.get("files", []):
        _create(spec, tmp_path)
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = [_expand(a, tmp_path) for a in case["argv"]]
    status, stderr, stdout = _run(argv, _expand(case.get("stdin", ""), tmp_path).encode(), monkeypatch)
    monkeypatch.undo()

    assert status == case["status"], stderr
    assert "Traceback" not in stderr and "internal error" not in stderr and "\x1b" not in stderr, stderr
    if status == 2:
        assert len(stderr.splitlines()) == 1 and stderr.endswith("\n"), stderr
        assert re.match(r"symdl( [a-z]+)?: ", stderr), stderr
        assert case["message"] in stderr, stderr
        assert stdout == b"", stdout[:200]
    else:
        assert stderr == "", stderr
    assert case.get("stdout", "").encode() in stdout, stdout[:300]
    assert b"\x1b" not in stdout and b"\x07" not in stdout, stdout[:300]  # echoed titles and paths are escaped
    after = _snapshot(tmp_path)
    written = {_expand(p, tmp_path) for p in case.get("writes", [])}
    assert set(after) - set(before) == written - set(before), "files left behind or missing"
    for path, (kind, mode, data) in before.items():
        assert path in after, f"{path} was removed"
        if path not in written:
            assert after[path] == (kind, mode, data), f"{path} changed"
        else:
            assert after[path][:2] == (kind, mode), f"{path} lost its mode"


def test_corpus_covers_every_command():
    commands = {c["argv"][0] for c in CASES if c["argv"]}
    assert commands >= {"backprop", "derive", "kernel", "gradcheck", "solve", "check", "exercise", "audit",
                        "gallery", "examples", "completion"}
    assert len(CASES) >= 120
