"""Attention: alignment scores, softmax weights, a weighted sum of values — as graph nodes.

Every function adds nodes to a :class:`~symdl.tensor.network.Network` and returns the
name of its output, so gradients through the softmax come from ``net.backward``.

Sequences are **rows** here, as in the Transformer paper and PyTorch: a sequence of T
vectors is a ``(T, d)`` matrix, one token per row (the recurrent cells use columns, as
the seed does there). Masks follow ``nn.MultiheadAttention``: ``True`` means *blocked*
(the score becomes −∞ before the softmax). PyTorch's ``F.scaled_dot_product_attention``
reads a boolean mask the other way round (``True`` = may attend).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from symdl.nn.naming import indexed, join_name, transposed
from symdl.nn.recurrent import ArrayLike, NodeOrValue, checked_weight
from symdl.nn.state_dict import LoadsStateDict
from symdl.tensor.network import Network

Array = np.ndarray


def _node(net: Network, value: NodeOrValue, name: str, kind: str) -> str:
    """A node name unchanged, or a value added as a (row-convention, 2-D) leaf called ``name``, read
    without its layer's prefix (``mha.X`` as X)."""
    if isinstance(value, str):
        return value
    return getattr(net, kind)(name, np.atleast_2d(np.asarray(value, dtype=float)), shown=name.rpartition(".")[2])


def _transpose(net: Network, node: str, name: str) -> str:
    """``node``ᵀ, read as its operand's name raised (sᵀ, W_hᵀ)."""
    return net.apply("transpose", node, name=name, shown=transposed(net.shown(node)))


# --- alignment and context (Bahdanau) -------------------------------------------------------------

def dot_alignment(net: Network, s: NodeOrValue, h: NodeOrValue, name: str = "e") -> str:
    """Scores e_i = sᵀ h_i (T × 1) for a decoder state ``s`` (1 × d) and encoder states ``h`` (T × d, one per row)."""
    s, h = _node(net, s, "s", "input"), _node(net, h, "h", "input")
    return net.apply("matmul", h, _transpose(net, s, f"{s}ᵀ"), name=name)


def additive_alignment(net: Network, s: NodeOrValue, h: NodeOrValue, w_s: NodeOrValue, w_h: NodeOrValue,
                       v: NodeOrValue, name: str = "e") -> str:
    """Bahdanau's scores e_i = vᵀ tanh(W_s s + W_h h_i): a one-hidden-layer net scores each pair.

    ``w_s`` is (a × d_s), ``w_h`` (a × d_h), ``v`` (a × 1); with rows this is tanh(s W_sᵀ + H W_hᵀ) v,
    the decoder term broadcast over the T encoder rows. Read as u_s = s W_sᵀ, u_h = H W_hᵀ,
    u = u_h + u_s and r = tanh(u), e = r v.
    """
    s, h = _node(net, s, "s", "input"), _node(net, h, "h", "input")
    w_s, w_h = _node(net, w_s, "W_s", "parameter"), _node(net, w_h, "W_h", "parameter")
    v = v if isinstance(v, str) else net.parameter("v", np.reshape(v, (-1, 1)))
    from_s = net.apply("matmul", s, _transpose(net, w_s, f"{w_s}ᵀ"), name=f"{name}.s", shown="u_s")
    from_h = net.apply("matmul", h, _transpose(net, w_h, f"{w_h}ᵀ"), name=f"{name}.h", shown="u_h")
    hidden = net.apply("tanh", net.apply("add", from_h, from_s, name=f"{name}.z", shown="u"), name=f"{name}.tanh",
                       shown="r")
    return net.apply("matmul", hidden, v, name=name)


def attend(net: Network, scores: str, h: str, name: str = "c") -> tuple[str, str]:
    """α = softmax(e) over the T positions and the context c = Σ α_i h_i (1 × d); returns (α, c). α carries
    the index of the context's name (α_add for c_add)."""
    alpha = net.apply("softmax", scores, axis=0, name=f"{name}.α", shown=indexed("alpha", name.partition("_")[2]))
    return alpha, net.apply("matmul", _transpose(net, alpha, f"{name}.αᵀ"), h, name=name)


# --- scaled dot-product and self-attention --------------------------------------------------------

def causal_mask(length: int, source: Optional[int] = None) -> Array:
    """True above the diagonal: query position t may attend only to key positions ≤ t."""
    return np.triu(np.ones((length, length if source is None else source), dtype=bool), k=1)


