"""Attention: the seed's Bahdanau, "Thinking Machines" and positional-encoding numbers against
NumPy written here, gradients through the softmax against central finite differences, the
causal mask, large scores, and PyTorch when installed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symdl.nn.attention import (MultiheadAttention, additive_alignment, attend, causal_mask, dot_alignment,
                                positional_encoding, scaled_dot_product_attention, self_attention)
from symdl.examples.seed_sequence import seed_bahdanau, seed_positional_encoding, seed_self_attention
from symdl.tensor.network import Network

from network_checks import finite_difference_check

seeds = st.integers(0, 2**32 - 1)


def softmax_rows(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def weighted(net: Network, node: str, r: np.ndarray) -> str:
    """Σ R ⊙ node: a scalar that depends on every entry of ``node``."""
    return net.apply("sum", net.apply("hadamard", node, net.constant("R", r)))


# --- Bahdanau: the seed's h1, h2, h3 and s ---------------------------------------------------------

H_SEED = np.array([[1.0, 0, 1], [0, 1, 1], [1, 1, 0]])
S_SEED = np.array([1.0, 0, 1])


def test_seed_bahdanau_matches_numpy():
    scores = H_SEED @ S_SEED
    alpha = np.exp(scores) / np.exp(scores).sum()
    values = seed_bahdanau().values
    np.testing.assert_allclose(values["e"], scores, atol=1e-12)
    np.testing.assert_allclose(values["α"], alpha, atol=1e-12)
    np.testing.assert_allclose(values["c"], alpha @ H_SEED, atol=1e-12)
    additive = np.tanh(S_SEED + H_SEED).sum(axis=1)  # W_s = W_h = I, v = 1
    np.testing.assert_allclose(values["e_add"], additive, atol=1e-12)
    np.testing.assert_allclose(values["c_add"], softmax_rows(additive) @ H_SEED, atol=1e-12)


def test_seed_bahdanau_slips_named():
    values = seed_bahdanau().values
    # Notes: α = [0.57, 0.21, 0.21], c_t = 0.57 + 0.21 + 0.21 = 0.99 (a sum of weights, always 1).
    # Right: α = [0.5761, 0.2119, 0.2119] and c_t = Σ α_i h_i, a vector [0.788, 0.424, 0.788].
    assert values["α"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(values["α"], [0.576117, 0.211942, 0.211942], atol=1e-6)
    assert values["c"].shape == (3,)
    np.testing.assert_allclose(values["c"], [0.788058, 0.423883, 0.788058], atol=1e-6)


@settings(max_examples=25)
@given(seeds, st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
def test_additive_attention_values_and_gradients(seed, steps, d_s, d_h, d_a):
    rng = np.random.default_rng(seed)
    leaves = {"s": rng.normal(size=(1, d_s)), "h": rng.normal(size=(steps, d_h)),
              "W_s": rng.normal(size=(d_a, d_s)), "W_h": rng.normal(size=(d_a, d_h)), "v": rng.normal(size=(d_a, 1))}
    r = rng.normal(size=(1, d_h))

    def build(x):
        net = Network()
        for leaf in ("s", "h"):
            net.input(leaf, x[leaf])
        for w in ("W_s", "W_h", "v"):
            net.parameter(w, x[w])
        _, context = attend(net, additive_alignment(net, "s", "h", "W_s", "W_h", "v"), "h")
        return net, weighted(net, context, r)

    net, _ = build(leaves)
    e = np.array([leaves["v"].ravel() @ np.tanh(leaves["W_s"] @ leaves["s"].ravel() + leaves["W_h"] @ h_i)
                  for h_i in leaves["h"]])
    np.testing.assert_allclose(net.value("c").ravel(), softmax_rows(e) @ leaves["h"], atol=1e-12)
    finite_difference_check(build, leaves)


@settings(max_examples=25)
@given(seeds, st.integers(1, 4), st.integers(1, 3))
def test_dot_attention_gradients(seed, steps, d):
    rng = np.random.default_rng(seed)
    leaves, r = {"s": rng.normal(size=(1, d)), "h": rng.normal(size=(steps, d))}, rng.normal(size=(1, d))

    def build(x):
        net = Network()
        _, context = attend(net, dot_alignment(net, x["s"], x["h"]), "h")
        return net, weighted(net, context, r)

    finite_difference_check(build, leaves)


# --- "Thinking Machines" -------------------------------------------------------------------------------

Q_SEED = np.array([[0.212, 0.04, 0.63, 0.36], [0.1, 0.14, 0.86, 0.77]])
K_SEED = np.array([[0.31, 0.84, 0.963, 0.57], [0.45, 0.99, 0.73, 0.58]])
V_SEED = np.array([[0.36, 0.83, 0.1, 0.38], [0.31, 0.36, 0.19, 0.72]])


def test_seed_self_attention_matches_numpy():
    scores = Q_SEED @ K_SEED.T / math.sqrt(4)
    weights = softmax_rows(scores)
    values = seed_self_attention().values
    np.testing.assert_allclose(values["scores"], scores, atol=1e-12)
    np.testing.assert_allclose(values["weights"], weights, atol=1e-12)
    np.testing.assert_allclose(values["z"], weights @ V_SEED, atol=1e-12)


def test_seed_self_attention_slips_named():
    values = seed_self_attention().values
    # Notes: q1·k2 ("q1·v1") = 0.8017; right: 0.8037.  q2·k1 = 1.41155, q2·k2 = 1.251; right: 1.41568, 1.258.
    np.testing.assert_allclose(values["QKᵀ"], [[0.91121, 0.8037], [1.41568, 1.258]], atol=1e-10)
    # Notes: weights [0.5, 0.48] and [0.52, 0.472], rows not summing to 1; right: [0.5134, 0.4866], [0.5197, 0.4803].
    np.testing.assert_allclose(values["weights"].sum(axis=1), 1.0)
    np.testing.assert_allclose(values["weights"], [[0.513436, 0.486564], [0.519700, 0.480300]], atol=1e-6)
    # Notes: z1 = [0.328, 0.2628, 0.141, 0.53], z2 = [0.3112, 0.5756, 0.0128, 0.4856]; right:
    np.testing.assert_allclose(values["z"], [[0.335672, 0.601315, 0.143791, 0.545432],
                                             [0.335985, 0.604259, 0.143227, 0.543302]], atol=1e-6)


@settings(max_examples=25)
@given(seeds, st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.booleans())
def test_scaled_dot_product_attention_gradients(seed, length, source, d_k, d_v, masked):
    rng = np.random.default_rng(seed)
    leaves = {"Q": rng.normal(size=(length, d_k)), "K": rng.normal(size=(source, d_k)),
              "V": rng.normal(size=(source, d_v))}
    mask = causal_mask(length, source) if masked and source >= length else None
    r = rng.normal(size=(length, d_v))

    def build(x):
        net = Network()
        nodes = [net.input(k, x[k]) for k in "QKV"]
        return net, weighted(net, scaled_dot_product_attention(net, *nodes, mask=mask), r)

    net, _ = build(leaves)
    scores = leaves["Q"] @ leaves["K"].T / math.sqrt(d_k)
    expected = softmax_rows(scores if mask is None else np.where(mask, -np.inf, scores)) @ leaves["V"]
    np.testing.assert_allclose(net.value("attn"), expected, atol=1e-12)
    finite_difference_check(build, leaves)


@settings(max_examples=20)
@given(seeds, st.integers(1, 3), st.integers(1, 3), st.integers(1, 2))
def test_self_attention_gradients(seed, tokens, d_model, d_k):
    rng = np.random.default_rng(seed)
    leaves = {"X": rng.normal(size=(tokens, d_model)), "W_Q": rng.normal(size=(d_model, d_k)),
              "W_K": rng.normal(size=(d_model, d_k)), "W_V": rng.normal(size=(d_model, d_k))}
    r = rng.normal(size=(tokens, d_k))

    def build(x):
        net = Network()
        return net, weighted(net, self_attention(net, x["X"], x["W_Q"], x["W_K"], x["W_V"]), r)

    finite_difference_check(build, leaves)


def test_attention_with_scores_of_a_thousand_is_finite_and_silent():
    q = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]) * math.sqrt(2)  # scores reach ±1e3 after /√2 … and beyond
    v = np.arange(6.0).reshape(3, 2)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        net = Network()
        out = scaled_dot_product_attention(net, net.input("Q", q), net.input("K", k), net.input("V", v),
                                           mask=causal_mask(3))
        grads = net.backward(net.apply("sum", out))
    assert np.abs(net.value("attn.scores")).max() >= 1e3
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    np.testing.assert_allclose(net.value(out)[0], v[0])  # row 0 sees only itself


# --- positional encoding -------------------------------------------------------------------------------

@given(st.integers(1, 12), st.integers(1, 9), st.sampled_from([100.0, 10000.0]))
def test_positional_encoding_matches_the_formula(max_len, d_model, base):
    expected = np.array([[math.sin(pos / base ** (2 * (j // 2) / d_model)) if j % 2 == 0
                          else math.cos(pos / base ** (2 * (j // 2) / d_model))
                          for j in range(d_model)] for pos in range(max_len)])
    np.testing.assert_allclose(positional_encoding(max_len, d_model, base), expected, atol=1e-12)


def test_positional_offset_is_a_rotation():
    """[PE(p+k, 2i), PE(p+k, 2i+1)] is [PE(p, 2i), PE(p, 2i+1)] turned by the angle k·ω_i."""
    pe, k = positional_encoding(50, 8), 7
    for i in range(4):
        w = 10000 ** (-2 * i / 8)
        rotation = np.array([[math.cos(k * w), math.sin(k * w)], [-math.sin(k * w), math.cos(k * w)]])
        np.testing.assert_allclose(pe[k:, 2 * i:2 * i + 2], pe[:-k, 2 * i:2 * i + 2] @ rotation.T, atol=1e-12)


def test_seed_positional_encoding_slips_named():
    example = seed_positional_encoding()
    pe = example.values["PE"]  # d = 4, base 100 as the notes
    # Notes: P(1,0) = 0.017, P(1,1) = 0.999 — sin 1° and cos 1°, a calculator in degrees; right: sin 1, cos 1.
    assert example.notes["PE"][1, 0] == pytest.approx(math.sin(math.radians(1)), abs=5e-4)
    np.testing.assert_allclose(pe[1], [math.sin(1), math.cos(1), math.sin(0.1), math.cos(0.1)], atol=1e-12)
    # Notes: position 2 = [0.039, 0.999, 0.0008, 0.0006]; right: [sin 2, cos 2, sin 0.2, cos 0.2].
    np.testing.assert_allclose(pe[2], [0.909297, -0.416147, 0.198669, 0.980067], atol=1e-6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1])


# --- multi-head attention --------------------------------------------------------------------------------

def mha_reference(x, w_in, b_in, w_out, b_out, heads, causal, memory=None):
    """PyTorch's algorithm, written independently: project, split Q, K, V by columns, attend, concat, project."""
    length, e = x.shape
    d = e // heads
    memory = x if memory is None else memory
    q = x @ w_in[:e].T + b_in[:e]
    k, v = np.split(memory @ w_in[e:].T + b_in[e:], 2, axis=1)
    outs = []
    for j in range(heads):
        cols = slice(j * d, (j + 1) * d)
        s = q[:, cols] @ k[:, cols].T / math.sqrt(d)
        if causal:
            s = np.where(np.tri(length, len(memory), dtype=bool), s, -np.inf)
        outs.append(softmax_rows(s) @ v[:, cols])
    return np.hstack(outs) @ w_out.T + b_out


