"""The seed notes' sequence-model worksheets: RNN, LSTM, Bahdanau attention, self-attention, positional encoding.

Every expected number is computed here with plain NumPy (np.tanh, a hand-written
softmax and sigmoid, the LSTM equations), never read back from symdl. The
grading tests pin down which of the student's claims are wrong, whether each is
a wrong step or an error carried forward, and — where the grader can name the
slip — a word of it.
"""

from __future__ import annotations


import numpy as np
import pytest

from symdl import examples as bundled
from symdl.cli import main
from symdl.worksheet import check, load, loads, solve

EXAMPLES = bundled.folder()
FILES = ["rnn.toml", "lstm.toml", "bahdanau_attention.toml", "self_attention.toml", "positional_encoding.toml"]


def quantities(name: str) -> dict:
    return {key: q.value for key, q in solve(load(EXAMPLES / name)).quantities.items()}


def verdicts(name: str) -> dict:
    return {v.claim: v for v in check(solve(load(EXAMPLES / name))).verdicts}


def softmax(x):
    e = np.exp(np.asarray(x, dtype=float) - np.max(x))
    return e / e.sum()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-14)


# --- the data of the notes ---------------------------------------------------------------------------
W_XH = np.array([[0.5, -0.3], [0.8, 0.2], [0.1, 0.9]])
W_HH = np.array([[0.1, 0.4, 0.0], [-0.2, 0.3, 0.2], [0.05, -0.1, 0.2]])
W_YH = np.array([[1.0, -1.0, 0.5], [0.5, 0.5, -0.5]])
X1, X2 = np.array([1.0, 2.0]), np.array([-1.0, 1.0])

LSTM_X, LSTM_H0 = np.array([0.5, -0.1]), np.array([0.0, 0.1])
LSTM_W = {
    "hi": [[0.1, 0.2], [0.2, 0.05]], "xi": [[0.5, -0.3], [0.4, 0.1]],
    "hf": [[-0.4, 0.2], [0.3, 0.3]], "xf": [[0.0, 0.0], [0.0, 0.0]],
    "hg": [[0.2, 0.1], [0.1, 0.05]], "xg": [[-0.5, 0.4], [0.2, -0.3]],
    "ho": [[0.15, 0.05], [0.1, -0.2]], "xo": [[0.3, 0.25], [-0.2, 0.2]],
}
LSTM_W = {k: np.array(v) for k, v in LSTM_W.items()}

ENC = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 0.0]])  # h₁, h₂, h₃ as rows
DEC = np.array([1.0, 0.0, 1.0])  # s_{t−1}

Q = np.array([[0.212, 0.04, 0.63, 0.36], [0.1, 0.14, 0.86, 0.77]])
K = np.array([[0.31, 0.84, 0.963, 0.57], [0.45, 0.99, 0.73, 0.58]])
V = np.array([[0.36, 0.83, 0.1, 0.38], [0.31, 0.36, 0.19, 0.72]])


# --- every file solves, and prints -------------------------------------------------------------------
@pytest.mark.parametrize("name", FILES)
def test_each_file_solves_and_check_exits_1(name, capsys):
    solution = solve(load(EXAMPLES / name))
    assert solution.quantities
    assert main(["check", str(EXAMPLES / name)]) == 1  # every one of these has slips
    assert "claims wrong" in capsys.readouterr().out


def test_the_files_use_the_notes_data_as_seed_sequence_reads_it():
    """Two transcriptions of the same notes must agree: symdl.examples.seed_sequence and these files."""
    from symdl.examples import seed_sequence as seed

    rnn = load(EXAMPLES / "rnn.toml").spec
    for name in ("W_xh", "W_hh", "W_yh"):
        close(rnn["parameters"][name], seed.RNN_WEIGHTS[name])
    close(rnn["inputs"]["x1"], seed.RNN_INPUTS["x1"])
    close(rnn["inputs"]["x2"], seed.RNN_INPUTS["x2"])
    lstm = load(EXAMPLES / "lstm.toml").spec
    for gate in "igo":
        close(lstm["parameters"][f"W_x{gate}"], seed.LSTM_WEIGHTS["x"][gate])
    for gate in "ifgo":
        close(lstm["parameters"][f"W_h{gate}"], seed.LSTM_WEIGHTS["h"][gate])
    close(lstm["inputs"]["x"], seed.LSTM_INPUTS["x1"])
    close(lstm["inputs"]["h0"], seed.LSTM_INPUTS["h0"])
    attention = load(EXAMPLES / "bahdanau_attention.toml").spec["inputs"]
    close(attention["H"], seed.BAHDANAU["h"])
    close(attention["s"], seed.BAHDANAU["s"][0])
    self_attention = load(EXAMPLES / "self_attention.toml").spec["inputs"]
    close(np.stack([self_attention["q1"], self_attention["q2"]]), seed.THINKING_MACHINES["Q"])
    close(self_attention["K"], seed.THINKING_MACHINES["K"])
    close(self_attention["V"], seed.THINKING_MACHINES["V"])


