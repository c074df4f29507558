"""The bundled examples (issue 15, item 1): problem files shipped as package data, listed and copied
by ``symdl examples``, and usable by name wherever a problem FILE is expected; the seed's own
networks and numbers live beside them, not in the library (``symdl.nn``)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from symdl import examples as bundled
from symdl.cli import main
from symdl.errors import SymdlError
from symdl.worksheet.problem import load

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FOLDER = ROOT / "symdl" / "examples"  # where the repository keeps them: the independent listing
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HEAVY = ("sympy", "numpy", "scipy", "networkx", "matplotlib")
# the order the seed notes teach them in, read off the notes (Lab 1, Lab 2, the perceptron, computational
# graphs, vanishing and exploding gradients, batch norm, convolutions, sequences, attention)
NOTES_ORDER = (
    "tanh_quotient_rule", "relu_definition", "leaky_relu_definition", "softmax_jacobian", "mlp_four_input",
    "perceptron_and", "perceptron_or", "perceptron_xor_two_layers",
    "square_of_sum", "add_after_mul", "sigmoid_neuron", "max_gate", "vanishing_sigmoid_chain", "exploding_relu_chain",
    "batch_norm", "convolution_edge", "strided_convolution", "conv_output_sizes", "parameter_count", "max_pooling",
    "bottleneck_cost", "rnn", "lstm", "bahdanau_attention", "self_attention", "positional_encoding",
    "masked_multihead_attention",
)


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symdl", *args], input=stdin, capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=120)


def on_disk() -> list[str]:
    return sorted(name.removesuffix(".toml") for name in os.listdir(PACKAGE_FOLDER) if name.endswith(".toml"))


def one_line_refusal(done: subprocess.CompletedProcess, command: str) -> str:
    assert done.returncode == 2 and done.stdout == "", (done.returncode, done.stdout)
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"symdl {command}: "), done.stderr
    return done.stderr


def test_the_package_folder_is_where_importlib_resources_finds_the_examples():
    assert bundled.folder().resolve() == PACKAGE_FOLDER.resolve()
    assert sorted(bundled.names()) == on_disk() and len(on_disk()) >= 26 and "sigmoid_neuron" in on_disk()
    assert not (ROOT / "examples").exists()  # one copy of each file, the one the wheel ships


def test_the_examples_are_listed_in_the_order_of_the_notes():
    """Every file has its place in the course, once; read off the seed notes: Lab 1 opens with tanh's
    quotient rule, the perceptron comes before the computational graphs, the graphs before the
    convolutions, those before the RNN, and masked multi-head attention is the last topic."""
    assert sorted(NOTES_ORDER) == on_disk()
    assert bundled.names() == list(NOTES_ORDER)
    order = bundled.names().index
    assert order("tanh_quotient_rule") == 0 and bundled.names()[-1] == "masked_multihead_attention"
    assert order("perceptron_and") < order("square_of_sum") < order("convolution_edge") < order("rnn") < order("lstm")


def test_each_file_carries_its_own_distinct_place_in_the_course():
    """The order is the files' ``course`` numbers (what the problem loader reads), not a list kept in code."""
    courses = [tomllib.loads((PACKAGE_FOLDER / f"{name}.toml").read_text())["course"] for name in NOTES_ORDER]
    assert courses == sorted(courses) and len(set(courses)) == len(courses)
    assert [load(PACKAGE_FOLDER / f"{name}.toml").course for name in NOTES_ORDER] == courses
    assert not hasattr(bundled, "COURSE")


