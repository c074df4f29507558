"""What a person reads names and numbers as a textbook does: σ², ẑ, PE₁,₀, K₁ᵀ in every later formula, a
1×1×2×2 kernel as its matrix with its shape, and example titles and notes without TeX or code notation."""

from __future__ import annotations

import html as markup
import re

import numpy as np
import pytest
import sympy as sp

from symdl import examples as bundled, gallery
from symdl.examples import seed_sequence
from symdl.numbers import shown
from symdl.printing import html, rendering
from symdl.printing.mathml import mathml
from symdl.printing.names import written
from symdl.printing.text import text
from symdl.printing.values import label, show
from symdl.tensor import registry
from symdl.tensor.network import Network
from symdl.worksheet import check, load, solve


@pytest.mark.parametrize("name, expected", [
    ("sigma__2", "σ²"), ("zhat", "ẑ"), ("muhat", "μ̂"), ("K1__T", "K1ᵀ"), ("PE_1_0", "PE₁,₀"),
    ("theta_2_1", "θ₂,₁"), ("x_1", "x₁"), ("hat", "hat"), ("epsilon", "ε"), ("varsigma", "ς"),
])
def test_a_name_is_written_as_a_textbook_sets_it(name, expected):
    assert written(name) == expected


def test_a_label_lowers_a_pair_of_numbers_but_keeps_a_matrix_index():
    assert (label("PE_1_0"), label("dPE_1_0/dpos1"), label("W_hi"), label("sigma__2"), label("W_1"), label("c_0")) == \
        ("PE₁,₀", "∂PE₁,₀/∂pos1", "W_hi", "σ²", "W₁", "c₀")


def test_mathml_sets_a_hat_over_its_letter_and_a_pair_of_indices_with_a_comma():
    assert mathml(sp.Symbol("zhat")) == '<mover accent="true"><mi>z</mi><mo>^</mo></mover>'
    assert "<mi>1,0</mi>" in mathml(sp.Symbol("PE_1_0"))
    assert mathml(sp.Symbol("sigma__2")) == "<msup><mi>&#963;</mi><mi>2</mi></msup>"


def test_a_transpose_node_reads_as_its_operands_transpose_in_later_formulas():
    """S = Q Kᵀ through a transpose node KT: S's formula names K, and ∂L/∂Q = ∂L/∂S (Kᵀ)ᵀ = ∂L/∂S K."""
    rng = np.random.default_rng(0)
    net = Network()
    net.input("Q", rng.normal(size=(3, 2)))
    net.input("K", rng.normal(size=(3, 2)))
    net.apply("transpose", "K", name="KT")
    net.apply("matmul", "Q", "KT", name="S")
    net.apply("sum", "S", name="L")
    net.backward("L")
    nodes = net.graph.nodes
    assert text(nodes["S"]["expr"]) == "Q Kᵀ"
    assert text(net.graph.edges["Q", "S"]["vjp"]) == "∂L/∂S K"
    np.testing.assert_allclose(nodes["Q"]["grad"], np.ones((3, 3)) @ net.value("K"))  # by hand: 𝟙 K


def test_a_kernel_with_length_one_axes_is_its_matrix_and_its_shape():
    kernel = np.array([[[[1.0, -1.0], [0.0, -1.0]]]])
    assert shown(kernel) == "[[1, −1], [0, −1]] (1×1×2×2)"
    assert show(kernel) == "[[1, −1],\n [0, −1]] (1×1×2×2)"
    assert shown(np.zeros(40).reshape(5, 8) - 2) == "5×8 array, entries from −2 to −2"
    assert shown(1e-5) == "10⁻⁵" and shown(2.5e-7) == "2.5e−07"


def test_the_target_of_half_sse_gets_the_negated_error():
    rule = registry.get("half_sse").rule
    assert "on the target y its negative, y − a" in rule


def _prose() -> dict[str, str]:
    texts = {}
    for path in bundled.problem_files():
        problem = load(str(path))
        texts[path.stem] = " ".join(filter(None, (problem.title, problem.source, problem.notes)))
    for name in ("seed_rnn", "seed_lstm", "seed_bahdanau", "seed_self_attention", "seed_positional_encoding"):
        example = getattr(seed_sequence, name)()
        texts[name] = " ".join((example.title, *example.remarks))
    return texts


# TeX's subscripts and powers, e^x written out, Σ with an ASCII index, a zero-based entry of h1
RAW = re.compile(r"_\{|\^\{|\^\(|\be\^|Σ_|softmax_|\bd_model\b|\bh1\[\d\]|\b[a-z]_t\b")


