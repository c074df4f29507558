"""Recurrent cells — ``RNNCell`` and ``LSTMCell`` — unrolled over time into one graph.

Unrolling writes every time step into the same :class:`~symdl.tensor.network.Network`
with the weights as *shared* parameter nodes, so backpropagation through time is
nothing special: ``net.backward`` sums each weight's gradient over the steps, exactly
as it sums over any fan-out.

Conventions (PyTorch's shapes, the seed's names; the seed's column vectors on request):

* by default (``layout="rows"``) a batch is PyTorch's stack of rows, ``x_t`` of shape
  ``(B, input_size)`` and ``h_t`` of shape ``(B, hidden_size)``, computed as
  ``x W_xhᵀ + b_xh``, with biases of shape ``(hidden,)`` (``(4·hidden,)`` for an LSTM);
* ``layout="columns"`` is the seed's form, the transpose of the same formula:
  ``x_t`` of shape ``(input_size, B)``, ``W_xh x_t + b_xh`` with biases ``(hidden, 1)``;
* ``weight_ih`` is ``(hidden, input)``, ``weight_hh`` is ``(hidden, hidden)``, and
  PyTorch keeps two biases, ``bias_ih`` and ``bias_hh``, where the seed has none;
* the graph's nodes are named as the seed notes write them, x for the input: ``W_xh`` is
  PyTorch's ``W_ih`` (``weight_ih``), ``W_hh`` its ``weight_hh``; an LSTM's ``W_xi``, ``W_xf``,
  ``W_xg``, ``W_xo`` are PyTorch's ``W_ii``, ``W_if``, ``W_ig``, ``W_io`` (rows 0:H, H:2H, 2H:3H,
  3H:4H of ``weight_ih``), so the gallery's pages and the worksheets use one naming;
* the seed's output layer ``y_t = W_yh h_t`` is not part of a PyTorch cell (there it is a ``Linear``).
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence, Union

import numpy as np

from symdl.nn.naming import indexed, join_name, transposed
from symdl.nn.state_dict import LoadsStateDict
from symdl.tensor.network import Network

Array = np.ndarray
ArrayLike = Union[Array, Sequence]
NodeOrValue = Union[str, ArrayLike]

NONLINEARITIES = ("tanh", "relu")
GATES = ("i", "f", "g", "o")  # PyTorch's row order inside LSTMCell.weight_ih / weight_hh
GATE_ACTIVATION = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"}
LAYOUTS = ("rows", "columns")  # PyTorch's (B, features), or the seed's (features, B)


def _batch_shaped(value: NodeOrValue, layout: str) -> Array:
    """A 1-D vector becomes one row (B = 1) or the column the seed writes; 2-D arrays pass unchanged."""
    array = np.asarray(value, dtype=float)
    if array.ndim != 1:
        return array
    return array.reshape(1, -1) if layout == "rows" else array.reshape(-1, 1)


def as_node(net: Network, value: NodeOrValue, name: str, kind: str = "input", layout: str = "columns",
            shown: Optional[str] = None) -> str:
    """A node name unchanged, or a value added to ``net`` as an input (or parameter) called ``name``,
    read as ``shown``."""
    if isinstance(value, str):
        return value
    return getattr(net, kind)(name, _batch_shaped(value, layout), shown=shown)


def checked_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    return layout


def _bias_shape(rows: int, layout: str) -> tuple[int, ...]:
    """PyTorch's 1-D bias for row batches; a column the graph broadcasts across the seed's columns."""
    return (rows,) if layout == "rows" else (rows, 1)


def checked_weight(given: Optional[ArrayLike], shape: tuple[int, ...], default: Array) -> Array:
    """A given weight reshaped to ``shape`` (refused if its size is wrong), else ``default``."""
    if given is None:
        return default
    array = np.asarray(given, dtype=float)
    if array.size != np.prod(shape):
        raise ValueError(f"expected a weight of shape {shape}, got {array.shape}")
    return array.reshape(shape)


def _input_nodes(net: Network, xs: Sequence[NodeOrValue], prefix: str, layout: str) -> tuple[list[str], int]:
    """The inputs as nodes ``x1…xT`` (names pass through) and the batch size B they carry."""
    nodes = [as_node(net, x, join_name(prefix, f"x{t}"), layout=layout, shown=indexed("x", str(t)))
             for t, x in enumerate(xs, start=1)]
    return nodes, net.value(nodes[0]).shape[0 if layout == "rows" else 1] if nodes else 1


def _state_shape(hidden_size: int, batch: int, layout: str) -> tuple[int, int]:
    return (batch, hidden_size) if layout == "rows" else (hidden_size, batch)


def _uniform(rng: np.random.Generator, hidden_size: int, shape: tuple[int, ...]) -> Array:
    """PyTorch's default for recurrent weights and biases: U(−1/√hidden, 1/√hidden)."""
    bound = 1 / np.sqrt(hidden_size)
    return rng.uniform(-bound, bound, size=shape)