# --- RNN ---------------------------------------------------------------------------------------------
def test_rnn_numbers_by_numpy():
    s = quantities("rnn.toml")
    z1 = W_HH @ np.zeros(3) + W_XH @ X1
    h1 = np.tanh(z1)
    z2 = W_HH @ h1 + W_XH @ X2
    h2 = np.tanh(z2)
    close(s["P"], W_YH @ W_HH)
    close(s["z_x1"], [0.5 - 0.6, 0.8 + 0.4, 0.1 + 1.8])
    close(s["z1"], z1)
    close(s["h1"], h1)
    close(s["y1"], W_YH @ h1)
    close(s["z_h2"], W_HH @ h1)
    close(s["z_x2"], [-0.8, -0.6, 0.8])
    close(s["z2"], z2)
    close(s["h2"], h2)
    close(s["y2"], W_YH @ h2)
    close(s["dh1/dz1"], np.diag(1 - h1**2))
    # the numbers the notes' slips are measured against
    assert np.round(h1, 3).tolist() == [-0.1, 0.834, 0.956]
    assert np.round(W_YH @ h1, 3).tolist() == [-0.455, -0.111]
    assert np.round(h2, 3).tolist() == [-0.443, -0.138, 0.718]


RNN_EXPECTED = {  # claim: None if right, else (cause, a word of the slip or None, origin or None)
    "z_h1": None,
    "P": ("step", "left out", None),  # three causes, entry by entry (tests/test_grading_causes.py)
    "z_x1": ("step", "inputs are right", None),  # 0.1 + 0.9·2 written 0.9
    "z1": ("carried", None, "z_x1"),
    "h1[0]": ("step", "sign is flipped", None),  # tanh(−0.1) = −0.0997 written +0.099
    "h1[1]": ("truncated", "not rounded: 0.834", None),  # 0.8337 written 0.833
    "h1[2]": ("carried", None, "z_x1"),  # tanh 0.9 = 0.716 is right for the notes' 0.9
    # the notes use −0.099 for h1[0]: y1₁ = −0.099 − 0.833 + 0.5·0.716 = −0.574, written −0.579, and
    # (W_hh h1)₁ = 0.1·(−0.099) + 0.4·0.833 = 0.3233, written 0.3221
    "y1": ("step", "gives -0.574 at entry 1", None),
    "z_h2": ("step", "gives 0.3233 at entry 1", None),
    "z_x2": ("step", "inputs are right", None),  # 0.8 written 0.3
    "z2": ("carried", None, None),
}


def test_rnn_a_sign_written_flipped_but_used_right_is_not_blamed_downstream():
    """The notes write tanh(−0.1) = −0.0997 as +0.099 but use −0.099, which is only truncated: y1₂ =
    0.5·(−0.099) + 0.5·0.833 − 0.5·0.716 = 0.009 differs from the truth through (h1)₃ = tanh 0.9 alone, the
    0.9 of z_x1 (0.1 + 0.9·2 = 1.9); so do (W_hh h1)₂ = −0.2·(−0.099) + 0.3·0.833 + 0.2·0.716 = 0.4129 and
    (W_hh h1)₃ = 0.05·(−0.099) − 0.1·0.833 + 0.2·0.716 = 0.055."""
    found = verdicts("rnn.toml")
    for claim, entries in (("y1", "entry 2 is"), ("z_h2", "entries 2 and 3 are")):
        assert found[claim].origins == ("z_x1",), found[claim].line()
        assert f"{entries} carried forward from z_x1." in found[claim].line()


# --- LSTM --------------------------------------------------------------------------------------------
def test_lstm_numbers_by_numpy():
    s = quantities("lstm.toml")
    w, x, h = LSTM_W, LSTM_X, LSTM_H0
    i = sigmoid(w["hi"] @ h + w["xi"] @ x)
    f = sigmoid(w["hf"] @ h + w["xf"] @ x)
    g = np.tanh(w["hg"] @ h + w["xg"] @ x)
    o = sigmoid(w["ho"] @ h + w["xo"] @ x)
    c1 = f * np.zeros(2) + i * g
    h1 = o * np.tanh(c1)
    close(s["z_hi"], [0.02, 0.005])
    close(s["z_xi"], [0.28, 0.19])
    close(s["z_i"], [0.30, 0.195])
    close(s["i"], i)
    close(s["f"], f)
    close(s["z_ho"], [0.005, -0.02])
    close(s["z_o"], [0.13, -0.14])
    close(s["o"], o)
    close(s["z_hg"], [0.01, 0.005])
    close(s["z_g"], [-0.28, 0.135])
    close(s["g"], g)
    close(s["c1"], c1)
    close(s["h1"], h1)
    close(s["di/dz_i"], np.diag(i * (1 - i)))
    assert np.round(i, 3).tolist() == [0.574, 0.549]
    assert np.round(o, 3).tolist() == [0.532, 0.465]
    assert np.round(g, 3).tolist() == [-0.273, 0.134]
    assert np.round(c1, 3).tolist() == [-0.157, 0.074]
    assert np.round(h1, 3).tolist() == [-0.083, 0.034]


