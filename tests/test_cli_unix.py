"""The command line as Unix users expect it: fast start-up, --version, stdin for '-', expressions
that start with '-', a closed pipe, a stream that cannot encode '∂', help with examples, one error
prefix, one line for an internal error, escaped stderr, progress only on a terminal, completion."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from symdl import cli, examples as bundled, terminal
from symdl.cli.parser import build_parser, subcommands
from symdl.gallery import stream_gallery

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HEAVY = ("sympy", "numpy", "scipy", "networkx", "matplotlib", "tqdm", "symdl.printing")


def run(*args: str, stdin: str | None = None, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symdl", *args], input=stdin, capture_output=True, text=True,
                          env=env or ENV, cwd=cwd, timeout=120)


def loaded_modules(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["backprop", "--help"], ["gallery", "--help"]])
def test_help_and_version_import_nothing_heavy(argv):
    code = f"import runpy, sys\nsys.argv = ['symdl', *{argv!r}]\ntry:\n    runpy.run_module('symdl', run_name='__main__')\n" \
           "except SystemExit as stop:\n    assert stop.code in (0, None)"
    assert loaded_modules(code) == []


def test_import_symdl_is_lazy_and_complete():
    assert loaded_modules("import symdl") == []
    # using the API loads the engine, not the printers or matplotlib
    assert "symdl.printing" not in loaded_modules("import symdl\nsymdl.backprop('x*y', 'x=1,y=2')")


def test_lazy_names_stay_the_functions():
    import symdl
    import symdl.backprop  # the submodule of the same name must not replace the function
    import symdl.gradcheck
    assert callable(symdl.backprop) and callable(symdl.gradcheck) and callable(symdl.derive)
    assert symdl.backprop("x*y", at="x=3,y=4").gradients == {"x": 4.0, "y": 3.0}
    assert set(symdl.__all__) <= set(dir(symdl))
    assert all(getattr(symdl, name) is not None for name in symdl.__all__)
    assert symdl.kernels.__name__ == "symdl.kernels"  # a submodule resolves on first use
    with pytest.raises(AttributeError):
        symdl.no_such_name


def test_version_is_the_package_version():
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = run("--version")
    assert done.returncode == 0 and done.stdout == f"symdl {expected}\n" and done.stderr == ""


def test_dash_reads_the_expression_from_stdin():
    done = run("backprop", "-", "--at", "x=2,y=3", "--json", stdin="x*y\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradients"] == {"x": 3.0, "y": 2.0}
    done = run("derive", "-", "--wrt", "x", "--json", stdin="tanh(x)")
    assert json.loads(done.stdout)["derivative"] == "1 - tanh(x)**2"


def test_dash_reads_a_problem_file_from_stdin():
    text = bundled.path("add_after_mul").read_text()
    done = run("check", "-", "--json", stdin=text)
    assert done.returncode == 1  # the notes' df/dx = 0 is wrong: an add gate passes the gradient, 1
    (report,) = json.loads(done.stdout)
    assert done.stderr == "" and report
    assert run("solve", "-", stdin=text).returncode == 0


@pytest.mark.parametrize("args, stdin, fragment", [
    (("backprop", "-", "--at", "x=1"), "x" * 200_000, "longer than"),
    (("solve", "-"), "a" * 1_000_001, "longer than"),
    (("check", "-", "-"), "", "once"),
    (("derive", "-", "--wrt", "x"), "\udcff", ""),
])
def test_bad_stdin_is_one_line_exit_2(args, stdin, fragment, tmp_path):
    done = subprocess.run([sys.executable, "-m", "symdl", *args], input=stdin.encode("utf-8", "surrogateescape"),
                          capture_output=True, env=ENV, cwd=tmp_path, timeout=120)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and done.stdout == b"" and stderr.count("\n") == 1, stderr
    assert fragment in stderr and list(tmp_path.iterdir()) == []


def test_an_expression_may_start_with_a_minus():
    done = run("derive", "-log(x)", "--wrt", "x", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["derivative"] == "-1/x"
    done = run("backprop", "-x*y", "--at", "x=2,y=3", "--json")  # d(-xy)/dx = -y, d/dy = -x
    assert json.loads(done.stdout)["gradients"] == {"x": -3.0, "y": -2.0}
    assert run("backprop", "x", "--at", "x=1", "--bogus").returncode == 2  # a long option is still checked


@pytest.mark.parametrize("argv", [["backprop", "x*y", "--at", "x=1,y=2"], ["--help"], ["derive", "--help"],
                                  ["check", "add_after_mul"]])
def test_a_closed_pipe_ends_quietly(argv):
    reader = subprocess.Popen([sys.executable, "-m", "symdl", *argv], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    reader.stdout.close()  # the reader went away before symdl printed anything (`| head` that stopped early)
    stderr = reader.stderr.read()
    assert reader.wait(timeout=120) == 0 and stderr == b""


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_stream_that_cannot_encode_the_symbols_gets_ascii(encoding):
    done = subprocess.run([sys.executable, "-m", "symdl", "backprop", "sigmoid(x)*y", "--at", "x=0,y=2",
                           "--granularity", "fused"], capture_output=True, env={**ENV, "PYTHONIOENCODING": encoding},
                          timeout=120)
    assert done.returncode == 0 and done.stderr == b""
    table = done.stdout.decode(encoding)
    assert "df/dx = 0.5" in table and "sigma" in table  # ∂ → d, σ → sigma; σ'(0)·2 = ¼·2


@given(st.text())
def test_every_text_encodes_with_the_fallback(text):
    for encoding in ("ascii", "cp1252", "latin-1"):
        text.encode(encoding, errors="symdl.ascii")


def test_the_fallback_spells_symbols():
    assert "∂f/∂x = −0.5·σ".encode("ascii", "symdl.ascii") == b"df/dx = -0.5*sigma"
    assert "x₁ ẑ Σ".encode("ascii", "symdl.ascii") == b"x1 z Sigma"


@given(st.text())
def test_clean_leaves_nothing_a_terminal_acts_on(text):
    cleaned = terminal.clean(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in cleaned)
    if all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in text):
        assert cleaned == text


@pytest.mark.parametrize("args, escapes", [
    (("backprop", "x", "--at", "x=1", "--output", "q\n\u202e\x1b"), ("\\n", "\\x1b", "\\u202e")),
    (("backprop", "x\x1b[31m", "--at", "x=1"), ("\\x1b",)),
    (("solve", "no\nsuch\x1b]0;title\x07.toml"), ("\\n", "\\x1b", "\\x07")),
    (("derive", "x", "--wrt", "x", "--b\u202eogus\r"), ("\\u202e", "\\r")),
    (("nonsense\u2028\x1b",), ("\\u2028", "\\x1b")),
])
def test_hostile_argv_is_escaped_on_stderr(args, escapes, tmp_path):
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    line = done.stderr
    assert line.endswith("\n") and line.count("\n") == 1
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl") for ch in line[:-1]), repr(line)
    for escape in escapes:
        assert escape in line, line
    assert list(tmp_path.iterdir()) == []


def test_a_hostile_toml_key_is_escaped(tmp_path):
    problem = tmp_path / "p.toml"
    problem.write_text('title = "t"\n[graph]\nexpression = "2*x"\nat = { x = 1 }\n[claims]\n"f\\u001b[2J\\u202e" = 2\n')
    done = run("check", str(problem))
    assert done.returncode == 2 and "\\x1b" in done.stderr and "\\u202e" in done.stderr
    assert "\x1b" not in done.stderr and done.stderr.count("\n") == 1


def test_one_error_prefix():
    done = run("backprop", "x*", "--at", "x=1")
    assert done.stderr.startswith("symdl backprop: ") and "error: symdl" not in done.stderr
    done = run("derive", "x")
    assert done.stderr.startswith("symdl derive: ") and "--wrt" in done.stderr


def test_an_unexpected_exception_is_one_line_exit_3(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug\nover two lines")
    monkeypatch.setattr(sys.modules["symdl.derive"], "derive", broken)
    monkeypatch.delenv("SYMDL_DEBUG", raising=False)
    assert cli.main(["derive", "x", "--wrt", "x"]) == 3
    captured = capsys.readouterr()
    assert captured.err == "symdl: internal error: ZeroDivisionError: a bug\\nover two lines, please report\n"
    monkeypatch.setenv("SYMDL_DEBUG", "1")  # a developer gets the traceback
    with pytest.raises(ZeroDivisionError):
        cli.main(["derive", "x", "--wrt", "x"])


def test_an_interrupt_is_exit_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(sys.modules["symdl.derive"], "derive", interrupted)
    assert cli.main(["derive", "x", "--wrt", "x"]) == 130
    assert capsys.readouterr().err == "symdl derive: interrupted\n"


def test_every_command_and_option_has_help_with_an_example():
    parser = build_parser()
    commands = subcommands(parser)
    assert {"backprop", "derive", "kernel", "gradcheck", "solve", "check", "exercise", "gallery",
            "completion"} <= set(commands)
    for name, command in commands.items():
        assert command.description, name
        assert f"symdl {name} " in command.epilog or command.epilog.endswith(f"symdl {name}"), name
        for action in command._actions:
            assert action.help, (name, action.dest)
            if action.option_strings and action.nargs != 0 and action.dest != "help":
                assert "e.g." in action.help, (name, action.dest)
    for argv in (["--help"], *[[name, "--help"] for name in commands]):
        text = run(*argv).stdout
        assert "DESIGN.md" not in text and "example" in text, argv


def test_no_doc_cites_a_missing_design_file():
    if not (ROOT / "DESIGN.md").exists():
        assert "DESIGN.md" not in (ROOT / "README.md").read_text()
    readme = (ROOT / "README.md").read_text()
    json_section = readme.split("### JSON output", 1)[1].split("\n## ", 1)[0]
    for command in ("symdl backprop", "symdl derive", "symdl audit"):
        assert command in json_section


def run_on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run symdl with stderr on a pseudo-terminal (80 columns), stdout on a pipe."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    child = subprocess.Popen([sys.executable, "-m", "symdl", *args], stdout=subprocess.PIPE, stderr=follower,
                             env=ENV, cwd=ROOT)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    stdout = child.stdout.read().decode()
    return child.wait(timeout=120), stdout, b"".join(chunks).decode("utf-8", "replace")


def test_progress_on_a_terminal_and_not_on_a_pipe():
    files = ("add_after_mul", "sigmoid_neuron")
    status, stdout, terminal_text = run_on_a_terminal("check", *files)
    assert status == 1 and "symdl: solving" in terminal_text and "/2 " in terminal_text
    assert "symdl: solving" not in stdout
    piped = run("check", *files)
    assert piped.returncode == 1 and piped.stderr == "" and piped.stdout == stdout
    status, _, terminal_text = run_on_a_terminal("exercise", "sigmoid_neuron", "--seed", "1",
                                                 "--count", "3")
    assert status == 0 and "symdl exercise" in terminal_text and "/3 " in terminal_text
    assert run("exercise", "sigmoid_neuron", "--seed", "1", "--count", "3").stderr == ""


class _Terminal:
    """A stderr that says it is a terminal and keeps what is written."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_working_shows_a_line_only_on_a_terminal(monkeypatch):
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    with terminal.working("symdl kernel: building", after=0):
        pass
    assert "symdl kernel: building" in fake.text
    monkeypatch.setattr(fake, "isatty", lambda: False)
    fake.text = ""
    with terminal.working("symdl kernel: building", after=0):
        pass
    assert fake.text == ""


def test_the_gallery_writes_all_its_files_or_none_then_lists_them(tmp_path):
    files = stream_gallery(tmp_path)
    first = next(files)
    # all or nothing (issue 13): by the first path listed, the last file is in place too
    assert first.exists() and (tmp_path / "index.html").exists()
    rest = list(files)
    assert rest[-1] == tmp_path / "index.html" and first not in rest
    assert all(path.exists() for path in rest)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_and_choices(tmp_path):
    script = tmp_path / "symdl.bash"
    done = run("completion", "bash")
    assert done.returncode == 0
    script.write_text(done.stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        probe = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; "
                 f"COMP_POINT={len(line)}; _shtab_symdl; echo \"${{COMPREPLY[@]}}\"")
        return subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60).stdout.split()

    assert complete("symdl", "ba") == ["backprop"]
    assert complete("symdl", "backprop", "--gr") == ["--granularity"]
    assert complete("symdl", "backprop", "--granularity", "''") == ["gates", "ops", "fused"]
    assert re.search(r"#compdef symdl", run("completion", "zsh").stdout)