def _affine(net: Network, w: str, x: str, b: Optional[str], name: str, layout: str = "columns",
            index: str = "", letter: str = "z") -> str:
    """``W x (+ b)`` on columns, ``x Wᵀ (+ b)`` on rows: one matmul, and a broadcast add when there is a bias;
    read as z_index (``letter``), its product before the bias as p_index (z_x1 = p_x1 + b_xh)."""
    product_name, product_shown = (name, indexed(letter, index)) if b is None else (f"{name}.Wx", indexed("p", index))
    if layout == "rows":
        w_t = net.apply("transpose", w, name=f"{name}.Wᵀ", shown=transposed(net.shown(w)))
        product = net.apply("matmul", x, w_t, name=product_name, shown=product_shown)
    else:
        product = net.apply("matmul", w, x, name=product_name, shown=product_shown)
    return product if b is None else net.apply("add", product, b, name=name, shown=indexed(letter, index))


# --- RNNCell ------------------------------------------------------------------------------------

class RNNCell(LoadsStateDict):
    """Elman cell, PyTorch's ``nn.RNNCell``: h_t = f(W_xh x_t + b_xh + W_hh h_{t−1} + b_hh), f = tanh or ReLU.

    The seed writes it h_t = tanh(W_hh h_{t−1} + W_xh x_t): no bias; ``W_xh`` is ``weight_ih``.
    Weights left out are drawn as PyTorch draws them, from U(−1/√hidden, 1/√hidden), with ``seed``;
    biases are ``(hidden,)`` as in PyTorch, or ``(hidden, 1)`` columns with ``layout="columns"``.
    """

    STATE_KEYS = {name: name for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", *, bias: bool = True,
                 weight_ih: Optional[ArrayLike] = None, weight_hh: Optional[ArrayLike] = None,
                 bias_ih: Optional[ArrayLike] = None, bias_hh: Optional[ArrayLike] = None,
                 seed: int = 0, layout: str = "rows") -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, not {nonlinearity!r}")
        self.input_size, self.hidden_size, self.nonlinearity = input_size, hidden_size, nonlinearity
        self.layout = checked_layout(layout)
        rng, h, b = np.random.default_rng(seed), hidden_size, _bias_shape(hidden_size, layout)
        self.weight_ih = checked_weight(weight_ih, (h, input_size), _uniform(rng, h, (h, input_size)))
        self.weight_hh = checked_weight(weight_hh, (h, h), _uniform(rng, h, (h, h)))
        self.bias_ih = checked_weight(bias_ih, b, _uniform(rng, h, b)) if bias else None
        self.bias_hh = checked_weight(bias_hh, b, _uniform(rng, h, b)) if bias else None

    def parameters(self, net: Network, prefix: str = "") -> dict[str, Optional[str]]:
        """Add the weights to ``net`` once, as parameter nodes every time step shares."""
        values = {"W_xh": self.weight_ih, "W_hh": self.weight_hh, "b_xh": self.bias_ih, "b_hh": self.bias_hh}
        return {k: None if v is None else net.parameter(join_name(prefix, k), v, shown=k) for k, v in values.items()}

    def step(self, net: Network, params: dict[str, Optional[str]], x: str, h: str, t: Union[int, str],
             prefix: str = "") -> str:
        """One step at time ``t``: the node ``h{t}``, with ``h{t}.z`` its pre-activation, read as the seed
        writes them: h_t = tanh(z_t), z_t = z_xt + z_ht, z_xt = W_xh x_t, z_ht = W_hh h_{t−1}."""
        name = join_name(prefix, f"h{t}")
        from_x = _affine(net, params["W_xh"], x, params["b_xh"], f"{name}.xh", self.layout, f"x{t}")
        from_h = _affine(net, params["W_hh"], h, params["b_hh"], f"{name}.hh", self.layout, f"h{t}")
        z = net.apply("add", from_x, from_h, name=f"{name}.z", shown=indexed("z", str(t)))
        return net.apply(self.nonlinearity, z, name=name, shown=indexed("h", str(t)))

    def local_jacobian(self, net: Network, h: str) -> Array:
        """∂h_t/∂h_{t−1} = diag(f′(z_t)) W_hh, read off the values the graph already holds (B = 1)."""
        out = net.value(h).ravel()
        slope = 1 - out**2 if self.nonlinearity == "tanh" else (out > 0).astype(float)
        return slope[:, None] * self.weight_hh