def mha_leaves(rng, length, heads, head_dim):
    e = heads * head_dim
    return {"X": rng.normal(size=(length, e)), "in_proj_weight": rng.normal(size=(3 * e, e)),
            "in_proj_bias": rng.normal(size=3 * e), "out_proj.weight": rng.normal(size=(e, e)),
            "out_proj.bias": rng.normal(size=e)}


def build_mha(x, heads, causal, r=None, bias=True, memory=None):
    layer = MultiheadAttention(x["X"].shape[1], heads, causal, bias=bias, in_proj_weight=x["in_proj_weight"],
                               in_proj_bias=x["in_proj_bias"], out_proj_weight=x["out_proj.weight"],
                               out_proj_bias=x["out_proj.bias"])
    net = Network()
    out = layer(net, x["X"], memory, memory)
    return layer, net, out if r is None else weighted(net, out, r)


@settings(max_examples=40)
@given(seeds, st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.integers(1, 4)))
def test_multihead_attention_matches_reference(seed, length, heads, head_dim, causal, bias, source):
    rng = np.random.default_rng(seed)
    x = mha_leaves(rng, length, heads, head_dim)
    memory = None if source is None else rng.normal(size=(source, heads * head_dim))  # cross-attention
    _, net, out = build_mha(x, heads, causal, bias=bias, memory=memory)
    e = heads * head_dim
    b_in, b_out = (x["in_proj_bias"], x["out_proj.bias"]) if bias else (np.zeros(3 * e), np.zeros(e))
    expected = mha_reference(x["X"], x["in_proj_weight"], b_in, x["out_proj.weight"], b_out, heads, causal, memory)
    np.testing.assert_allclose(net.value(out), expected, atol=1e-12)