LSTM_EXPECTED = {
    "z_hi": ("step", None, None),  # W_ho h used in place of W_hi h
    "z_xi": ("step", "sign", None),  # (−0.3)(−0.1) taken as −0.03
    "z_i": ("carried", None, "z_hi, z_xi"),  # both of its terms depart
    "i": ("carried", None, "z_hi, z_xi"),
    "z_ho": ("step", "decimal", None),  # −0.02 written −0.002
    "z_xo": None,
    "z_o": ("carried", None, "z_ho"),
    "o": ("step", None, None),  # σ(−0.122) = 0.470 written 0.43
    "z_hg": ("step", "sign", None),  # h_{t−1} flipped to [0, −0.1]
    "z_xg": None,
    "z_g": ("step", None, None),  # −0.01 − 0.29 written −0.35
    "g": ("step", None, None),  # tanh(−0.35) = −0.336 written −0.311
}


# --- Bahdanau attention ------------------------------------------------------------------------------
def test_bahdanau_numbers_by_numpy():
    s = quantities("bahdanau_attention.toml")
    scores = np.array([DEC @ h for h in ENC])
    alpha = softmax(scores)
    context = sum(a * h for a, h in zip(alpha, ENC))
    close(s["e_t"], [2, 1, 1])
    close(s["u_t"], np.exp(scores))
    close(s["Z"], np.exp(scores).sum())
    close(s["alpha"], alpha)
    close(s["c"], context)
    close(alpha, [np.e / (np.e + 2), 1 / (np.e + 2), 1 / (np.e + 2)])
    assert np.round(context, 3).tolist() == [0.788, 0.424, 0.788]


BAHDANAU_EXPECTED = {
    "e_t": None,
    "u_t": None,
    "Z": None,
    "alpha": ("truncated", "not rounded: 0.58 at entry 1", None),  # 0.5761 written 0.57
    "c[0]": ("step", None, None),  # the notes add the weights: 0.99
}


# --- self-attention ----------------------------------------------------------------------------------
def test_self_attention_numbers_by_numpy():
    s = quantities("self_attention.toml")
    # the whole layer at once: softmax(Q Kᵀ / √d_k) V, row by row
    scores = Q @ K.T / np.sqrt(4)
    weights = np.array([softmax(row) for row in scores])
    z = weights @ V
    for row in (0, 1):
        n = row + 1
        close(s[f"P{n}"], Q[row] * K)
        close(s[f"s{n}"], (Q @ K.T)[row])
        close(s[f"e{n}"], scores[row])
        close(s[f"w{n}"], weights[row])
        close(s[f"U{n}"], weights[row][:, None] * V)
        close(s[f"z{n}"], z[row])
    assert np.round(Q @ K.T, 5).tolist() == [[0.91121, 0.8037], [1.41568, 1.258]]
    assert np.round(weights, 4).tolist() == [[0.5134, 0.4866], [0.5197, 0.4803]]
    assert np.round(z, 4).tolist() == [[0.3357, 0.6013, 0.1438, 0.5454], [0.336, 0.6043, 0.1432, 0.5433]]


SELF_ATTENTION_EXPECTED = {
    "P1": ("step", "inputs are right", None),  # 0.60669 written 0.60664, 0.0954 → 0.0959, 0.0396 → 0.0376
    "s1": ("step", None, None),  # the notes' own products add to 0.8022, not 0.8017
    "e1": ("carried", None, "s1"),
    "w1": ("truncated", "not rounded: 0.49 at entry 2", None),  # softmax of their own scores: 0.486321 cut to 0.48
    "U1": ("step", None, None),  # 0.48 · 0.72 = 0.3456 written 0.84
    "z1": ("step", None, None),  # 0.5878 written 0.2628; 0.19 + 0.84 ≠ 0.53
    "P2": ("step", "inputs are right", None),  # 0.045 written 0.45, 0.1386 written 0.1316
    "s2": ("step", None, None),  # the notes' products add to 1.656, written 1.251
    "e2": ("step", None, None),  # 1.41155/2 is written 0.70775 (digits swapped), 0.6255 cut to 0.62
    "w2": ("step", None, None),  # 1.8/3.81 = 0.472, but e^0.62 = 1.86
    "U2[0,0]": ("carried", None, None),  # 0.52 · 0.36: four digits from a two-digit weight
    "U2[0,1]": ("carried", None, None),
    "U2[0,2]": None,
    "U2[0,3]": ("carried", None, None),
    "z2": ("step", None, None),  # v₂ weighted by 0.4, 0.128 written 0.0128
}


