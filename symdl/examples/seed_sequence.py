"""The seed notes' sequence-model examples, solved with the layers of ``symdl.nn``.

Each ``seed_*`` function builds its example as a network and returns a
:class:`~symdl.examples.worked.SeedExample`: the right numbers, the numbers the notes
wrote for the same quantities (the notes are OCR of handwriting and slip often), and the
slips and assumptions in words — what the gallery and the worksheets print side by side.
"""

from __future__ import annotations

import numpy as np

from symdl.examples.worked import Array, SeedExample
from symdl.nn.attention import (additive_alignment, attend, dot_alignment, positional_encoding,
                                self_attention)
from symdl.nn.recurrent import LSTMCell, RNNCell, lstm_unroll, rnn_unroll
from symdl.tensor.network import Network


def _arrays(table: dict) -> dict[str, Array]:
    return {k: np.asarray(v, dtype=float) for k, v in table.items()}


# --- RNN (notes ~line 1470) -----------------------------------------------------------------------

RNN_WEIGHTS = _arrays({
    "W_xh": [[0.5, -0.3], [0.8, 0.2], [0.1, 0.9]],
    "W_hh": [[0.1, 0.4, 0.0], [-0.2, 0.3, 0.2], [0.05, -0.1, 0.2]],
    "W_yh": [[1.0, -1.0, 0.5], [0.5, 0.5, -0.5]],
})
RNN_INPUTS = _arrays({"x1": [1, 2], "x2": [-1, 1]})


def seed_rnn() -> SeedExample:
    """Two steps of hₜ = tanh(W_hh hₜ₋₁ + W_xh xₜ), yₜ = W_yh hₜ, from h₀ = 0 (no biases)."""
    net = Network()
    cell = RNNCell(2, 3, bias=False, weight_ih=RNN_WEIGHTS["W_xh"], weight_hh=RNN_WEIGHTS["W_hh"], layout="columns")
    rnn_unroll(net, cell, [RNN_INPUTS["x1"], RNN_INPUTS["x2"]], weight_yh=RNN_WEIGHTS["W_yh"])
    values = {name: net.value(name).ravel() for name in ("h1.z", "h1", "y1", "h2.xh", "h2.z", "h2", "y2")}
    values["W_yh W_hh"] = RNN_WEIGHTS["W_yh"] @ RNN_WEIGHTS["W_hh"]
    notes = _arrays({
        "h1.z": [-0.1, 1.2, 0.9], "h1": [-0.099, 0.833, 0.716], "y1": [-0.579, 0.009],
        "h2.xh": [-0.8, -0.6, 0.3], "h2.z": [-0.4779, -0.1871, 0.355],
        "W_yh W_hh": [[0.28, -0.28, 0.1], [0.15, 0.15, -0.1]],
    })
    remarks = (
        "W_xh x1 = [−0.1, 1.2, 1.9]: the notes' third entry 0.9 should be 0.1 + 0.9·2 = 1.9, "
        "so (h1)₃ = tanh 1.9 = 0.956, not 0.716.",
        "(h1)₁ = tanh(−0.1) = −0.0997 is negative; the notes write 0.099 and only later use −0.099.",
        "y1 = W_yh h1 = [−0.455, −0.111]; with their own h1, (h1)₁ taken as the −0.099 they use, "
        "the first entry is −0.574, not −0.579.",
        "W_xh x2 = [−0.8, −0.6, 0.8] (0.1·(−1) + 0.9·1 = 0.8, not 0.3).",
        "The notes stop at the pre-activation of h2 and never apply tanh; h2 = [−0.443, −0.138, 0.718].",
        "Their side product W_yh W_hh is [[0.325, 0.05, −0.1], [−0.075, 0.4, 0]].",
        "In PyTorch: W_xh, the notes' name (x for the input), is W_ih (RNNCell.weight_ih).",
    )
    return SeedExample("Vanilla RNN, two time steps", values, notes, remarks, net)


# --- LSTM (notes ~line 1570) ----------------------------------------------------------------------

LSTM_WEIGHTS = {  # the input's weights (W_xi, …: PyTorch's W_ii, …) and the hidden state's (W_hi, …)
    "x": _arrays({"i": [[0.5, -0.3], [0.4, 0.1]], "f": np.zeros((2, 2)),
                  "g": [[-0.5, 0.4], [0.2, -0.3]], "o": [[0.3, 0.25], [-0.2, 0.2]]}),
    "h": _arrays({"i": [[0.1, 0.2], [0.2, 0.05]], "f": [[-0.4, 0.2], [0.3, 0.3]],
                  "g": [[0.2, 0.1], [0.1, 0.05]], "o": [[0.15, 0.05], [0.1, -0.2]]}),
}
LSTM_INPUTS = _arrays({"x1": [0.5, -0.1], "h0": [0.0, 0.1], "c0": [0.0, 0.0]})