class RNNUnrolled(NamedTuple):
    """Node names of an unrolled RNN: ``hs[0]`` is h_0, ``ys[t-1]`` is y_t (empty without an output layer)."""

    hs: list[str]
    ys: list[str]
    params: dict[str, Optional[str]]


def rnn_unroll(net: Network, cell: RNNCell, xs: Sequence[NodeOrValue], h0: Optional[NodeOrValue] = None,
               prefix: str = "", weight_yh: Optional[NodeOrValue] = None) -> RNNUnrolled:
    """T steps of ``cell`` in one graph (nodes ``x1…``, ``h0…hT``, ``y1…``), weights shared across steps.

    With ``weight_yh`` each step also gets the seed's output layer y_t = W_yh h_t.
    """
    params = cell.parameters(net, prefix)
    if weight_yh is not None:
        params["W_yh"] = as_node(net, weight_yh, join_name(prefix, "W_yh"), "parameter", shown="W_yh")
    x_nodes, batch = _input_nodes(net, xs, prefix, cell.layout)
    zeros = np.zeros(_state_shape(cell.hidden_size, batch, cell.layout))
    hs = [as_node(net, zeros if h0 is None else h0, join_name(prefix, "h0"), layout=cell.layout, shown="h_0")]
    ys = []
    for t, x in enumerate(x_nodes, start=1):
        hs.append(cell.step(net, params, x, hs[-1], t, prefix))
        if weight_yh is not None:
            ys.append(_affine(net, params["W_yh"], hs[-1], None, join_name(prefix, f"y{t}"), cell.layout,
                              str(t), letter="y"))
    return RNNUnrolled(hs, ys, params)


def jacobian_product_norms(cell: RNNCell, xs: Sequence[NodeOrValue], h0: Optional[NodeOrValue] = None) -> Array:
    """‖∂h_t/∂h_0‖₂ = ‖∏_{k=t…1} diag(f′(z_k)) W_hh‖₂ for t = 1…T, one input sequence (B = 1).

    This product is what BPTT multiplies a gradient by on its way back t steps: it shrinks
    like ρ(W_hh)^t when the largest singular value of W_hh is below 1 (vanishing), and can
    grow like it above 1 (exploding) — unless tanh saturates, since |f′| ≤ 1 only shrinks it.
    """
    net = Network()
    hs = rnn_unroll(net, cell, xs, h0).hs
    if net.value(hs[0]).size != cell.hidden_size:
        raise ValueError("jacobian_product_norms follows one sequence; got a batch")
    product, norms = np.eye(cell.hidden_size), []
    for h in hs[1:]:
        product = cell.local_jacobian(net, h) @ product
        norms.append(np.linalg.norm(product, 2))
    return np.array(norms)


def vanishing_exploding(steps: int = 30, hidden_size: int = 4, scales: Sequence[float] = (0.5, 1.5),
                        inputs: Optional[Array] = None, seed: int = 0) -> dict[float, Array]:
    """Jacobian-product norms for W_hh = scale · Q (Q orthogonal, so every singular value is ``scale``).

    With the default all-zero inputs and h_0 = 0 the state stays at 0, tanh′ = 1, and the
    norms are exactly scale^t: 0.5^30 ≈ 9e−10 vanishes, 1.5^30 ≈ 2e5 explodes. Pass
    ``inputs`` (steps × input) to see saturation pull the large case back down.
    """
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(hidden_size, hidden_size)))
    xs = np.zeros((steps, 1)) if inputs is None else np.asarray(inputs, dtype=float)
    w_ih = rng.normal(size=(hidden_size, xs.shape[1]))
    return {s: jacobian_product_norms(RNNCell(xs.shape[1], hidden_size, bias=False, weight_ih=w_ih,
                                              weight_hh=s * q), list(xs)) for s in scales}