@settings(max_examples=10)
@given(seeds, st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.booleans())
def test_multihead_attention_gradients(seed, length, heads, head_dim, causal):
    rng = np.random.default_rng(seed)
    leaves, r = mha_leaves(rng, length, heads, head_dim), rng.normal(size=(length, heads * head_dim))
    layer = build_mha(leaves, heads, causal)[0]

    def build(x):
        return build_mha(x, heads, causal, r)[1:]

    finite_difference_check(build, leaves, lambda net, g: layer.stacked_gradients(g) | {"X": g["mha.X"]})


@settings(max_examples=15)
@given(seeds, st.integers(2, 5), st.integers(1, 2), st.data())
def test_causal_mask_hides_the_future(seed, length, heads, data):
    t = data.draw(st.integers(0, length - 2))
    rng = np.random.default_rng(seed)
    x = mha_leaves(rng, length, heads, 2)
    r = np.zeros((length, 2 * heads))
    r[t] = rng.normal(size=2 * heads)  # the loss reads output row t only
    _, net, loss = build_mha(x, heads, True, r)
    grads = net.backward(loss)
    assert np.all(grads["mha.X"][t + 1:] == 0.0)  # exactly: no path from a later token to row t
    assert np.any(grads["mha.X"][: t + 1] != 0.0)
    changed = dict(x, X=x["X"].copy())
    changed["X"][t + 1:] = rng.normal(size=changed["X"][t + 1:].shape) * 10
    before, after = net.value("mha.out")[: t + 1], build_mha(changed, heads, True)[1].value("mha.out")[: t + 1]
    np.testing.assert_array_equal(before, after)


