"""Atomic output: every file symdl writes goes through ``write_atomic``, and a write that is
killed midway (SIGKILL, which no ``finally`` survives) leaves the old file intact, byte for byte."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symdl.files import write_atomic

ROOT = Path(__file__).resolve().parents[1]
SIZE = 200 * 2**20  # large enough that the kill lands while the temporary file is still being written
OLD = bytes(range(256)) * 4096  # 1 MiB the old file holds
WRITER = "import sys; from symdl.files import write_atomic; write_atomic(sys.argv[1], b'n' * int(sys.argv[2]))"


def _temporaries(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.tmp"))


def _wait_for_temporary(folder: Path, name: str, child: subprocess.Popen, seconds: float = 60.0) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and child.poll() is None:
        found = _temporaries(folder, name)
        if found:
            return found[0]
        time.sleep(0.0005)
    raise AssertionError(f"the writer never created its temporary file (exit status {child.poll()})")


def test_a_write_killed_midway_leaves_the_old_file_intact(tmp_path):
    target = tmp_path / "figure.svg"
    target.write_bytes(OLD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(SIZE)], env=env)
    try:
        temporary = _wait_for_temporary(tmp_path, target.name, child)
        time.sleep(0.01)  # let some of the 200 MiB reach the temporary file
        os.kill(child.pid, signal.SIGSTOP)  # frozen: what we see next is the state the kill will leave
        assert temporary.exists(), "the rename happened before the kill; nothing was interrupted"
        written = temporary.stat().st_size
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == OLD  # the old file, byte for byte
    assert written < SIZE or temporary.stat().st_size == SIZE  # killed while writing, or while flushing to disk
    print(f"\nkilled with {written / 2**20:.1f} MiB of {SIZE / 2**20:.0f} MiB in the temporary file")
    assert _temporaries(tmp_path, target.name) == [temporary]  # a SIGKILL leaves only the hidden temporary
    write_atomic(target, b"new")  # and the next run writes normally beside it
    assert target.read_bytes() == b"new"


def test_a_write_that_fails_removes_its_temporary_file(tmp_path):
    target = tmp_path / "report.html"
    target.write_bytes(OLD)
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # not text or bytes: fails inside the write
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_written_files_are_whole_and_readable_by_others(tmp_path):
    path = write_atomic(tmp_path / "deep" / "er" / "f.tex", "αβ\n")
    assert path.read_text(encoding="utf-8") == "αβ\n" and path.stat().st_mode & 0o777 == 0o644


# --- every writer in the package goes through write_atomic -----------------------------------
MODULE_WRITERS = {"os": {"open", "write", "rename", "replace"}, "shutil": {"copy", "copyfile", "copy2", "copytree", "move"},
                  "tempfile": {"mkstemp", "NamedTemporaryFile", "TemporaryFile"}}
METHOD_WRITERS = {"write_text", "write_bytes", "rename"}  # pathlib; str.replace is too common to list


def _writes(tree: ast.AST) -> list[str]:
    """Calls that put bytes in a file other than through write_atomic: open() for writing, Path.write_*,
    a figure saved to anything but an in-memory buffer, temporary files, renames and copies."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None
        if isinstance(func, ast.Name) and name == "open" and set(_mode(node)) & set("wax+"):
            found.append(f"open(..., {_mode(node)!r}) on line {node.lineno}")
        elif name == "savefig" and not (node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "buffer"):
            found.append(f"savefig to a file on line {node.lineno}")
        elif name in MODULE_WRITERS.get(owner, ()) or (owner not in MODULE_WRITERS and name in METHOD_WRITERS):
            found.append(f"{owner or ''}.{name}() on line {node.lineno}")
    return found


def _mode(call: ast.Call) -> str:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else ""


def test_every_file_write_goes_through_write_atomic():
    offenders = {}
    for module in sorted((ROOT / "symdl").rglob("*.py")):
        if module.name == "files.py" and module.parent.name == "symdl":
            continue
        found = _writes(ast.parse(module.read_text(encoding="utf-8")))
        if found:
            offenders[str(module.relative_to(ROOT))] = found
    assert not offenders, offenders


def test_the_guard_recognises_a_direct_write():
    source = ("open(p, 'w').write(x)\nPath(p).write_text(x)\nfig.savefig('a.svg')\nos.replace(a, b)\n"
              "shutil.copy(a, b)\nfig.savefig(buffer)\nopen(p).read()\ns.replace('a', 'b')\narray.copy()")
    assert len(_writes(ast.parse(source))) == 5