def scaled_dot_product_attention(net: Network, q: str, k: str, v: str, mask: Optional[Array] = None,
                                 name: str = "attn", index: str = "") -> str:
    """softmax(Q Kᵀ / √d_k) V for Q (L × d_k), K (S × d_k), V (S × d_v); the weights are node ``name.weights``,
    and ``mask`` (L × S, True = blocked) sends blocked scores to −∞ first.

    Dividing by √d_k keeps the scores' variance near 1 when q and k have unit-variance
    entries, so the softmax does not saturate as d_k grows. Read as P = Q Kᵀ, S = P/√d_k (S_M masked)
    and A = softmax(S), each with ``index`` (a head's number) as its subscript.
    """
    d_k = net.value(k).shape[-1]
    scores = net.apply("matmul", q, _transpose(net, k, f"{name}.Kᵀ"), name=f"{name}.QKᵀ", shown=indexed("P", index))
    scaled = net.apply("scale", scores, c=1 / math.sqrt(d_k), name=f"{name}.scores", shown=indexed("S", index))
    if mask is not None:
        scaled = net.apply("mask", scaled, mask=np.asarray(mask, dtype=bool), name=f"{name}.masked",
                           shown=indexed("S", "M" + index))
    weights = net.apply("softmax", scaled, axis=-1, name=f"{name}.weights", shown=indexed("A", index))
    return net.apply("matmul", weights, v, name=name, shown=indexed("Z", index) if index else None)


def self_attention(net: Network, x: NodeOrValue, w_q: NodeOrValue, w_k: NodeOrValue, w_v: NodeOrValue,
                   mask: Optional[Array] = None, name: str = "z") -> str:
    """Z = softmax(Q Kᵀ/√d_k) V with Q = X W_Q, K = X W_K, V = X W_V: every token asks every token.

    This is the paper's (and the notes') convention, ``W_Q`` of shape (d_model × d_k);
    PyTorch's layers store the transpose and compute X Wᵀ (see :class:`MultiheadAttention`).
    """
    x = _node(net, x, "X", "input")
    projected = [net.apply("matmul", x, _node(net, w, f"W_{role}", "parameter"), name=f"{name}.{role.lower()}",
                           shown=role) for role, w in (("Q", w_q), ("K", w_k), ("V", w_v))]
    return scaled_dot_product_attention(net, *projected, mask=mask, name=name)


# --- positional encoding --------------------------------------------------------------------------