# --- positional encoding -----------------------------------------------------------------------------
def positional_encoding(positions, d=4, base=100.0):
    pe = np.zeros((len(positions), d))
    for row, pos in enumerate(positions):
        for i in range(d // 2):
            angle = pos / base ** (2 * i / d)
            pe[row, 2 * i], pe[row, 2 * i + 1] = np.sin(angle), np.cos(angle)
    return pe


def test_positional_encoding_numbers_by_numpy():
    s = quantities("positional_encoding.toml")
    pe = positional_encoding([0, 1, 2])
    for pos in range(3):
        for column in range(4):
            close(s[f"PE_{pos}_{column}"], pe[pos, column])
        close(s[f"theta_{pos}_1"], pos / 10)
    close(s["dPE_1_0/dpos1"], np.cos(1.0))
    close(s["dPE_1_1/dpos1"], -np.sin(1.0))
    # what the notes computed: a calculator in degree mode
    assert round(np.sin(np.radians(1)), 3) == 0.017 and round(np.sin(np.radians(0.1)), 4) == 0.0017


PE_EXPECTED = {
    **{f"PE_0_{column}": None for column in range(4)},
    "theta_1_1": None,
    "theta_2_1": None,
    "PE_1_0": ("step", "degrees", None),
    "PE_1_1": ("step", "degrees", None),
    "PE_1_2": ("step", "degrees", None),
    "PE_1_3": ("step", "degrees", None),
    "PE_2_0": ("step", None, None),  # 0.039: not even sin 2° = 0.035
    "PE_2_1": ("step", "degrees", None),
    "PE_2_2": ("step", None, None),
    "PE_2_3": ("step", None, None),
}


# --- grading -----------------------------------------------------------------------------------------
EXPECTED = {
    "rnn.toml": RNN_EXPECTED,
    "lstm.toml": LSTM_EXPECTED,
    "bahdanau_attention.toml": BAHDANAU_EXPECTED,
    "self_attention.toml": SELF_ATTENTION_EXPECTED,
    "positional_encoding.toml": PE_EXPECTED,
}


@pytest.mark.parametrize("name", FILES)
def test_check_flags_exactly_the_notes_slips(name):
    expected = EXPECTED[name]
    found = verdicts(name)
    assert sorted(found) == sorted(expected), "the file's claims changed"
    assert sorted(k for k, v in found.items() if not v.right) == sorted(k for k, v in expected.items() if v)
    for claim, want in expected.items():
        verdict = found[claim]
        if want is None:
            assert verdict.right, verdict.line()
            continue
        cause, word, origin = want
        assert verdict.cause == cause, verdict.line()
        if word:
            assert word in verdict.slip, verdict.line()
        if origin:
            assert ", ".join(verdict.origins) == origin, verdict.line()


def test_degrees_slip_is_named_in_the_report(capsys):
    assert main(["check", str(EXAMPLES / "positional_encoding.toml")]) == 1
    out = capsys.readouterr().out
    assert out.count("evaluated in degrees") == 5
    assert "sin was evaluated in degrees" in out and "cos was evaluated in degrees" in out


def test_right_claims_to_two_or_three_digits_are_accepted():
    """The correct numbers, rounded as a careful student would, all hold."""
    text = (EXAMPLES / "rnn.toml").read_text(encoding="utf-8")
    head, _, tail = text.partition("[claims]")
    variants = tail[tail.index("[variants]"):]
    h1 = np.tanh(W_XH @ X1)
    z2 = W_HH @ h1 + W_XH @ X2
    claims = {"z_x1": [-0.1, 1.2, 1.9], "h1": np.round(h1, 3), "y1": np.round(W_YH @ h1, 2),
              "z2": np.round(z2, 3), "h2": np.round(np.tanh(z2), 2), "P": np.round(W_YH @ W_HH, 3)}
    lines = [f"{key} = {np.asarray(value).tolist()}" for key, value in claims.items()]
    report = check(solve(loads(head + "[claims]\n" + "\n".join(lines) + "\n\n" + variants, "rnn_right.toml")))
    assert len(report.verdicts) == len(claims) and not report.wrong, str(report)