# --- LSTMCell -----------------------------------------------------------------------------------

class LSTMCell(LoadsStateDict):
    """PyTorch's ``nn.LSTMCell``: gates i, f, o = σ(·), candidate g = tanh(·), each W_i· x + b_i· + W_h· h + b_h·;
    c_t = f ⊙ c_{t−1} + i ⊙ g and h_t = o ⊙ tanh(c_t).

    ``weight_ih`` (4·hidden × input) and ``weight_hh`` stack the gates' blocks in PyTorch's
    order **i, f, g, o** (not the i, f, o, g the notes list them in). In the graph each
    block is its own parameter node, named as the seed writes it — ``W_xi``, ``W_hi``, ``W_xf``,
    … (PyTorch's docs call ``W_xi`` ``W_ii``: x is the input). Biases are ``(4·hidden,)``
    as in PyTorch, or ``(4·hidden, 1)`` columns with ``layout="columns"``.
    """

    STATE_KEYS = RNNCell.STATE_KEYS

    def __init__(self, input_size: int, hidden_size: int, *, bias: bool = True,
                 weight_ih: Optional[ArrayLike] = None, weight_hh: Optional[ArrayLike] = None,
                 bias_ih: Optional[ArrayLike] = None, bias_hh: Optional[ArrayLike] = None,
                 seed: int = 0, layout: str = "rows") -> None:
        self.input_size, self.hidden_size, self.layout = input_size, hidden_size, checked_layout(layout)
        rng, h, rows = np.random.default_rng(seed), hidden_size, 4 * hidden_size
        b = _bias_shape(rows, layout)
        self.weight_ih = checked_weight(weight_ih, (rows, input_size), _uniform(rng, h, (rows, input_size)))
        self.weight_hh = checked_weight(weight_hh, (rows, h), _uniform(rng, h, (rows, h)))
        self.bias_ih = checked_weight(bias_ih, b, _uniform(rng, h, b)) if bias else None
        self.bias_hh = checked_weight(bias_hh, b, _uniform(rng, h, b)) if bias else None

    @classmethod
    def from_gates(cls, w_x: dict[str, ArrayLike], w_h: dict[str, ArrayLike], **kwargs) -> "LSTMCell":
        """A cell from per-gate matrices keyed ``"i", "f", "g", "o"`` (the way the notes write them)."""
        weight_ih = np.vstack([np.asarray(w_x[gate], dtype=float) for gate in GATES])
        weight_hh = np.vstack([np.asarray(w_h[gate], dtype=float) for gate in GATES])
        return cls(weight_ih.shape[1], weight_hh.shape[1], weight_ih=weight_ih, weight_hh=weight_hh, **kwargs)

    def gate_block(self, stacked: Optional[Array], gate: str) -> Optional[Array]:
        """The rows of a stacked weight or bias that belong to ``gate``."""
        if stacked is None:
            return None
        k = GATES.index(gate) * self.hidden_size
        return stacked[k:k + self.hidden_size]

    def parameters(self, net: Network, prefix: str = "") -> dict[str, Optional[str]]:
        """One parameter node per gate block (``W_xi``, ``W_hi``, ``b_xi``, ``b_hi``, …), shared over time."""
        params: dict[str, Optional[str]] = {}
        for gate in GATES:
            for source, weight, bias in (("x", self.weight_ih, self.bias_ih), ("h", self.weight_hh, self.bias_hh)):
                params[f"W_{source}{gate}"] = net.parameter(join_name(prefix, f"W_{source}{gate}"),
                                                            self.gate_block(weight, gate), shown=f"W_{source}{gate}")
                block = self.gate_block(bias, gate)
                params[f"b_{source}{gate}"] = None if block is None else net.parameter(
                    join_name(prefix, f"b_{source}{gate}"), block, shown=f"b_{source}{gate}")
        return params

    def stacked_gradients(self, grads: dict[str, Array], params: dict[str, Optional[str]]) -> dict[str, Array]:
        """The per-gate gradients put back in PyTorch's stacked layout (``weight_ih``, …, ``bias_hh``)."""
        stacked = {}
        for key, kind, source in (("weight_ih", "W", "x"), ("weight_hh", "W", "h"),
                                  ("bias_ih", "b", "x"), ("bias_hh", "b", "h")):
            nodes = [params[f"{kind}_{source}{gate}"] for gate in GATES]
            if None not in nodes:
                block = np.vstack([grads[node] for node in nodes])
                stacked[key] = block.ravel() if kind == "b" else block
        return stacked

    def step(self, net: Network, params: dict[str, Optional[str]], x: str, h: str, c: str,
             t: Union[int, str], prefix: str = "", timed: bool = True) -> tuple[str, str]:
        """One step at time ``t``: nodes ``i{t}``, ``f{t}``, ``g{t}``, ``o{t}``, ``c{t}``, ``h{t}``; returns (h_t, c_t).

        They read as the seed writes them: z_hi = W_hi h₀, z_i = z_hi + z_xi, i = σ(z_i), a = f ⊙ c₀,
        b = i ⊙ g, c₁ = a + b, m = tanh(c₁), h₁ = o ⊙ m; ``timed``, the step's own names carry t (i_1, z_hi1),
        so that two steps' gates read apart.
        """
        step = str(t) if timed else ""
        gates = {}
        for gate in GATES:
            name = join_name(prefix, f"{gate}{t}")
            from_x = _affine(net, params[f"W_x{gate}"], x, params[f"b_x{gate}"], f"{name}.xh", self.layout,
                             f"x{gate}{step}")
            from_h = _affine(net, params[f"W_h{gate}"], h, params[f"b_h{gate}"], f"{name}.hh", self.layout,
                             f"h{gate}{step}")
            z = net.apply("add", from_x, from_h, name=f"{name}.z", shown=indexed("z", gate + step))
            gates[gate] = net.apply(GATE_ACTIVATION[gate], z, name=name, shown=indexed(gate, step))
        c_name, h_name = join_name(prefix, f"c{t}"), join_name(prefix, f"h{t}")
        kept = net.apply("hadamard", gates["f"], c, name=f"{c_name}.kept", shown=indexed("a", step))
        written = net.apply("hadamard", gates["i"], gates["g"], name=f"{c_name}.written", shown=indexed("b", step))
        c_new = net.apply("add", kept, written, name=c_name, shown=indexed("c", str(t)))
        squashed = net.apply("tanh", c_new, name=f"{c_name}.tanh", shown=indexed("m", step))
        return net.apply("hadamard", gates["o"], squashed, name=h_name, shown=indexed("h", str(t))), c_new