def test_titles_notes_and_remarks_are_written_in_unicode():
    found = {name: RAW.findall(prose) for name, prose in _prose().items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_lstm_weight_w_xf_is_a_parameter_on_the_worksheet_and_the_gallery_page():
    problem = load(str(bundled.folder() / "lstm.toml"))
    assert "W_xf" in problem.spec["parameters"]
    network = seed_sequence.seed_lstm().network
    assert network.graph.nodes["W_xf"]["kind"] == "parameter"


# a value that is only a size: "2×4×2×4", "(2, 4, 2, 4)", "array of shape (2, 4)"
SIZE_ONLY = re.compile(r"= (?:\d+(?:×\d+)+|\(\d+(?:, \d+)+\)|array of shape .*)$")


def test_no_row_of_any_example_is_a_value_by_its_size_alone():
    for path in bundled.problem_files():
        page = text(solve(load(str(path))))
        rows = [line for line in page.splitlines() if SIZE_ONLY.search(line.split("    [")[0])]
        assert rows == [], path.stem


# --- what a page names a node by -----------------------------------------------------------------

# the text a person reads on a page: an SVG's titles, labels and summary, a table's cells, MathML names
_READ = re.compile(r"<(title|text|td|th|mi)\b[^>]*>([^<]*)</\1>|aria-label=\"([^\"]*)\"")
_ASCII_GREEK = re.compile(r"(?<![A-Za-z\\])(alpha|beta|gamma|delta|epsilon|theta|lamda|lambda|mu|sigma|tau|phi|"
                          r"omega|rho|varsigma)(?![A-Za-z(])")


def _read(page: str) -> list[str]:
    return [markup.unescape(m.group(2) or m.group(3) or "") for m in _READ.finditer(page)]


@pytest.fixture(scope="module")
def pages() -> dict[str, tuple[str, set[str]]]:
    """Each gallery network's page and SVG, and each bundled example's worksheet page, with the ids of
    its graph's nodes (what must not show where a dotted one would)."""
    found = {}
    for slug, build in gallery.NETWORKS:
        network = build().network
        svg = rendering.svg(network)
        page = html.report(slug, network, svg=svg)
        found[slug] = (svg + page, set(network.graph))
    for path in bundled.problem_files():
        solution = solve(load(str(path)))
        found[f"worksheets/{path.stem}"] = (gallery.SHEET.producer("worksheet")(solution, check(solution)),
                                            set(getattr(solution.work, "graph", ())))
    return found


def test_no_label_title_or_cell_shows_a_dotted_id_or_an_ascii_greek_name(pages):
    """A layer names its nodes c₁, z_hi, a = f ⊙ c₀, not c1.kept; a scalar graph's μ, θ₀,₁, γ as
    letters."""
    bad = {}
    for name, (page, ids) in pages.items():
        dotted = {i for i in ids if "." in i}
        for shown_text in _read(page):
            hits = [i for i in dotted if i in shown_text] + _ASCII_GREEK.findall(shown_text)
            if hits:
                bad.setdefault(name, set()).update(hits)
    assert bad == {}
    assert any("." in i for _, ids in pages.values() for i in ids)  # the ids themselves stay dotted


def test_the_lstm_page_names_its_nodes_as_the_worksheet_does(pages):
    """The gallery's LSTM step and the lstm worksheet: z_hi, i, a = f ⊙ c₀, b = i ⊙ g, m = tanh(c₁), h₁."""
    graph = seed_sequence.seed_lstm().network.graph
    formulas = {text(graph.nodes[n]["symbol"]): text(graph.nodes[n]["expr"]) for n in graph
                if graph.nodes[n]["kind"] == "op"}
    assert {k: formulas[k] for k in ("z_hi", "i", "a", "b", "c₁", "m", "h₁")} == {
        "z_hi": "W_hi h₀", "i": "σ(zᵢ)", "a": "f ⊙ c₀", "b": "i ⊙ g", "c₁": "a + b", "m": "tanh(c₁)",
        "h₁": "o ⊙ m"}
    titles = _read(pages["lstm"][0])
    assert "c₁: + gate = [−0.157, 0.0736]ᵀ" in titles  # i ⊙ g by NumPy: [0.574·(−0.273), 0.549·0.134]


def test_a_scalar_graphs_labels_write_greek_and_indices_as_its_formulas_do(pages):
    titles = " ".join(_read(pages["worksheets/positional_encoding"][0]))
    assert "∂PE₀,₂/∂θ₀,₁" in titles and "theta" not in titles
    assert "μ: mean gate = 7" in _read(pages["worksheets/batch_norm"][0])
    assert "cᵢₙ: input = 3" in _read(pages["worksheets/parameter_count"][0])


def test_no_worksheet_names_a_gate_q1(pages):
    """conv_output_sizes named its split sub-steps (slide, border, whole): no q1…q19."""
    assert not re.search(r"\bq\d+\b", " ".join(_read(pages["worksheets/conv_output_sizes"][0])))


def test_two_layers_asking_for_one_name_keep_the_second_by_its_id():
    """A name a person reads names one node only: the second z_1 would make two symbols one."""
    net = Network()
    net.input("x", [1.0, 2.0], shown="x_1")
    net.apply("relu", "x", name="a.z", shown="z_1")
    net.apply("tanh", "x", name="b.z", shown="z_1")
    assert (net.shown("a.z"), net.shown("b.z")) == ("z_1", "b.z")
    assert text(net.graph.nodes["a.z"]["symbol"]) == "z₁" and text(net.graph.nodes["x"]["symbol"]) == "x₁"
    net.apply("relu", "x", name="z_1")  # a later node whose id is that name takes it: one symbol per name
    assert (net.shown("a.z"), net.shown("z_1")) == ("a.z", "z_1")


def test_a_gradient_of_a_transpose_is_parenthesised_not_raised_twice():
    assert text(sp.Transpose(sp.MatrixSymbol("∂L/∂K1__T", 2, 3))) == "(∂L/∂K1ᵀ)ᵀ"
    assert text(sp.MatrixSymbol("∂L/∂alpha_1", 2, 1)) == "∂L/∂α₁"
