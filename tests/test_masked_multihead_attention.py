"""The masked multi-head attention worksheet (symdl/examples/masked_multihead_attention.toml).

Expected numbers come from PyTorch's nn.MultiheadAttention (float64, a causal boolean
``attn_mask``, the worksheet's weights through ``load_state_dict``) and from one head
worked here in NumPy, forward and backward, without symdl. The causal mask is checked as
a property: the weights above the diagonal are exactly 0, no gradient reaches the masked
scores, and a later token never changes an earlier token's output.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symdl import examples as bundled
from symdl.cli import main
from symdl.nn.attention import MultiheadAttention
from symdl.tensor import registry as tensor_ops
from symdl.tensor.network import Network
from symdl.worksheet import ProblemError, check, load, loads, solve
from symdl.worksheet.variants import variants

FILE = bundled.path("masked_multihead_attention")
PROBLEM = load(FILE)
SOLUTION = solve(PROBLEM)
VALUES = {key: q.value for key, q in SOLUTION.quantities.items()}
LEAVES = {**PROBLEM.spec["inputs"], **PROBLEM.spec["parameters"]}
ABOVE = np.triu(np.ones((3, 3), dtype=bool), k=1)  # token i may not look at token j > i


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-14)


def test_the_file_is_the_size_its_notes_say():
    assert LEAVES["X"].shape == (3, 4) and LEAVES["W_Q"].shape == (4, 4)
    assert "3 tokens, model width d = 4, 2 heads" in PROBLEM.notes
    assert VALUES["A1"].shape == VALUES["A2"].shape == (3, 3)


# --- PyTorch ---------------------------------------------------------------------------------------
def torch_attention(leaves: dict):
    """nn.MultiheadAttention on the worksheet's numbers: its loss, output, per-head weights, and the
    gradients in the worksheet's layout (Q = X W_Q, so PyTorch's in_proj_weight holds W_Qᵀ)."""
    torch = pytest.importorskip("torch")
    mha = torch.nn.MultiheadAttention(4, 2, bias=False, dtype=torch.float64)
    state = {"in_proj_weight": torch.tensor(np.vstack([leaves[w].T for w in ("W_Q", "W_K", "W_V")])),
             "out_proj.weight": torch.tensor(leaves["W_O"].T)}
    mha.load_state_dict(state)
    x = torch.tensor(leaves["X"], requires_grad=True)
    target = torch.tensor(leaves["T"], requires_grad=True)
    mask = torch.tensor(np.triu(np.ones((3, 3), dtype=bool), k=1))
    y, weights = mha(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    loss = 0.5 * ((y - target) ** 2).sum()
    loss.backward()
    w_in = mha.in_proj_weight.grad.numpy()
    grads = {"X": x.grad.numpy(), "T": target.grad.numpy(), "W_O": mha.out_proj.weight.grad.numpy().T,
             **{w: w_in[4 * i:4 * (i + 1)].T for i, w in enumerate(("W_Q", "W_K", "W_V"))}}
    return loss.item(), y.detach().numpy(), weights.detach().numpy(), grads, state


def test_output_weights_and_loss_match_torch():
    loss, y, weights, _, _ = torch_attention(LEAVES)
    close(VALUES["Y"], y)
    close(VALUES["A1"], weights[0])
    close(VALUES["A2"], weights[1])
    assert float(VALUES["L"]) == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("leaf", ["X", "T", "W_Q", "W_K", "W_V", "W_O"])
def test_every_gradient_matches_torch(leaf):
    _, _, _, grads, _ = torch_attention(LEAVES)
    close(VALUES[f"dL/d{leaf}"], grads[leaf])


def test_symdl_multihead_attention_from_the_same_state_dict_agrees():
    """The layer class, loaded from the very state_dict PyTorch loaded, gives the worksheet's output."""
    _, y, _, _, state = torch_attention(LEAVES)
    layer = MultiheadAttention(4, 2, causal=True, bias=False).load_state_dict(state)
    net = Network()
    out = layer(net, LEAVES["X"])
    close(net.value(out), y)