PYTORCH_LSTM_NAMES = ("In PyTorch: W_xi, W_xf, W_xg, W_xo, the notes' names (x for the input), are W_ii, W_if, W_ig, "
                      "W_io (LSTMCell.weight_ih rows 0:H, H:2H, 2H:3H, 3H:4H); W_hi, W_hf, W_hg, W_ho are PyTorch's "
                      "too (weight_hh, same rows).")


def seed_lstm() -> SeedExample:
    """One LSTM step at xₜ = [0.5, −0.1], hₜ₋₁ = [0, 0.1]: the gates, cₜ and hₜ the notes ask for."""
    net = Network()
    cell = LSTMCell.from_gates(LSTM_WEIGHTS["x"], LSTM_WEIGHTS["h"], bias=False, layout="columns")
    lstm_unroll(net, cell, [LSTM_INPUTS["x1"]], h0=LSTM_INPUTS["h0"], c0=LSTM_INPUTS["c0"])
    names = [f"{gate}1{part}" for gate in "ifgo" for part in (".z", "")] + ["c1", "h1"]
    values = {name: net.value(name).ravel() for name in names}
    notes = _arrays({"i1.z": [0.225, 0.17], "i1": [0.56, 0.54], "o1.z": [0.13, -0.122], "o1": [0.53, 0.43],
                     "g1.z": [-0.35, 0.125], "g1": [-0.311, 0.13]})
    remarks = (
        "Assumed: the notes give no cₜ₋₁, so c₀ = 0 (then fₜ cannot affect c₁), and no W_xf, so W_xf = 0; "
        "the unlabelled matrix [[−0.4, 0.2], [0.3, 0.3]] is taken as W_hf.",
        "iₜ: the notes use W_ho in place of W_hi ('wrong calculation') and (−0.3)(−0.1) = −0.03; "
        "right: W_hi h + W_xi x = [0.30, 0.195], iₜ = [0.574, 0.549].",
        "oₜ: W_ho h = [0.005, −0.02], not [0.005, −0.002]; pre-activation [0.13, −0.14], oₜ = [0.532, 0.465] "
        "(σ(−0.122) would be 0.470, not 0.43: exp(0.122) = 1.13, not 1.29).",
        "gₜ: hₜ₋₁ = [0, 0.1] (the notes flip it to −0.1) and −0.01 − 0.29 = −0.30, not −0.35; "
        "right: pre-activation [−0.28, 0.135], gₜ = [−0.273, 0.134]; tanh(−0.35) = −0.336, not −0.311.",
        "The notes stop before cₜ and hₜ: c₁ = i ⊙ g = [−0.157, 0.074], h₁ = o ⊙ tanh(c₁) = [−0.083, 0.034].",
        PYTORCH_LSTM_NAMES,
    )
    return SeedExample("LSTM, one time step", values, notes, remarks, net)


# --- Bahdanau attention (notes ~line 1660) --------------------------------------------------------

BAHDANAU = _arrays({"h": [[1, 0, 1], [0, 1, 1], [1, 1, 0]], "s": [[1, 0, 1]]})


def seed_bahdanau() -> SeedExample:
    """Dot scores eᵢ = sᵀ hᵢ, α = softmax(e), c = Σᵢ αᵢ hᵢ; plus additive scores with W_s = W_h = I, v = 1."""
    net = Network()
    scores = dot_alignment(net, BAHDANAU["s"], BAHDANAU["h"], name="e")
    alpha, context = attend(net, scores, "h", name="c")
    additive = additive_alignment(net, "s", "h", np.eye(3), np.eye(3), np.ones(3), name="e_add")
    alpha_add, context_add = attend(net, additive, "h", name="c_add")
    values = {"e": net.value(scores).ravel(), "α": net.value(alpha).ravel(), "c": net.value(context).ravel(),
              "e_add": net.value(additive).ravel(), "α_add": net.value(alpha_add).ravel(),
              "c_add": net.value(context_add).ravel()}
    notes = _arrays({"e": [2, 1, 1], "α": [0.57, 0.21, 0.21], "c": [0.99]})
    remarks = (
        "The context is a vector, c = Σᵢ αᵢ hᵢ = [0.788, 0.424, 0.788]; the notes add the weights "
        "(0.57 + 0.21 + 0.21 = 0.99), which always sum to 1 (0.99 is rounding).",
        "α = [0.5761, 0.2119, 0.2119]; the notes' denominator writes exp of vectors, exp(1, 0, 1) + …, "
        "where it means exp of the scores 2, 1, 1.",
        "The additive scores use illustrative weights W_s = W_h = I and v = 1 (the notes give none): "
        "they rank h1 lowest, where the dot score ranks it highest.",
    )
    return SeedExample("Attention over encoder states (the notes' Bahdanau example): dot-product scores, "
                       "then additive (Bahdanau) scores beside them", values, notes, remarks, net)