def positional_encoding(max_len: int, d_model: int, base: float = 10000.0) -> Array:
    """PE(pos, 2i) = sin(pos / base^{2i/d}), PE(pos, 2i+1) = cos(pos / base^{2i/d}); shape (max_len, d_model).

    Each pair of columns is a clock at its own frequency, so PE(pos + k) is a rotation of
    PE(pos) — a linear function of it — which lets attention pick up relative offsets.
    Angles are in radians (the notes' numbers came from a calculator in degrees).
    """
    pos = np.arange(max_len, dtype=float)[:, None]
    rate = base ** (-(2 * np.arange((d_model + 1) // 2)) / d_model)
    angles = pos * rate
    pe = np.empty((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return pe


# --- multi-head attention -------------------------------------------------------------------------

class MultiheadAttention(LoadsStateDict):
    """PyTorch's ``nn.MultiheadAttention`` (one unbatched sequence, rows): heads attend in parallel.

    Head j sees Q_j = X W_qjᵀ + b_qj, where ``W_qj`` is rows j·d_h … (j+1)·d_h − 1 of the
    query block of ``in_proj_weight`` (3E × E, blocks q, k, v): splitting Q's columns into
    heads is the same as splitting the projection's rows, and this way each head's weights
    are a node of their own. The heads' outputs are concatenated and projected,
    ``out_proj`` (W_O, b_O). ``causal=True`` blocks attention to later positions.
    """

    STATE_KEYS = {"in_proj_weight": "in_proj_weight", "in_proj_bias": "in_proj_bias",
                  "out_proj.weight": "out_proj_weight", "out_proj.bias": "out_proj_bias"}

    def __init__(self, embed_dim: int, num_heads: int, causal: bool = False, *, bias: bool = True,
                 in_proj_weight: Optional[ArrayLike] = None, in_proj_bias: Optional[ArrayLike] = None,
                 out_proj_weight: Optional[ArrayLike] = None, out_proj_bias: Optional[ArrayLike] = None,
                 seed: int = 0) -> None:
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.causal = embed_dim, num_heads, causal
        self.head_dim = embed_dim // num_heads
        rng, e = np.random.default_rng(seed), embed_dim
        xavier = math.sqrt(6 / (e + 3 * e))  # PyTorch: xavier_uniform_ on in_proj_weight, zero biases
        bound = 1 / math.sqrt(e)  # and Linear's default U(−1/√E, 1/√E) on out_proj.weight
        self.in_proj_weight = checked_weight(in_proj_weight, (3 * e, e),
                                             rng.uniform(-xavier, xavier, (3 * e, e)))
        self.out_proj_weight = checked_weight(out_proj_weight, (e, e), rng.uniform(-bound, bound, (e, e)))
        self.in_proj_bias = checked_weight(in_proj_bias, (3 * e,), np.zeros(3 * e)) if bias else None
        self.out_proj_bias = checked_weight(out_proj_bias, (e,), np.zeros(e)) if bias else None

    def __call__(self, net: Network, query: NodeOrValue, key: Optional[NodeOrValue] = None,
                 value: Optional[NodeOrValue] = None, prefix: str = "mha") -> str:
        """The output node (L × E); key defaults to the query (self-attention), value to the key.

        Head j's weights are node ``{prefix}.head{j}.weights``.
        """
        q_in = _node(net, query, join_name(prefix, "X"), "input")
        k_in = q_in if key is None else _node(net, key, join_name(prefix, "K_in"), "input")
        v_in = k_in if value is None else _node(net, value, join_name(prefix, "V_in"), "input")
        length, source = net.value(q_in).shape[0], net.value(k_in).shape[0]
        mask = causal_mask(length, source) if self.causal else None
        heads = []
        for j in range(self.num_heads):
            head = join_name(prefix, f"head{j}")
            q, k, v = (self._project(net, x, role, j, head) for role, x in enumerate((q_in, k_in, v_in)))
            heads.append(scaled_dot_product_attention(net, q, k, v, mask=mask, name=head, index=str(j + 1)))
        joined = heads[0] if len(heads) == 1 else net.apply("concat", *heads, axis=1,
                                                            name=join_name(prefix, "concat"), shown="H")
        w_o = net.parameter(join_name(prefix, "W_o"), self.out_proj_weight, shown="W_o")
        b_o = None if self.out_proj_bias is None else net.parameter(join_name(prefix, "b_o"),
                                                                     self.out_proj_bias.reshape(1, -1), shown="b_o")
        return _linear_rows(net, joined, w_o, b_o, join_name(prefix, "out"), "Y")

    def stacked_gradients(self, grads: dict[str, Array], prefix: str = "mha") -> dict[str, Array]:
        """The per-head gradients put back in PyTorch's layout: ``in_proj_weight``, ``out_proj.weight``, biases."""
        heads = [join_name(prefix, f"head{j}") for j in range(self.num_heads)]
        stacked = {"in_proj_weight": np.vstack([grads[f"{h}.W_{r}"] for r in "qkv" for h in heads]),
                   "out_proj.weight": grads[join_name(prefix, "W_o")]}
        if self.in_proj_bias is not None:
            stacked["in_proj_bias"] = np.concatenate([grads[f"{h}.b_{r}"].ravel() for r in "qkv" for h in heads])
            stacked["out_proj.bias"] = grads[join_name(prefix, "b_o")].ravel()
        return stacked

    def _project(self, net: Network, x: str, role: int, head: int, name: str) -> str:
        """Head ``head``'s query (role 0), key (1) or value (2): its rows of ``in_proj_weight`` applied to x,
        read as Q_1 = X W_q1ᵀ + b_q1 for head 1's query."""
        letter, number = "qkv"[role], str(head + 1)
        start = role * self.embed_dim + head * self.head_dim
        rows = slice(start, start + self.head_dim)
        w = net.parameter(f"{name}.W_{letter}", self.in_proj_weight[rows], shown=f"W_{letter}{number}")
        b = None if self.in_proj_bias is None else net.parameter(f"{name}.b_{letter}",
                                                                  self.in_proj_bias[rows].reshape(1, -1),
                                                                  shown=f"b_{letter}{number}")
        return _linear_rows(net, x, w, b, f"{name}.{letter}", indexed(letter.upper(), number))


def _linear_rows(net: Network, x: str, w: str, b: Optional[str], name: str, shown: str) -> str:
    """PyTorch's ``Linear`` on rows: X Wᵀ (+ b broadcast over the rows), read as ``shown`` (its product
    before the bias as p_ and the same index, p_Q1 for Q_1)."""
    w_t = _transpose(net, w, f"{w}ᵀ")
    if b is None:
        return net.apply("matmul", x, w_t, name=name, shown=shown)
    product = net.apply("matmul", x, w_t, name=f"{name}.XWᵀ", shown="p_" + shown.replace("_", ""))
    return net.apply("add", product, b, name=name, shown=shown)

