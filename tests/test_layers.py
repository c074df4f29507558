"""A network's circuit at a depth, as torchview draws it: layers as blocks, arrays as summaries."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from symdl import examples as bundled
from symdl.examples import seed_dense
from symdl.printing import dot, layers, rendering, scene
from symdl.printing.text import text
from symdl.printing.tikz import tikz
from symdl.tensor.network import Network

EXAMPLES = bundled.folder()


@pytest.fixture(scope="module")
def mlp() -> Network:
    net, loss = seed_dense.seed_four_input_mlp()
    net.backward(loss)
    return net


def test_depth_one_draws_each_layer_as_a_block_holding_its_parameters(mlp):
    drawn = layers.collapse(mlp.graph, 1)
    assert set(drawn) == {"x", "fc1", "a1", "fc2", "p", "y", "L"}
    fc1 = drawn.nodes["fc1"]
    assert fc1["kind"] == "block" and fc1["members"] == ("fc1.weight", "fc1.bias", "fc1.Wx", "fc1")
    assert fc1["ops"] == ("·", "+") and fc1["inputs"] == ("x",)
    assert {text(symbol): shape for symbol, shape in fc1["holds"]} == {"W₁": (3, 4), "b₁": (3,)}  # by their names
    x = np.array([-2.4, 1.2, -0.8, 1.1])
    np.testing.assert_allclose(fc1["value"], np.full((3, 4), 0.1) @ x)  # W x + b with b = 0, by NumPy
    assert set(drawn.edges) == {("x", "fc1"), ("fc1", "a1"), ("a1", "fc2"), ("fc2", "p"), ("fc2", "L"), ("y", "L")}
    assert drawn.nodes["L"]["inputs"] == ("fc2", "y") and "local" in drawn.edges["y", "L"]
    assert "local" not in drawn.edges["x", "fc1"]  # a layer's Jacobian is no one edge's


def test_depth_zero_is_one_block_and_a_large_depth_every_op(mlp):
    whole = layers.collapse(mlp.graph, 0)
    assert set(whole) == {"x", layers.NETWORK}
    assert whole.nodes[layers.NETWORK]["primary"] == "L"
    assert float(whole.nodes[layers.NETWORK]["value"]) == pytest.approx(np.log(2))  # CE of softmax (½, ½)
    assert set(layers.collapse(mlp.graph, 2)) == set(mlp.graph)


def test_the_depth_reaches_the_svg_and_the_tikz(mlp):
    full, blocks = rendering.svg(mlp), rendering.svg(mlp, depth=1)
    assert full.count('class="node"') > blocks.count('class="node"') >= 7
    # a layer's block by the name of its output, z₁ = W₁ x + b₁, and its parameters by theirs: no id (fc1.weight)
    assert "z₁  [· +]" in blocks.replace("&#160;", " ") and "W₁ 3×4, b₁ 3" in blocks and "fc1" not in blocks
    assert "z₁  [· +]" not in full.replace("&#160;", " ")
    assert r"$\mathbf{z_{1}}$\ [\ensuremath{\cdot} +]" in tikz(mlp, depth=1) and "symdl block" in tikz(mlp, depth=1)
    with pytest.raises(Exception, match="depth must be a whole number"):
        dot.circuit(mlp, depth=-1)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symdl", *args], capture_output=True, text=True, timeout=300)


def test_solve_depth_draws_the_network_as_blocks(tmp_path):
    done = run("solve", str(EXAMPLES / "mlp_four_input.toml"), "--out", str(tmp_path), "--depth", "0")
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / "mlp_four_input.svg").read_text(encoding="utf-8")
    # the one block by the name of the network's output, a2 (the file's name for it)
    assert ">a2 &#160;[" in svg and "symdl block" in (tmp_path / "mlp_four_input.tikz").read_text()
    bad = run("solve", str(EXAMPLES / "mlp_four_input.toml"), "--out", str(tmp_path / "no"), "--depth", "-1")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "depth" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "no").exists()