def test_multihead_attention_rejects_uneven_heads():
    with pytest.raises(ValueError):
        MultiheadAttention(5, 2)


# --- PyTorch, when installed -------------------------------------------------------------------------------

def test_scaled_dot_product_attention_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    net = Network()
    out = scaled_dot_product_attention(net, net.input("Q", q), net.input("K", k), net.input("V", v), mask=causal_mask(4))
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a)[None] for a in (q, k, v)), is_causal=True)[0]
    np.testing.assert_allclose(net.value(out), expected.numpy(), atol=1e-12)


def test_multihead_attention_matches_torch():
    torch = pytest.importorskip("torch")
    x = mha_leaves(np.random.default_rng(8), 4, 2, 3)
    layer, net, out = build_mha(x, 2, True)
    grads = layer.stacked_gradients(net.backward(net.apply("sum", out)))
    mha = torch.nn.MultiheadAttention(6, 2, dtype=torch.float64)
    with torch.no_grad():
        for name in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"):
            mha.get_parameter(name).copy_(torch.tensor(x[name]))
    xt = torch.tensor(x["X"])
    result, _ = mha(xt, xt, xt, attn_mask=torch.tensor(causal_mask(4)), need_weights=False)
    result.sum().backward()
    np.testing.assert_allclose(net.value(out), result.detach().numpy(), atol=1e-12)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, mha.get_parameter(name).grad.numpy(), atol=1e-12, err_msg=name)