# --- one head by hand --------------------------------------------------------------------------------
def head_by_hand(leaves: dict, head: int):
    """Head ``head`` (columns 2h, 2h + 1) forward and backward in NumPy, from ∂L/∂Y = Y − T."""
    x, cols = leaves["X"], slice(2 * head, 2 * head + 2)
    q, k, v = (x @ leaves[w][:, cols] for w in ("W_Q", "W_K", "W_V"))
    scores = q @ k.T / math.sqrt(2)
    scores[ABOVE] = -np.inf
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    grad_h = (VALUES["Y"] - leaves["T"]) @ leaves["W_O"].T  # ∂L/∂H, both heads
    grad_head = grad_h[:, cols]
    grad_weights = grad_head @ v.T
    grad_scores = weights * (grad_weights - (weights * grad_weights).sum(axis=1, keepdims=True))
    raw = grad_scores / math.sqrt(2)  # ∂L/∂(Q_h K_hᵀ)
    return {"weights": weights, "out": weights @ v, "grad_weights": grad_weights, "grad_scores": grad_scores,
            "grad_q": raw @ k, "grad_k": raw.T @ q, "grad_v": weights.T @ grad_head}


@pytest.mark.parametrize("head", [0, 1])
def test_a_head_worked_in_numpy(head):
    n = head + 1
    hand = head_by_hand(LEAVES, head)
    close(VALUES[f"A{n}"], hand["weights"])
    close(VALUES[f"H{n}"], hand["out"])
    close(VALUES[f"dL/dA{n}"], hand["grad_weights"])
    close(VALUES[f"dL/dM{n}"], hand["grad_scores"])
    close(VALUES[f"dL/dQ{n}"], hand["grad_q"])
    close(VALUES[f"dL/dK{n}"], hand["grad_k"])
    close(VALUES[f"dL/dV{n}"], hand["grad_v"])


@pytest.mark.parametrize("n", [1, 2])
def test_masked_weights_and_their_gradients_are_exactly_zero(n):
    assert np.all(VALUES[f"A{n}"][ABOVE] == 0.0)
    assert np.all(VALUES[f"M{n}"][ABOVE] == -np.inf)
    assert np.all(VALUES[f"dL/dM{n}"][ABOVE] == 0.0)  # the softmax sends no gradient to a weight of 0 …
    assert np.all(VALUES[f"dL/dZ{n}"][ABOVE] == 0.0)  # … and the mask none past itself
    assert np.all(VALUES[f"dL/dS{n}"][ABOVE] == 0.0)
    close(VALUES[f"A{n}"].sum(axis=1), np.ones(3))


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_later_token_never_changes_an_earlier_output(seed):
    """Causality, for any numbers: changing token 3 leaves rows 1 and 2 of Y as they were, and the
    masked entries stay exactly 0 with no gradient."""
    (variant,) = variants(PROBLEM, seed=seed)
    drawn = variant.solution.quantities
    moved = {name: np.array(value) for name, value in variant.given.items()}
    moved["X"][2] += 0.5
    spec = dict(variant.problem.spec)
    spec["inputs"] = {name: moved.get(name, value) for name, value in spec["inputs"].items()}
    spec["parameters"] = {name: moved.get(name, value) for name, value in spec["parameters"].items()}
    changed = solve(dataclasses.replace(variant.problem, spec=spec)).quantities
    close(changed["Y"].value[:2], drawn["Y"].value[:2])
    assert not np.allclose(changed["Y"].value[2], drawn["Y"].value[2])
    for n in (1, 2):
        assert np.all(drawn[f"A{n}"].value[ABOVE] == 0.0) and np.all(drawn[f"dL/dZ{n}"].value[ABOVE] == 0.0)


