"""The command line: the JSON contract (README, "JSON output"), readable tables, and bad input
that ends in one line on stderr, exit status 2 and no file written."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symdl", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=60)


def test_backprop_json_contract():
    done = run("backprop", "(x + y)*z", "--at", "x=-2,y=5,z=-4", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"expression", "value", "gradients", "nodes"}
    assert data["expression"] == "z*(x + y)" or data["expression"] == "(x + y)*z"
    assert data["value"] == -12.0
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert data["nodes"][0] == {"id": "q", "op": "add", "inputs": ["x", "y"], "expr": "x + y",
                                "value": 3.0, "local": {"x": 1.0, "y": 1.0}, "grad": -4.0}
    assert data["nodes"][-1]["grad"] == 1.0 and data["nodes"][-1]["local"] == {"q": -4.0, "z": 3.0}
    for node in data["nodes"]:
        assert set(node) == {"id", "op", "inputs", "expr", "value", "local", "grad"}


def test_backprop_table():
    done = run("backprop", "x + y*z", "--at", "x=-2,y=5,z=-4")
    assert done.returncode == 0
    assert "global gradient" in done.stdout and "∂f/∂x = 1" in done.stdout


def test_derive_json_contract():
    done = run("derive", "tanh(x)", "--wrt", "x", "--json")
    data = json.loads(done.stdout)
    assert set(data) >= {"expression", "wrt", "derivative", "steps"}
    assert data["derivative"] == "1 - tanh(x)**2" and data["wrt"] == "x"
    done = run("derive", "sigmoid(x)", "--wrt", "x", "--json")
    assert json.loads(done.stdout)["derivative"] in ("(1 - sigmoid(x))*sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))")


def test_derive_latex_input():
    done = run("derive", r"\frac{e^x - e^{-x}}{e^x + e^{-x}}", "--latex", "--wrt", "x", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["derivative"] == "1 - tanh(x)**2"


def test_kernel_prints_source():
    done = run("kernel", "sigmoid(w*x)", "--wrt", "w")
    assert done.returncode == 0 and "def kernel(w, x):" in done.stdout
    namespace: dict = {}
    exec(done.stdout, namespace)  # the printed module runs as it stands, its imports included
    value, grad_w = namespace["kernel"](0.5, 2.0)
    assert value == pytest.approx(1 / (1 + math.exp(-1))) and grad_w == pytest.approx(2 * value * (1 - value))


@pytest.mark.parametrize("args", [
    ("backprop", "(x + y", "--at", "x=1,y=2"),
    ("backprop", "__import__('os').system('touch pwned')", "--at", "x=1"),
    ("backprop", "x*y", "--at", "x=1"),
    ("backprop", "x*y", "--at", "x=1;y=2"),
    ("backprop", "9**9**9**9", "--at", "x=1"),
    ("backprop", "(" * 5000 + "x" + ")" * 5000, "--at", "x=1"),
    ("backprop", "a" * 100_000, "--at", "x=1"),  # one argv string may hold at most 128 KiB
    ("derive", "x + exec(1)", "--wrt", "x"),
    ("derive", "x", "--wrt", "x,y"),
    ("derive", r"\input{/etc/passwd}", "--latex", "--wrt", "x"),
    ("kernel", "x", "--wrt", "__class__"),
    ("backprop", "x", "--bogus"),
    ("nonsense",),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, tmp_path):
    done = run(*args, cwd=tmp_path)  # run()'s timeout is the hang guard; no test reads a clock
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_gallery_writes_the_seed_examples(tmp_path):
    done = run("gallery", "--out", "figs", cwd=tmp_path)  # no examples/ here: the bundled ones are used
    assert done.returncode == 0, done.stderr
    exploding = json.loads((tmp_path / "figs" / "exploding_relu_chain.json").read_text())
    assert exploding["gradients"]["x"] == 15500.0 and exploding["value"] == 7688.0
    assert (tmp_path / "figs" / "index.html").exists()
    assert (tmp_path / "figs" / "worksheets" / "sigmoid_neuron.html").exists()


def test_backprop_writes_requested_files(tmp_path):
    out = {fmt: tmp_path / f"c.{fmt}" for fmt in ("svg", "dot", "tikz", "tex", "html")}
    flags = [arg for fmt, path in out.items() for arg in (f"--{fmt}", str(path))]
    done = run("backprop", "(x + y)*z", "--at", "x=-2,y=5,z=-4", *flags)
    assert done.returncode == 0, done.stderr
    assert "−12" in out["svg"].read_text() and "digraph" in out["dot"].read_text()
    assert "\\begin{document}" in out["tex"].read_text() and "<svg" in out["html"].read_text()


def test_derive_writes_requested_files(tmp_path):
    done = run("derive", "tanh(x)", "--wrt", "x", "--tex", str(tmp_path / "d.tex"), "--html", str(tmp_path / "d.html"))
    assert done.returncode == 0, done.stderr
    assert "\\tanh" in (tmp_path / "d.tex").read_text() and "<math" in (tmp_path / "d.html").read_text()


def test_a_failing_output_leaves_no_file_at_all(tmp_path, monkeypatch):
    """PNG needs a system dot; ask for SVG and PNG without one: error, and not even the SVG."""
    env_path = tmp_path / "bin"
    env_path.mkdir()
    monkeypatch.setenv("PATH", str(env_path))  # no dot on PATH
    done = run("backprop", "x*y", "--at", "x=1,y=2", "--svg", str(tmp_path / "c.svg"), "--png", str(tmp_path / "c.png"))
    assert done.returncode == 2 and "graphviz" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_an_unwritable_output_path_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = run("backprop", "x*y", "--at", "x=1,y=2", "--svg", str(blocker / "c.svg"))
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert blocker.read_text() == "not a directory"


def test_every_subcommand_has_one_handler():
    """The parser (symdl/cli/parser.py) and the handlers (symdl/cli/commands.py) name the same commands."""
    from symdl.cli.commands import HANDLERS
    from symdl.cli.parser import build_parser, subcommands
    assert set(HANDLERS) == set(subcommands(build_parser())) and "examples" in HANDLERS
