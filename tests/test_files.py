"""All-or-nothing output: every file symdl writes goes through ``write_all``, which stages each file
beside its target and renames them only when all were written; a refusal or a failure leaves every
target as it was and no temporary behind, and names the target. A write killed midway (SIGKILL,
which no ``finally`` survives) leaves the old file intact, byte for byte."""

from __future__ import annotations

import ast
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symdl import examples as bundled
from symdl.files import OutputError, write_all

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = bundled.path("add_after_mul")
SIZE = 200 * 2**20  # large enough that the kill lands while the temporary file is still being written
OLD = bytes(range(256)) * 4096  # 1 MiB the old file holds
WRITER = "import sys; from symdl.files import write_all; write_all([(sys.argv[1], b'n' * int(sys.argv[2]))])"
HANG_GUARD = 120  # seconds a command may take before the test gives up on it: a guard, not a measurement


def _listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` with its content (or its kind), to compare before and after."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "fifo" if stat.S_ISFIFO(info.st_mode) else None
        kind = "link" if stat.S_ISLNK(info.st_mode) else kind
        found[str(path.relative_to(folder))] = kind or path.read_bytes()
    return found


def _temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(".*") if p.name.endswith(".tmp"))


# --- all or nothing -----------------------------------------------------------------------------
def test_a_bad_later_target_leaves_the_earlier_ones_unwritten(tmp_path):
    (tmp_path / "somedir").mkdir()
    (tmp_path / "old.tex").write_text("old")
    before = _listing(tmp_path)
    with pytest.raises(OutputError, match="somedir"):
        write_all([(tmp_path / "ok.dot", "digraph {}"), (tmp_path / "old.tex", "new"), (tmp_path / "somedir", "x")])
    assert _listing(tmp_path) == before


def test_a_failure_while_staging_removes_every_temporary_and_names_the_target(tmp_path, monkeypatch):
    (tmp_path / "b.svg").write_bytes(OLD)
    before = _listing(tmp_path)
    calls = []
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the second file's flush to disk: the first is staged by now
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OutputError) as refused:
        write_all([(tmp_path / "a.dot", "a"), (tmp_path / "b.svg", "b"), (tmp_path / "c.tex", "c")])
    assert str(refused.value) == f"cannot write {tmp_path / 'b.svg'}: No space left on device"
    assert ".tmp" not in str(refused.value)
    assert len(calls) == 2 and _listing(tmp_path) == before


def test_content_that_is_not_text_or_bytes_writes_nothing(tmp_path):
    (tmp_path / "report.html").write_bytes(OLD)
    with pytest.raises(TypeError):
        write_all([(tmp_path / "a.txt", "fine"), (tmp_path / "report.html", 12345)])
    assert _listing(tmp_path) == {"report.html": OLD}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["new", "existing", "fifo", "directory", "missing directory", "null"]),
                min_size=1, max_size=6))
def test_either_every_target_is_written_or_none_is(tmp_path_factory, kinds):
    folder = tmp_path_factory.mktemp("out")
    targets = []
    for i, kind in enumerate(kinds):
        path = folder / f"t{i}.txt"
        if kind == "existing":
            path.write_text("old")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "directory":
            path.mkdir()
        elif kind == "missing directory":
            path = folder / "missing" / path.name
        elif kind == "null":
            path = Path(os.devnull)
        targets.append((path, f"new {i}"))
    before = _listing(folder)
    if set(kinds) <= {"new", "existing"}:
        assert write_all(targets) == [p for p, _ in targets]
        assert all(p.read_text() == content for p, content in targets)
    else:
        with pytest.raises(OutputError):
            write_all(targets)
        assert _listing(folder) == before
    assert _temporaries(folder) == []
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


# --- what may be a target ----------------------------------------------------------------------
def _link_to_a_fifo(path: Path) -> None:
    os.mkfifo(path.parent / "pipe")
    path.symlink_to("pipe")


@pytest.mark.parametrize("make, kind", [(os.mkfifo, "a FIFO"), (Path.mkdir, "a directory"),
                                        (_link_to_a_fifo, "a FIFO")])
def test_a_target_that_is_not_a_regular_file_is_refused_and_kept(tmp_path, make, kind):
    target = tmp_path / "out.svg"
    make(target)
    before = _listing(tmp_path)
    with pytest.raises(OutputError, match=f"cannot write {target}: it is {kind}, not a regular file"):
        write_all([(target, "<svg/>")])
    assert _listing(tmp_path) == before


def test_a_device_is_refused_and_stays_a_device():
    with pytest.raises(OutputError, match="/dev/null: it is a device"):
        write_all([(os.devnull, "x")])
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_dangling_symlink_is_refused(tmp_path):
    (tmp_path / "link.svg").symlink_to(tmp_path / "nowhere" / "x.svg")
    with pytest.raises(OutputError, match="link.svg: it is a symbolic link to nothing"):
        write_all([(tmp_path / "link.svg", "x")])
    assert not (tmp_path / "nowhere").exists()


def test_a_symlink_to_a_regular_file_is_written_through_and_kept(tmp_path):
    (tmp_path / "real.tex").write_text("old")
    (tmp_path / "link.tex").symlink_to("real.tex")
    write_all([(tmp_path / "link.tex", "new")])
    assert (tmp_path / "link.tex").is_symlink() and (tmp_path / "real.tex").read_text() == "new"


def test_a_missing_directory_is_an_error_and_is_not_created(tmp_path):
    with pytest.raises(OutputError, match=f"cannot write {tmp_path}/no/such/dir/a.svg: no such directory"):
        write_all([(tmp_path / "no" / "such" / "dir" / "a.svg", "x")])
    assert list(tmp_path.iterdir()) == []


def test_a_path_through_a_file_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text("keep")
    with pytest.raises(OutputError, match="a.txt/b.svg"):
        write_all([(tmp_path / "a.txt" / "b.svg", "x")])
    assert _listing(tmp_path) == {"a.txt": b"keep"}


def test_create_makes_one_leaf_directory_and_removes_it_on_failure(tmp_path):
    out = tmp_path / "out"
    write_all([(out / "a.txt", "a")], create=[out])
    assert (out / "a.txt").read_text() == "a"
    fresh = tmp_path / "fresh"
    with pytest.raises(OutputError, match="same file"):
        write_all([(fresh / "a.txt", "a"), (fresh / "./a.txt", "b")], create=[fresh])
    assert not fresh.exists()
    with pytest.raises(OutputError, match="no such directory"):
        write_all([(tmp_path / "x" / "y" / "a.txt", "a")], create=[tmp_path / "x" / "y"])
    assert not (tmp_path / "x").exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="not a directory"):
        write_all([(tmp_path / "file" / "a.txt", "a")], create=[tmp_path / "file"])


# --- the same file twice, and inputs --------------------------------------------------------------
@pytest.mark.parametrize("second", ["a.tex", "./a.tex", "sub/../a.tex", "hard.tex", "soft.tex"])
def test_the_same_file_twice_is_refused(tmp_path, second):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.tex").write_text("old")
    os.link(tmp_path / "a.tex", tmp_path / "hard.tex")
    (tmp_path / "soft.tex").symlink_to("a.tex")
    before = _listing(tmp_path)
    with pytest.raises(OutputError, match=f"cannot write {tmp_path}/{second}: the same file as the output"):
        write_all([(tmp_path / "a.tex", "one"), (f"{tmp_path}/{second}", "two")])
    assert _listing(tmp_path) == before


def test_two_new_paths_to_one_new_file_are_refused(tmp_path):
    with pytest.raises(OutputError, match="the same file"):
        write_all([(tmp_path / "n.svg", "1"), (tmp_path / "." / "n.svg", "2")])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("alias", ["prob.html", "./prob.html", "hard.html", "soft.html"])
def test_an_input_is_never_overwritten(tmp_path, alias):
    (tmp_path / "prob.html").write_text("[problem]")
    os.link(tmp_path / "prob.html", tmp_path / "hard.html")
    (tmp_path / "soft.html").symlink_to("prob.html")
    with pytest.raises(OutputError, match="it is an input of this command"):
        write_all([(tmp_path / "prob.txt", "t"), (f"{tmp_path}/{alias}", "<html>")], inputs=[tmp_path / "prob.html"])
    assert (tmp_path / "prob.html").read_text() == "[problem]" and not (tmp_path / "prob.txt").exists()


# --- modes and names -------------------------------------------------------------------------------
@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_of_the_umask(tmp_path, umask, expected):
    saved = os.umask(umask)
    try:
        write_all([(tmp_path / "f.tex", "αβ\n")])
    finally:
        os.umask(saved)
    assert (tmp_path / "f.tex").stat().st_mode & 0o777 == expected
    assert (tmp_path / "f.tex").read_text(encoding="utf-8") == "αβ\n"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755])
def test_an_existing_file_keeps_its_mode(tmp_path, mode):
    target = tmp_path / "secret.json"
    target.write_text("{}")
    target.chmod(mode)
    saved = os.umask(0o022)
    try:
        write_all([(target, '{"new": 1}')])
    finally:
        os.umask(saved)
    assert target.stat().st_mode & 0o777 == mode and target.read_text() == '{"new": 1}'


@pytest.mark.parametrize("length", [249, 250, 255])
def test_a_long_valid_name_works_and_leaves_no_temporary(tmp_path, length):
    name = "a" * (length - 4) + ".svg"
    write_all([(tmp_path / name, "<svg/>")])
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_long_name_of_multibyte_characters_works(tmp_path):
    name = "é" * 122 + ".svg"  # 248 bytes: the temporary's name is cut on a character boundary
    write_all([(tmp_path / name, "<svg/>")])
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_name_too_long_for_the_file_system_names_the_target(tmp_path):
    target = tmp_path / ("a" * 256)
    with pytest.raises(OutputError) as refused:
        write_all([(tmp_path / "ok.txt", "ok"), (target, "x")])
    assert str(refused.value).startswith(f"cannot write {target}:") and ".tmp" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []


# --- standard output --------------------------------------------------------------------------------
def test_dash_is_standard_output_printed_after_the_files(tmp_path, capsys):
    seen_on_disk = []

    class Spy:
        def write(self, text):
            seen_on_disk.append((tmp_path / "b.txt").exists())
            return len(text)

        def flush(self):
            pass

    written = write_all([("-", "to stdout"), (tmp_path / "a.txt", "a")])
    assert written == [tmp_path / "a.txt"] and capsys.readouterr().out == "to stdout"
    sys_stdout, sys.stdout = sys.stdout, Spy()
    try:
        write_all([("-", "again"), (tmp_path / "b.txt", "b")])
    finally:
        sys.stdout = sys_stdout
    assert seen_on_disk == [True]


def test_binary_output_is_not_printed_to_a_terminal(tmp_path, monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(OutputError, match="binary output .* to a terminal"):
        write_all([(tmp_path / "a.txt", "a"), ("-", b"\x89PNG")])
    assert list(tmp_path.iterdir()) == []


def test_two_dashes_are_refused(tmp_path, capsys):
    with pytest.raises(OutputError, match="only one output may be '-'"):
        write_all([("-", "a"), (tmp_path / "a.txt", "a"), ("-", "b")])
    assert capsys.readouterr().out == "" and list(tmp_path.iterdir()) == []


# --- a kill midway ----------------------------------------------------------------------------------
def _wait_for_temporary(folder: Path, child: subprocess.Popen, polls: int = 120_000) -> Path:
    for _ in range(polls):  # at most about a minute of 0.5 ms polls: a hang guard
        found = _temporaries(folder)
        if found or child.poll() is not None:
            break
        time.sleep(0.0005)
    if not found:
        raise AssertionError(f"the writer never created its temporary file (exit status {child.poll()})")
    return found[0]


def test_a_write_killed_midway_leaves_the_old_file_intact(tmp_path):
    target = tmp_path / "figure.svg"
    target.write_bytes(OLD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(SIZE)], env=env)
    try:
        temporary = _wait_for_temporary(tmp_path, child)
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
    assert _temporaries(tmp_path) == [temporary]  # a SIGKILL leaves only the hidden temporary
    write_all([(target, b"new")])  # and the next run writes normally beside it
    assert target.read_bytes() == b"new"


# --- through the command line -------------------------------------------------------------------------
def symdl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symdl", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=HANG_GUARD, stdin=subprocess.DEVNULL)


def _refused(run: subprocess.CompletedProcess, fragment: str) -> None:
    stderr = run.stderr.decode()
    assert run.returncode == 2, stderr
    assert len(stderr.splitlines()) == 1 and fragment in stderr and "Traceback" not in stderr, stderr
    assert ".tmp" not in stderr and run.stdout == b""


BACKPROP = ("backprop", "x*y", "--at", "x=1,y=2")


def test_cli_a_bad_second_file_leaves_the_first_unwritten(tmp_path):
    (tmp_path / "somedir").mkdir()
    _refused(symdl(*BACKPROP, "--dot", "ok.dot", "--html", "somedir", cwd=tmp_path), "cannot write somedir")
    assert _listing(tmp_path) == {"somedir": "dir"}


@pytest.mark.parametrize("extra, fragment", [
    (("--svg", "no/such/dir/a.svg"), "no such directory no/such/dir"),
    (("--tex", "a.tex", "--html", "./a.tex"), "the same file as the output a.tex"),
    (("--dot", "/dev/null"), "/dev/null: it is a device"),
    (("--dot", "-", "--svg", "-"), "only one output may be '-'"),
])
def test_cli_refusals_write_nothing(tmp_path, extra, fragment):
    _refused(symdl(*BACKPROP, *extra, cwd=tmp_path), fragment)
    assert list(tmp_path.iterdir()) == []


def test_cli_a_fifo_target_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.dot")
    _refused(symdl(*BACKPROP, "--svg", "a.svg", "--dot", "pipe.dot", cwd=tmp_path), "pipe.dot: it is a FIFO")
    assert _listing(tmp_path) == {"pipe.dot": "fifo"}


def test_cli_an_existing_private_file_stays_private(tmp_path):
    (tmp_path / "f.dot").write_text("old")
    (tmp_path / "f.dot").chmod(0o600)
    run = symdl(*BACKPROP, "--dot", "f.dot", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "f.dot").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "f.dot").read_text().startswith("digraph")


def test_cli_dash_prints_the_file_instead_of_the_table(tmp_path):
    to_file = symdl(*BACKPROP, "--dot", "f.dot", cwd=tmp_path)
    to_stdout = symdl(*BACKPROP, "--dot", "-", cwd=tmp_path)
    assert to_file.returncode == to_stdout.returncode == 0
    assert to_stdout.stdout == (tmp_path / "f.dot").read_bytes() and b"global gradient" in to_file.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.dot"]


def test_cli_solve_refuses_to_overwrite_its_input(tmp_path):
    (tmp_path / "prob.html").write_bytes(EXAMPLE.read_bytes())
    _refused(symdl("solve", "prob.html", "--out", ".", cwd=tmp_path), "prob.html: it is an input of this command")
    assert _listing(tmp_path) == {"prob.html": EXAMPLE.read_bytes()}


def test_cli_solve_out_creates_its_leaf_directory_only(tmp_path):
    (tmp_path / "prob.toml").write_bytes(EXAMPLE.read_bytes())
    _refused(symdl("solve", "prob.toml", "--out", "a/b", cwd=tmp_path), "no such directory a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prob.toml"]
    run = symdl("solve", "prob.toml", "--out", "new", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert written == sorted(Path(line).name for line in run.stdout.decode().splitlines())
    assert "prob.html" in written and _temporaries(tmp_path) == []


def test_cli_exercise_writes_all_its_files_or_none(tmp_path):
    (tmp_path / "prob.toml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "prob-seed1-answers.tex").mkdir()  # the second of three files cannot be written
    _refused(symdl("exercise", "prob.toml", "--seed", "1", "--out", "out", cwd=tmp_path), "answers.tex")
    assert _listing(tmp_path / "out") == {"prob-seed1-answers.tex": "dir"}


def test_the_gallery_creates_its_folders_and_writes_all_or_nothing(tmp_path, monkeypatch):
    from symdl import gallery
    page = "<title>a</title>"  # the index links each page by its title
    monkeypatch.setattr(gallery, "_steps", lambda problem_files: [lambda: {"index.html": "i", "worksheets/a.html": page}])
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "a.toml").write_text("")
    out = tmp_path / "figures"
    assert gallery.write_gallery(out, examples) == [out / "index.html", out / "worksheets" / "a.html"]
    assert (out / "worksheets" / "a.html").read_text() == page
    with pytest.raises(OutputError, match="no such directory"):
        gallery.write_gallery(tmp_path / "no" / "figures", examples)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples", "figures"]


# --- every writer in the package goes through write_all ----------------------------------------
MODULE_WRITERS = {"os": {"open", "write", "rename", "replace"}, "shutil": {"copy", "copyfile", "copy2", "copytree", "move"},
                  "tempfile": {"mkstemp", "NamedTemporaryFile", "TemporaryFile"}}
METHOD_WRITERS = {"write_text", "write_bytes", "rename", "mkdir"}  # pathlib; str.replace is too common to list


def _writes(tree: ast.AST) -> list[str]:
    """Calls that put bytes in a file other than through write_all: open() for writing, Path.write_*,
    a figure saved to anything but an in-memory buffer, temporary files, renames, copies, new folders."""
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


def test_every_file_write_goes_through_write_all():
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
              "shutil.copy(a, b)\nout.mkdir(parents=True)\nfig.savefig(buffer)\nopen(p).read()\n"
              "s.replace('a', 'b')\narray.copy()")
    assert len(_writes(ast.parse(source))) == 6