# --- checking a student's work -----------------------------------------------------------------------
def test_the_students_slips_are_found_and_named():
    v = {verdict.claim: verdict for verdict in check(SOLUTION).verdicts}
    assert v["Q"].right and v["S1"].right
    assert v["Z1"].cause == "step" and "Z1 = √2·S1/2 was left out" in v["Z1"].slip  # no 1/√d_k
    assert v["M1"].cause == "carried" and v["M1"].origins == ("Z1",)  # its −inf entries agree with −inf
    assert [e.split(":")[0] for e in v["M1"].wrong_entries] == ["entry (1, 1)", "entry (2, 1)", "entry (2, 2)",
                                                          "entry (3, 1)", "entry (3, 2)", "entry (3, 3)"]
    assert v["A1"].cause == "carried" and v["A1"].origins == ("Z1",)
    assert v["A2"].cause == "step" and "M2 = Z2 + [0 −∞ −∞; 0 0 −∞; 0 0 0] was left out" in v["A2"].slip  # the causal mask
    assert v["H2"].cause == "carried" and v["H2"].origins == ("A2",)


def test_the_claims_are_what_the_slips_give():
    """The student's numbers are the hand computation with the step left out (to their decimals)."""
    x = LEAVES["X"]
    q, k = x @ LEAVES["W_Q"], x @ LEAVES["W_K"]
    unscaled = q[:, :2] @ k[:, :2].T
    np.testing.assert_allclose(PROBLEM.claims["Z1"], unscaled, atol=5e-5)
    scores = q[:, 2:] @ k[:, 2:].T / math.sqrt(2)
    unmasked = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(PROBLEM.claims["A2"], unmasked, atol=5e-4)


def test_check_exits_1_and_json_is_strict(capsys):
    assert main(["check", str(FILE)]) == 1
    assert "5 of 7 claims wrong" in capsys.readouterr().out
    assert main(["solve", str(FILE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"JSON has {name}"))
    masked = data["quantities"]["M1"]["value"]
    assert masked[0][1] == "-inf" and float(masked[0][1]) == -np.inf and masked[0][0] == pytest.approx(0.651952, abs=1e-6)
    # the mask as a textbook states it: Z₁ + M, M 0 where token i may look at token j (j ≤ i) and −∞ above
    assert data["quantities"]["M1"]["formula"] == "Z1 + [0 −∞ −∞; 0 0 −∞; 0 0 0]"


def test_exercise_sheets_compile(tmp_path):
    assert main(["exercise", str(FILE), "--seed", "7", "--count", "2", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "masked_multihead_attention-seed7-exercises.json").read_text())
    assert [v["number"] for v in data["variants"]] == [1, 2]
    assert set(data["variants"][0]["given"]) == {"X", "T", "W_Q", "W_K", "W_V", "W_O"}  # the sheet states them all
    first = data["variants"][0]
    hand = head_by_hand({k: np.array(v) for k, v in first["given"].items()}, 1)
    close(first["answers"]["A2"], hand["weights"])
    if shutil.which("pdflatex") is None:
        pytest.skip("no TeX installation: install Debian's texlive-latex-base, texlive-latex-recommended, texlive-pictures")
    for sheet in ("questions", "answers"):
        tex = f"masked_multihead_attention-seed7-{sheet}.tex"
        run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", tex],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert (tmp_path / tex).with_suffix(".pdf").exists(), run.stdout[-2000:]


# --- the pieces: chunk, boolean masks, a left-out step ----------------------------------------------------
SMALL = '''title = "t"
[network]
output = "L"
[network.inputs]
x = [[1.0, -2.0, 0.5, 3.0]]
[[network.ops]]
name = "h"
op = "chunk"
inputs = ["x"]
params = {{ chunks = 2, index = 1, axis = 1 }}
[[network.ops]]
name = "m"
op = "mask"
inputs = ["h"]
params = {{ mask = {mask} }}
[[network.ops]]
name = "L"
op = "logsumexp"
inputs = ["m"]
'''


def test_chunk_and_a_boolean_mask_in_a_problem_file():
    s = solve(loads(SMALL.format(mask="[[false, true]]"))).quantities
    close(s["h"].value, [[0.5, 3.0]])
    assert s["m"].value[0, 1] == -np.inf and s["L"].value.item() == pytest.approx(0.5, rel=1e-15)
    close(s["dL/dx"].value, [[0, 0, 1, 0]])  # logsumexp of one entry: all of it to x[0, 2]


@pytest.mark.parametrize("mask, words", [("[[false, 1]]", "numbers, or booleans"),
                                         ("[[false, true], [true]]", "not rectangular")])
def test_a_bad_mask_is_one_clear_error(mask, words, tmp_path, capsys):
    with pytest.raises(ProblemError, match=words):
        loads(SMALL.format(mask=mask), "bad.toml")
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.format(mask=mask))
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("params, words", [("{ chunks = 3, index = 0, axis = 1 }", "do not divide"),
                                           ("{ chunks = 2, index = 2, axis = 1 }", "not one of the 2 blocks"),
                                           ("{ chunks = 2.0, index = 0, axis = 1 }", "whole numbers"),
                                           ("{ chunks = 2, index = 0, axis = 2 }", "not an axis of shape")])