class LSTMUnrolled(NamedTuple):
    """Node names of an unrolled LSTM: ``hs[0]``, ``cs[0]`` are the initial states."""

    hs: list[str]
    cs: list[str]
    params: dict[str, Optional[str]]


def lstm_unroll(net: Network, cell: LSTMCell, xs: Sequence[NodeOrValue], h0: Optional[NodeOrValue] = None,
                c0: Optional[NodeOrValue] = None, prefix: str = "") -> LSTMUnrolled:
    """T steps of ``cell`` in one graph, the gate weights shared across steps; h_0, c_0 default to 0."""
    params = cell.parameters(net, prefix)
    x_nodes, batch = _input_nodes(net, xs, prefix, cell.layout)
    zeros = np.zeros(_state_shape(cell.hidden_size, batch, cell.layout))
    hs = [as_node(net, zeros if h0 is None else h0, join_name(prefix, "h0"), layout=cell.layout, shown="h_0")]
    cs = [as_node(net, zeros if c0 is None else c0, join_name(prefix, "c0"), layout=cell.layout, shown="c_0")]
    for t, x in enumerate(x_nodes, start=1):
        h, c = cell.step(net, params, x, hs[-1], cs[-1], t, prefix, timed=len(x_nodes) > 1)
        hs.append(h)
        cs.append(c)
    return LSTMUnrolled(hs, cs, params)
