"""The grader's "wrong operand of the same shape" diagnosis: a step worked with another quantity of
its shape and role (W_ho where W_hi belongs). Every claimed number is worked out here by hand or by
NumPy on the flat formula, never read back from symdl."""

from __future__ import annotations

import numpy as np

from symdl import examples as bundled
from symdl.worksheet import check, load, solve

from grading_checks import claims_of

LSTM = (bundled.folder() / "lstm.toml").read_text(encoding="utf-8")
LSTM_NETWORK = LSTM[:LSTM.index("[claims]")]  # the bundled network, without the notes' claims

# A 2-2-2 ReLU MLP. By hand: z1 = W1 x = [0.5 − 2, 1.5 + 0.5] = [−1.5, 2], h = relu(z1) = [0, 2],
# z2 = W2 h = [2·0 + 1·2, −0.5·0 + 3·2] = [2, 6].
MLP = """title = "a 2-2-2 ReLU MLP"
[network.inputs]
x = [1.0, 2.0]
[network.parameters]
W1 = [[0.5, -1.0], [1.5, 0.25]]
W2 = [[2.0, 1.0], [-0.5, 3.0]]
[[network.ops]]
name = "z1"
op = "matmul"
inputs = ["W1", "x"]
[[network.ops]]
name = "h"
op = "relu"
inputs = ["z1"]
[[network.ops]]
name = "z2"
op = "matmul"
inputs = ["W2", "h"]
[claims]
z1 = [-1.5, 2.0]
h = [0.0, 2.0]
"""


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_numbers() -> dict:
    """The LSTM's gates by NumPy from the file's matrices (W_xf = 0, c₀ = 0)."""
    x, h0 = np.array([0.5, -0.1]), np.array([0.0, 0.1])
    W_hf, W_hg = np.array([[-0.4, 0.2], [0.3, 0.3]]), np.array([[0.2, 0.1], [0.1, 0.05]])
    W_xg = np.array([[-0.5, 0.4], [0.2, -0.3]])
    return {"f": sigmoid(W_hf @ h0), "g": np.tanh(W_hg @ h0 + W_xg @ x)}


def listed(values) -> str:
    return "[" + ", ".join(f"{v:.6f}" for v in values) + "]"


def test_notes_lstm_weight_matrix_swap_is_named():
    """The seed notes compute W_hi h with W_ho: W_ho h0 = [0.15·0 + 0.05·0.1, 0.1·0 − 0.2·0.1]."""
    v = {v.claim: v for v in check(solve(load(bundled.folder() / "lstm.toml"))).verdicts}["z_hi"]
    assert list(v.claimed) == [0.005, -0.02]
    assert v.cause == "step" and v.slip == "used W_ho where W_hi belongs"


def test_lstm_gate_swap_names_the_gate():
    """i ⊙ g worked as f ⊙ g: the forget gate where the input gate belongs."""
    n = lstm_numbers()
    v = claims_of(LSTM_NETWORK + f"[claims]\nb = {listed(n['f'] * n['g'])}\n")["b"]
    assert v.cause == "step" and v.slip == "used f where i belongs"


def test_lstm_unrelated_wrong_number_names_no_cause():
    v = claims_of(LSTM_NETWORK + "[claims]\nz_hi = [0.07, 0.09]\n")["z_hi"]  # W_hi h0 = [0.02, 0.005] by hand
    assert v.cause == "step" and v.slip == ("its inputs are right, but the arithmetic gives 0.02 at entry 1 "
                                            "and 0.005 at entry 2")


def test_mlp_wrong_weight_matrix_is_named():
    v = claims_of(MLP + "z2 = [-2.0, 0.5]\n")  # W1 h = [0.5·0 − 1·2, 1.5·0 + 0.25·2]
    assert v["z1"].right and v["h"].right and not v["z1"].slip and not v["h"].slip
    assert v["z2"].cause == "step" and v["z2"].slip == "used W1 where W2 belongs"


def test_mlp_input_in_place_of_the_activation_is_named():
    v = claims_of(MLP + "z2 = [4.0, 5.5]\n")["z2"]  # W2 x = [2 + 2, −0.5 + 6]
    assert v.slip == "used x where h belongs"


def test_mlp_left_out_activation_is_told_as_such_not_as_a_swap():
    v = claims_of(MLP + "z2 = [-1.0, 6.75]\n")["z2"]  # W2 z1 = [−3 + 2, 0.75 + 6]: the ReLU skipped
    assert "left out" in v.slip and "used" not in v.slip


def test_mlp_unrelated_and_right_claims_are_not_swaps():
    v = claims_of(MLP + "z2 = [3.0, 7.0]\n")["z2"]
    assert v.slip == "its inputs are right, but the arithmetic gives 2 at entry 1 and 6 at entry 2"  # W2 h = [2, 6]
    right = claims_of(MLP + "z2 = [2.0, 6.0]\n")["z2"]
    assert right.right and right.slip == ""


def test_attention_key_projection_with_the_value_weights_is_named():
    text = (bundled.folder() / "masked_multihead_attention.toml").read_text(encoding="utf-8")
    network = text[:text.index("[claims]")] if "[claims]" in text else text
    X = np.array([[-0.5, 0.9, -0.6, -0.6], [-0.3, -0.5, 0.3, -0.8], [0.8, 0.7, -1.0, 0.1]])
    W_V = np.array([[0.8, 0.5, 0.2, 0.4], [0.1, 0.1, 0.8, -0.4], [-0.6, 0.9, 0.9, 0.0], [0.6, 0.5, 0.9, -0.8]])
    claimed = "[" + ", ".join(listed(row) for row in X @ W_V) + "]"
    v = claims_of(network.split("[report]")[0] + f"[claims]\nK = {claimed}\n")["K"]
    assert v.cause == "step" and v.slip == "used W_V where W_K belongs"


def test_one_wrong_entry_is_too_little_evidence_for_a_swap():
    """XOR's z[2,1] = 0 (the notes drop a weight) equals X[2,1] + b1[1] by chance: one number is no
    evidence of another operand. What the notes did is drop the product (−1)·x₁ of X W1 (z[2,1] =
    1·(−1) + 0·1 + 0 = −1), a step they do not write down."""
    v = {v.claim: v for v in check(solve(load(bundled.folder() / "perceptron_xor_two_layers.toml"))).verdicts}
    assert v["z[2,1]"].cause == "step" and "used" not in v["z[2,1]"].slip
    assert v["z[2,1]"].slip == "in the step before, XW, which is not written down, one product of the dot product is left out"
