"""No op name or parameter name is written into the engine outside its record: the graph,
backprop, kernels, worksheet, tensor and printing modules look ops up, they never ``if op == "tanh"``.

A source scan (ast) for string literals equal to a registered op's name, its other spellings or
its parameters' names."""

from __future__ import annotations

import ast
import pathlib

import pytest

import symdl
import symdl.tensor.network  # noqa: F401  (registers every tensor op)
from symdl import ops

PACKAGE = pathlib.Path(symdl.__file__).parent
ENGINE = ["graph.py", "backprop.py", "kernels.py", "worksheet", "tensor", "printing"]

# (module, literal, why); each entry must still be needed, so the list cannot go stale.
ALLOWED = {
    # SymPy has one class each for sums, products and powers; splitting them into lecture gates
    # (x − y, −x, x + 1, 2x, x/y, 1/x, √x, x³, 2ˣ, xʸ) is the one place that names those gates.
    **{("graph.py", name): "SymPy's Add/Mul/Pow split into the arithmetic gates" for name in
       ("add", "sub", "neg", "shift", "scale", "mul", "div", "reciprocal", "sqrt", "powc", "expc", "pow")},
    # a worksheet verdict's cause: a wrong *step* of the student's work, not the step function
    ("worksheet/grading.py", "step"): "a worked step, not the op",
    ("printing/text_reports.py", "step"): "a verdict's cause as the check report words it, not the op",
    # the tensor ops' own records, registered under their names (the tensor registry)
    **{("tensor/linalg.py", name): "a tensor op's own record" for name in
       ("add", "sub", "scale", "softmax", "log_softmax", "logsumexp")},
    ("tensor/losses.py", "cross_entropy"): "a tensor op's own record",
    # the matrix form softmax(z) in ∂L/∂z = softmax(z) − y prints under the function's name
    ("tensor/symbolic.py", "softmax"): "the printed name of the softmax matrix form",
    # batch norm's written formula: σ², the batch variance, set as the Greek letter (not the sigmoid op)
    ("tensor/notation.py", "sigma"): "the Greek letter of the batch variance σ²",
}


def _names() -> set[str]:
    names = set()
    for op in ops.REGISTRY.values():
        names |= {op.name, *op.spellings, *op.call_spellings, *(p.name for p in op.params)}
    return names


def _engine_files() -> list[pathlib.Path]:
    files = []
    for entry in ENGINE:
        path = PACKAGE / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _literals(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_the_scan_sees_the_engine_and_every_name():
    assert len(_engine_files()) >= 10
    assert {"tanh", "leaky_relu", "slope", "sigma", "Heaviside", "elu", "alpha", "silu"} <= _names()


def test_no_op_or_parameter_name_is_written_outside_its_record():
    names, found, used = _names(), [], set()
    for path in _engine_files():
        module = path.relative_to(PACKAGE).as_posix()
        for line, value in _literals(path):
            if value not in names:
                continue
            if (module, value) in ALLOWED:
                used.add((module, value))
            else:
                found.append(f"{module}:{line}: {value!r}")
    assert not found, "op or parameter names outside their records:\n" + "\n".join(found)
    assert used == set(ALLOWED), f"allow-list entries no longer needed: {sorted(set(ALLOWED) - used)}"


@pytest.mark.parametrize("source", ['if op == "tanh":\n    pass\n', 'slope = params.get("slope")\n'])
def test_the_scan_catches_a_special_case(tmp_path, source):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert any(value in _names() for _, value in _literals(path))
