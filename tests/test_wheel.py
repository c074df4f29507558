"""A built wheel works outside the repository (issue 15, item 1): it ships the bundled examples, so
``symdl examples``, ``symdl solve sigmoid_neuron`` and the gallery's worksheets need no checkout.

The wheel is built from a copy of the sources (the checkout gets no build/ or egg-info) without
network: the build uses this venv's setuptools, and the fresh venv borrows this venv's
site-packages for the dependencies only (a path in a .pth file, whose own .pth files, among them
the editable install of the checkout, are not run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FOLDER = ROOT / "symdl" / "examples"


def _run(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv outside the repository with only the wheel installed; its bin/ and environment."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "symdl", source / "symdl", ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", tmp / "dist", source, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("symdl-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel,
         cwd=tmp)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp).stdout.strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return venv / "bin", {**env, "HOME": str(elsewhere)}


def _names_on_disk() -> list[str]:
    return sorted(p.stem for p in PACKAGE_FOLDER.glob("*.toml"))


def test_the_wheel_is_what_runs(installed, tmp_path):
    bin_, env = installed
    code = "import symdl, symdl.examples; print(symdl.__file__); print(symdl.examples.folder())"
    module, folder = _run(bin_ / "python", "-c", code, cwd=tmp_path, env=env).stdout.splitlines()
    venv = bin_.parent.resolve()
    assert Path(module).resolve().is_relative_to(venv) and Path(folder).resolve().is_relative_to(venv)
    assert not Path(module).resolve().is_relative_to(ROOT)


def test_symdl_examples_from_the_wheel_lists_every_bundled_name(installed, tmp_path):
    bin_, env = installed
    done = _run(bin_ / "symdl", "examples", cwd=tmp_path, env=env)
    listed = done.stdout.splitlines()  # in course order (tests/test_examples_bundled.py checks which)
    assert sorted(listed) == _names_on_disk() and len(listed) == len(set(listed)) and "sigmoid_neuron" in listed
    assert done.stderr == ""


def test_symdl_solve_a_name_from_the_wheel(installed, tmp_path):
    bin_, env = installed
    done = _run(bin_ / "symdl", "solve", "sigmoid_neuron", cwd=tmp_path, env=env)
    title = tomllib.loads((PACKAGE_FOLDER / "sigmoid_neuron.toml").read_text())["title"]
    assert done.stdout.startswith(title) and "∂f" in done.stdout and done.stderr == ""
    assert os.listdir(tmp_path) == []


@pytest.mark.slow  # the whole gallery: 13 s of CPU
def test_the_gallery_from_the_wheel_has_the_worksheets(installed, tmp_path):
    bin_, env = installed
    _run(bin_ / "symdl", "gallery", "--out", "figures", cwd=tmp_path, env=env)
    sheets = sorted(p.stem for p in (tmp_path / "figures" / "worksheets").glob("*.html"))
    assert sheets == _names_on_disk()
    assert "∂f/∂x = 0   correct: 1" in (tmp_path / "figures" / "worksheets" / "check.txt").read_text()