def test_a_bad_chunk_is_one_clear_error(params, words):
    text = SMALL.format(mask="[[false, true]]").replace("{ chunks = 2, index = 1, axis = 1 }", params)
    with pytest.raises(ProblemError, match=words):
        solve(loads(text, "bad.toml"))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 1), st.integers(0, 2**32 - 1))
def test_chunk_vjp_is_its_adjoint(chunks, width, axis, seed):
    """chunk is linear, so ⟨vjp(g), x⟩ = ⟨g, chunk(x)⟩ for every x and g, and the blocks put back
    together are x (np.split, an independent implementation)."""
    op = tensor_ops.get("chunk")
    rng = np.random.default_rng(seed)
    shape = [2, 3]
    shape[axis] = chunks * width
    x = rng.normal(size=shape)
    blocks = [op.forward(x, chunks=chunks, index=i, axis=axis) for i in range(chunks)]
    for block, expected in zip(blocks, np.split(x, chunks, axis=axis)):
        close(block, expected)
    g = rng.normal(size=blocks[0].shape)
    index = int(rng.integers(chunks))
    (back,) = op.vjp(g, blocks[index], x, chunks=chunks, index=index, axis=axis)
    assert np.sum(back * x) == pytest.approx(np.sum(g * blocks[index]), rel=1e-12, abs=1e-12)


def test_a_claim_may_be_minus_infinity_but_never_nan():
    """A masked score is −∞, and a student may write it so; −∞ agrees only with −∞."""
    text = SMALL.format(mask="[[false, true]]") + "[claims]\nm = [[0.5, CLAIMED]]\n"
    (verdict,) = check(solve(loads(text.replace("CLAIMED", "-inf")))).verdicts
    assert verdict.right
    (verdict,) = check(solve(loads(text.replace("CLAIMED", "inf")))).verdicts
    assert not verdict.right and verdict.wrong_entries == ("entry (1, 2): inf (correct -inf)",)
    with pytest.raises(ProblemError, match="finite or ±inf"):
        loads(text.replace("CLAIMED", "nan"))
    with pytest.raises(ProblemError, match="must be finite"):
        loads(SMALL.format(mask="[[false, true]]").replace("0.5, 3.0", "0.5, inf"))  # data stays finite


def test_a_left_out_step_is_named_anywhere():
    """The same slip outside attention: y = exp(2x) claimed as exp(x), the scale forgotten."""
    text = ('title = "t"\n[network]\n[network.inputs]\nx = [0.5, -1.0]\n'
            '[[network.ops]]\nname = "z"\nop = "scale"\ninputs = ["x"]\nparams = { c = 2 }\n'
            '[[network.ops]]\nname = "y"\nop = "exp"\ninputs = ["z"]\n'
            f'[claims]\ny = [{math.exp(0.5):.4f}, {math.exp(-1.0):.4f}]\n')
    (verdict,) = check(solve(loads(text))).verdicts
    assert verdict.cause == "step" and "z = 2·x was left out" in verdict.slip