# --- "Thinking Machines" self-attention (notes ~line 1700) ----------------------------------------

THINKING_MACHINES = _arrays({
    "Q": [[0.212, 0.04, 0.63, 0.36], [0.1, 0.14, 0.86, 0.77]],
    "K": [[0.31, 0.84, 0.963, 0.57], [0.45, 0.99, 0.73, 0.58]],
    "V": [[0.36, 0.83, 0.1, 0.38], [0.31, 0.36, 0.19, 0.72]],
})


def seed_self_attention() -> SeedExample:
    """z = softmax(Q Kᵀ/√4) V for the tokens "Thinking", "Machines".

    The notes give q, k, v directly; one-hot tokens X = I₂ with W_Q = [q₁; q₂] (and so on)
    give exactly those, so the example runs through :func:`self_attention` unchanged.
    """
    net = Network()
    z = self_attention(net, np.eye(2), THINKING_MACHINES["Q"], THINKING_MACHINES["K"], THINKING_MACHINES["V"])
    values = {"QKᵀ": net.value(f"{z}.QKᵀ"), "scores": net.value(f"{z}.scores"),
              "weights": net.value(f"{z}.weights"), "z": net.value(z)}
    notes = _arrays({"QKᵀ": [[0.91116, 0.8017], [1.41155, 1.251]], "scores": [[0.45558, 0.40085], [0.70775, 0.62]],
                     "weights": [[0.5, 0.48], [0.52, 0.472]],
                     "z": [[0.328, 0.2628, 0.141, 0.53], [0.3112, 0.5756, 0.0128, 0.4856]]})
    remarks = (
        "q1·k2 (the notes label it q1·v1) = 0.0954 + 0.0396 + 0.4599 + 0.2088 = 0.8037, not 0.8017.",
        "q2·k1 = 1.41568 (not 1.41155) and q2·k2 = 0.045 + 0.1386 + 0.6278 + 0.4466 = 1.258 "
        "(not 0.45 + 0.1316 + … = 1.251).",
        "Each softmax row sums to 1: [0.5134, 0.4866] and [0.5197, 0.4803], not [0.5, 0.48] and [0.52, 0.472].",
        "z1 = [0.3357, 0.6013, 0.1438, 0.5454] (the notes write 0.84 for 0.48·0.72 = 0.3456); "
        "z2 = [0.3360, 0.6043, 0.1432, 0.5433] (the notes weight v2 by 0.4, not 0.48, and write 0.0128 for 0.128).",
    )
    return SeedExample('Self-attention for "Thinking Machines"', values, notes, remarks, net)


# --- positional encoding (notes ~line 1800) -------------------------------------------------------

def seed_positional_encoding() -> SeedExample:
    """PE for positions 0, 1, 2 with d = 4 and base n = 100 as the notes use, and the paper's n = 10000."""
    values = {"PE": positional_encoding(3, 4, base=100.0), "PE_10000": positional_encoding(3, 4)}
    notes = _arrays({"PE": [[0, 1, 0, 1], [0.017, 0.999, 0.0017, 0.999], [0.039, 0.999, 0.0008, 0.0006]]})
    remarks = (
        "Angles are radians: sin 1 = 0.841 and cos 1 = 0.540; the notes' 0.017 and 0.999 are sin 1° and cos 1° "
        "(a calculator in degree mode), likewise 0.0017 = sin 0.1°.",
        "Position 2: sin 2 = 0.909 (sin 2° would be 0.035, not 0.039), cos 2 = −0.416, sin 0.2 = 0.199 and "
        "cos 0.2 = 0.980 (the notes divide by 1.73 where 100²ᐟ⁴ = 10 belongs, and give 0.0006).",
        "The notes use n = 100 for a small example; the Transformer paper uses n = 10000 (PE_10000).",
    )
    return SeedExample("Sinusoidal positional encoding", values, notes, remarks)