def test_a_new_file_goes_where_its_course_number_puts_it(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "examples"
    shutil.copytree(PACKAGE_FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    rnn = tomllib.loads((PACKAGE_FOLDER / "rnn.toml").read_text())["course"]
    lstm = tomllib.loads((PACKAGE_FOLDER / "lstm.toml").read_text())["course"]
    text = (PACKAGE_FOLDER / "square_of_sum.toml").read_text()
    (folder / "gru.toml").write_text(re.sub(r"(?m)^course = [0-9]+$", f"course = {(rnn + lstm) // 2}", text))
    (folder / "aaa_unplaced.toml").write_text(re.sub(r"(?m)^course = [0-9]+\n", "", text))
    monkeypatch.setattr(bundled, "folder", lambda: folder)
    assert main(["examples"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[listed.index("rnn") + 1] == "gru" and listed[-1] == "aaa_unplaced"


def test_the_loader_refuses_a_course_that_is_not_a_whole_number(tmp_path):
    text = (PACKAGE_FOLDER / "square_of_sum.toml").read_text()
    for bad in ('"third"', "2.5", "-1", "true"):
        file = tmp_path / "bad.toml"
        file.write_text(re.sub(r"(?m)^course = [0-9]+$", f"course = {bad}", text))
        with pytest.raises(SymdlError, match="'course'"):
            load(file)


def test_pyproject_declares_every_toml_of_the_folder_as_package_data():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert package_data["symdl.examples"] == ["*.toml"]


def test_symdl_examples_lists_the_names_one_a_line(tmp_path):
    done = run("examples", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == list(NOTES_ORDER) and done.stdout.endswith("\n")


def test_listing_the_examples_imports_nothing_heavy():
    probe = ("import sys\nfrom symdl.cli import main\nmain(['examples'])\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_toml_dropped_into_the_folder_is_an_example_without_a_code_change(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "examples"
    shutil.copytree(PACKAGE_FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "my_new_problem.toml").write_bytes((PACKAGE_FOLDER / "square_of_sum.toml").read_bytes())
    monkeypatch.setattr(bundled, "folder", lambda: folder)
    assert main(["examples"]) == 0
    assert "my_new_problem" in capsys.readouterr().out.splitlines()
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "my_new_problem", "--json"]) == 0
    title = tomllib.loads((PACKAGE_FOLDER / "square_of_sum.toml").read_text())["title"]
    assert json.loads(capsys.readouterr().out)["title"] == title


def test_copy_writes_every_example_byte_for_byte_and_lists_the_paths(tmp_path):
    done = run("examples", "--copy", "mine", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == [f"mine/{name}.toml" for name in NOTES_ORDER]
    for name in on_disk():
        assert (tmp_path / "mine" / f"{name}.toml").read_bytes() == (PACKAGE_FOLDER / f"{name}.toml").read_bytes()
    assert sorted(os.listdir(tmp_path / "mine")) == [f"{name}.toml" for name in on_disk()]  # no .py, no temporaries


def test_copy_overwrites_nothing_and_copies_nothing_when_one_file_exists(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "rnn.toml").write_text("my own work\n")
    stderr = one_line_refusal(run("examples", "--copy", "mine", cwd=tmp_path), "examples")
    assert "rnn.toml" in stderr
    assert os.listdir(tmp_path / "mine") == ["rnn.toml"]
    assert (tmp_path / "mine" / "rnn.toml").read_text() == "my own work\n"


@pytest.mark.parametrize("target", ["missing/parent", "-"])
def test_copy_refuses_a_directory_it_cannot_create(tmp_path, target):
    one_line_refusal(run("examples", "--copy", target, cwd=tmp_path), "examples")
    assert os.listdir(tmp_path) == []


def test_a_name_works_as_the_file_of_solve_from_anywhere(tmp_path):
    by_name = run("solve", "sigmoid_neuron", cwd=tmp_path)
    by_path = run("solve", str(PACKAGE_FOLDER / "sigmoid_neuron.toml"), cwd=tmp_path)
    assert by_name.returncode == 0 and by_name.stderr == ""
    assert by_name.stdout == by_path.stdout
    assert tomllib.loads((PACKAGE_FOLDER / "sigmoid_neuron.toml").read_text())["title"] in by_name.stdout


def test_names_work_for_check_and_exercise(tmp_path):
    done = run("check", "add_after_mul", "max_gate", "--json", cwd=tmp_path)
    assert done.returncode == 1  # the notes' ∂f/∂x = 0 for f = x + yz is wrong
    assert len(json.loads(done.stdout)) == 2
    done = run("exercise", "sigmoid_neuron", "--seed", "3", "--out", "sheets", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path / "sheets")) == sorted(Path(line).name for line in done.stdout.splitlines())
    assert all(name.startswith("sigmoid_neuron-seed3-") for name in os.listdir(tmp_path / "sheets"))


def test_a_real_file_wins_over_a_bundled_name(tmp_path):
    shutil.copy(PACKAGE_FOLDER / "square_of_sum.toml", tmp_path / "sigmoid_neuron")
    done = run("solve", "sigmoid_neuron", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    title = tomllib.loads((PACKAGE_FOLDER / "square_of_sum.toml").read_text())["title"]
    assert json.loads(done.stdout)["title"] == title


def test_solve_out_named_like_the_example_runs_twice(tmp_path):
    """The first run makes the folder sigmoid_neuron/; a directory is no problem file, so the second
    run still solves the bundled example (it failed with "sigmoid_neuron: cannot read: Is a directory")."""
    first, second = (run("solve", "sigmoid_neuron", "--out", "sigmoid_neuron", cwd=tmp_path) for _ in range(2))
    assert first.returncode == second.returncode == 0 and second.stderr == "", second.stderr
    assert first.stdout == second.stdout and "sigmoid_neuron/sigmoid_neuron.html" in second.stdout.splitlines()


def test_a_directory_that_is_no_example_is_refused_naming_both(tmp_path):
    (tmp_path / "sigmoid_nueron").mkdir()
    stderr = one_line_refusal(run("solve", "sigmoid_nueron", cwd=tmp_path), "solve")
    assert "sigmoid_nueron: a directory, not a problem file, nor a bundled example" in stderr
    assert "did you mean sigmoid_neuron" in stderr


@pytest.mark.parametrize("argument, suggestion", [("sigmoid_nueron", "sigmoid_neuron"),
                                                  ("examples/max_gate.toml", "max_gate")])
def test_an_unknown_name_names_the_close_ones(tmp_path, argument, suggestion):
    for command in ("solve", "check", "exercise"):
        extra = ["--seed", "1"] if command == "exercise" else []
        stderr = one_line_refusal(run(command, argument, *extra, cwd=tmp_path), command)
        assert argument in stderr and f"did you mean {suggestion}" in stderr
    assert os.listdir(tmp_path) == []


def test_a_name_with_nothing_close_points_to_the_listing(tmp_path):
    assert "symdl examples" in one_line_refusal(run("solve", "qqqq", cwd=tmp_path), "solve")


def test_stdin_is_still_dash(tmp_path):
    done = run("solve", "-", "--json", cwd=tmp_path, stdin=(PACKAGE_FOLDER / "max_gate.toml").read_text())
    assert done.returncode == 0 and json.loads(done.stdout)["title"]


def test_the_library_keeps_only_general_layers():
    """Nothing under symdl.nn is one of the seed's own examples: no seed_* module, function or SEED_* constant."""
    import symdl.nn
    modules = [importlib.import_module(f"symdl.nn.{info.name}") for info in pkgutil.iter_modules(symdl.nn.__path__)]
    assert all(not module.__name__.rsplit(".", 1)[1].startswith("seed") for module in modules)
    seeds = [f"{module.__name__}.{name}" for module in [symdl.nn, *modules] for name in vars(module)
             if name.lower().startswith("seed_")]
    assert seeds == []


def test_the_seed_examples_are_beside_the_problem_files():
    from symdl.examples import seed_conv, seed_dense, seed_sequence
    assert {Path(m.__file__).parent for m in (seed_conv, seed_dense, seed_sequence)} == {PACKAGE_FOLDER}
    # the notes' 4-input example: every weight 0.1, z = 0.1·(−2.4 + 1.2 − 0.8 + 1.1) = −0.09 in each hidden unit
    net, _ = seed_dense.seed_four_input_mlp()
    assert net.value("fc1").ravel().tolist() == pytest.approx([-0.09] * 3)
