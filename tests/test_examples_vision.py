"""The seed notes' MLP, perceptron, batch-norm and convolution exercises as problem files.

For each bundled problem file (symdl/examples/): it loads, ``solve`` works it, its quantities equal numbers
computed here in plain NumPy (a hand-rolled cross-correlation loop, np.mean, the size
formula …, never symdl's own output), and ``check`` flags exactly the notes' known slips
among the student's claims and accepts the rest.
"""

from __future__ import annotations


import numpy as np
import pytest

from symdl import examples as bundled
from symdl.worksheet import check, load, solve
from symdl.worksheet.variants import variants

EXAMPLES = bundled.folder()
FILES = ["mlp_four_input", "perceptron_and", "perceptron_or", "perceptron_xor_two_layers", "batch_norm",
         "convolution_edge", "strided_convolution", "max_pooling", "conv_output_sizes", "parameter_count",
         "bottleneck_cost"]

# The notes' data, as written in the notes (the edge image with the 1 and 5 its worked sums read).
SEED_X = np.array([-2.4, 1.2, -0.8, 1.1])
TRUTH_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
EDGE_IMAGE = np.array([[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
                       [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]], dtype=float)
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)
STRIDED_IMAGE = np.array([[2, 3, 4, 5, 6], [6, 6, 9, 8, 7], [3, 4, 8, 3, 8], [7, 8, 3, 6, 6],
                          [11, 2, 1, 8, 3]], dtype=float)
STRIDED_KERNEL = np.array([[1, -1], [0, -1]], dtype=float)
POOL_INPUT = np.array([[1, 3, 2, 1, 3], [2, 9, 1, 1, 5], [1, 3, 2, 3, 2], [8, 3, 5, 1, 0],
                       [5, 6, 1, 2, 9]], dtype=float)


def worked(name: str):
    problem = load(EXAMPLES / f"{name}.toml")
    solution = solve(problem)
    return problem, solution, check(solution)


def value(solution, key: str) -> np.ndarray:
    return np.asarray(solution.quantities[key].value, dtype=float)


def verdicts(report) -> dict:
    return {v.claim: v for v in report.verdicts}


def wrong(report) -> set[str]:
    return {v.claim for v in report.wrong}


# --- plain NumPy references -------------------------------------------------------------------
def cross_correlate(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    padded = np.zeros((image.shape[0] + 2 * padding, image.shape[1] + 2 * padding))
    padded[padding:padding + image.shape[0], padding:padding + image.shape[1]] = image
    f = kernel.shape[0]
    size = (padded.shape[0] - f) // stride + 1
    out = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            total = 0.0
            for u in range(f):
                for v in range(f):
                    total += padded[i * stride + u, j * stride + v] * kernel[u, v]
            out[i, j] = total
    return out


def max_pool(image: np.ndarray, f: int, stride: int) -> np.ndarray:
    size = (image.shape[0] - f) // stride + 1
    return np.array([[max(image[i * stride + u, j * stride + v] for u in range(f) for v in range(f))
                      for j in range(size)] for i in range(size)])


def output_size(n: int, f: int, p: int, s: int) -> int:
    return (n + 2 * p - f) // s + 1


def fires(z: np.ndarray) -> np.ndarray:
    """The notes' step: g(z) = 1 if z > 0 else 0."""
    return (np.asarray(z) > 0).astype(float)


# --- every file ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FILES)
def test_each_file_solves_and_says_where_in_the_notes(name):
    problem, solution, report = worked(name)
    assert problem.source.startswith("seed notes") and problem.notes and problem.claims
    assert solution.quantities and report.verdicts
    assert len(variants(problem, seed=0, count=1)[0].answers()) > 0


# --- the MLP --------------------------------------------------------------------------------------
def test_mlp_forward_pass():
    problem, solution, report = worked("mlp_four_input")
    np.testing.assert_array_equal(problem.spec["inputs"]["x"], SEED_X)
    w1, w2 = np.full((3, 4), 0.1), np.full((2, 3), 0.1)
    z1 = np.array([sum(w1[i, k] * SEED_X[k] for k in range(4)) for i in range(3)])
    a1 = np.maximum(z1, 0)
    z2 = w2 @ a1
    a2 = np.exp(z2) / np.exp(z2).sum()
    assert z1 == pytest.approx([-0.09] * 3)
    np.testing.assert_allclose(value(solution, "z1"), z1, atol=1e-12)
    np.testing.assert_allclose(value(solution, "a1"), a1, atol=1e-12)
    np.testing.assert_allclose(value(solution, "z2"), z2, atol=1e-12)
    np.testing.assert_allclose(value(solution, "a2"), a2, atol=1e-12)
    np.testing.assert_allclose(a2, [0.5, 0.5])


def test_mlp_check_flags_the_lost_sign_and_the_decimal_point():
    _, _, report = worked("mlp_four_input")
    assert wrong(report) == {"z1[0]", "z1[2]"}
    by_claim = verdicts(report)
    # −0.24 + 0.12 + 0.08 + 0.11: x₃w₁₃'s lost sign gives 0.07, not the 0.06 written, so no one slip is named
    assert by_claim["z1[0]"].cause == "step" and by_claim["z1[0]"].slip == \
        "its inputs are right, but the arithmetic gives -0.09"
    assert by_claim["z1[2]"].cause == "step" and "decimal" in by_claim["z1[2]"].slip
    for claim in ("z1[1]", "a1", "z2", "a2"):
        assert by_claim[claim].right


# --- the perceptrons ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, w, b, table", [
    ("perceptron_and", (1, 1), -1, (0, 0, 0, 1)),
    ("perceptron_or", (1, 1), 0, (0, 1, 1, 1)),
])
def test_single_perceptrons(name, w, b, table):
    problem, solution, _ = worked(name)
    np.testing.assert_array_equal(problem.spec["inputs"]["X"], TRUTH_INPUTS)
    z = np.array([x1 * w[0] + x2 * w[1] + b for x1, x2 in TRUTH_INPUTS])
    np.testing.assert_array_equal(value(solution, "z"), z)
    np.testing.assert_array_equal(value(solution, "y"), fires(z))
    np.testing.assert_array_equal(fires(z), table)  # the notes' weights do compute the gate
    np.testing.assert_array_equal(value(solution, "miss"), np.zeros(4))


def test_perceptron_checks_flag_the_miscopied_truth_tables():
    _, _, report = worked("perceptron_and")
    assert wrong(report) == {"target"}  # the notes' AND table is OR's
    assert verdicts(report)["target"].cause == "given"
    assert [e.split(":")[0] for e in verdicts(report)["target"].wrong_entries] == ["entry 2", "entry 3"]
    _, _, report = worked("perceptron_or")
    assert wrong(report) == {"target"}  # the table before the OR rows is XOR's
    assert verdicts(report)["target"].cause == "given"
    assert [e.split(":")[0] for e in verdicts(report)["target"].wrong_entries] == ["entry 4"]


def test_xor_by_two_layers():
    problem, solution, _ = worked("perceptron_xor_two_layers")
    np.testing.assert_array_equal(problem.spec["inputs"]["X"], TRUTH_INPUTS)
    hidden = np.array([[1, -1], [-1, 1]], dtype=float)  # column j: unit j's weights on (x1, x2)
    z = np.array([[x1 * hidden[0, j] + x2 * hidden[1, j] for j in range(2)] for x1, x2 in TRUTH_INPUTS])
    a = fires(z)
    z_out = a[:, 0] + a[:, 1]
    np.testing.assert_array_equal(value(solution, "z"), z)
    np.testing.assert_array_equal(value(solution, "a"), a)
    np.testing.assert_array_equal(value(solution, "z_out"), z_out)
    np.testing.assert_array_equal(value(solution, "y"), [0, 1, 1, 0])
    assert z[2, 1] == -1  # x = (1, 0): the notes' z₂ = 0 dropped the −1 weight on x₁


def test_xor_check_flags_the_dropped_weight_only():
    _, _, report = worked("perceptron_xor_two_layers")
    assert wrong(report) == {"z[2,1]"}
    assert verdicts(report)["z[2,1]"].cause == "step"
    assert sum(v.right for v in report.verdicts) == len(report.verdicts) - 1


def test_xor_slip_is_not_called_a_decimal_point_slip():
    _, _, report = worked("perceptron_xor_two_layers")
    assert "decimal" not in verdicts(report)["z[2,1]"].slip


# --- batch norm -----------------------------------------------------------------------------------
def test_batch_norm():
    problem, solution, report = worked("batch_norm")
    z = np.array([4, 8, 6, 10], dtype=float)
    np.testing.assert_array_equal(problem.spec["inputs"]["z"], z)
    mu, var = np.mean(z), np.var(z)
    z_hat = (z - mu) / np.sqrt(var + 1e-5)
    assert (mu, var) == (7.0, 5.0)
    assert float(value(solution, "mu")) == mu and float(value(solution, "sigma__2")) == var
    np.testing.assert_allclose(value(solution, "zhat"), z_hat, rtol=1e-12)
    np.testing.assert_allclose(value(solution, "y"), z_hat, rtol=1e-12)  # γ = 1, β = 0
    np.testing.assert_allclose(value(solution, "bn")[:, 0], z_hat, rtol=1e-9)
    assert not report.wrong and {v.claim for v in report.verdicts} == {"mu", "sigma__2"}


# --- convolution and pooling ----------------------------------------------------------------------
def test_vertical_edge_detection():
    problem, solution, _ = worked("convolution_edge")
    np.testing.assert_array_equal(problem.spec["inputs"]["image"], EDGE_IMAGE)
    np.testing.assert_array_equal(problem.spec["parameters"]["K"], VERTICAL_EDGE)
    expected = cross_correlate(EDGE_IMAGE, VERTICAL_EDGE)
    assert expected.shape == (4, 4) and expected[3, 3] == -16 and expected[0, 1] == -4
    np.testing.assert_array_equal(value(solution, "edges"), expected)


def test_edge_check_flags_the_table_cells_that_disagree_with_the_sums():
    _, _, report = worked("convolution_edge")
    assert wrong(report) == {"edges[3,3]", "edges[0,1]"}
    by_claim = verdicts(report)
    assert by_claim["edges"].right  # the sixteen worked sums
    for claim, right in (("edges[3,3]", -16), ("edges[0,1]", -4)):
        assert by_claim[claim].cause == "step"
        assert by_claim[claim].slip == f"its inputs are right, but the arithmetic gives {right}"
    assert sum(v.right for v in report.verdicts) == 14


def test_strided_padded_convolution():
    problem, solution, report = worked("strided_convolution")
    np.testing.assert_array_equal(problem.spec["inputs"]["image"], STRIDED_IMAGE)
    expected = cross_correlate(STRIDED_IMAGE, STRIDED_KERNEL, stride=2, padding=1)
    assert expected.shape == (3, 3) and output_size(5, 2, 1, 2) == 3
    np.testing.assert_array_equal(value(solution, "out"), expected)
    np.testing.assert_array_equal(expected, [[-2, -4, -6], [-9, -11, -7], [-18, 4, -3]])
    assert wrong(report) == {"out", "out[1,1]"}
    by_claim = verdicts(report)
    assert all(by_claim[c].cause == "step" for c in ("out", "out[1,1]"))
    assert [e.split(":")[0] for e in by_claim["out"].wrong_entries] == ["entry (1, 2)", "entry (2, 2)", "entry (3, 1)"]
    # the centre's sum 6 − 9 + 0 − 8 = −11, totalled as 5 = 6 − 9 + 0 + 8: the −8 added with its sign flipped
    assert by_claim["out[1,1]"].slip == "in the step before, Y, which is not written down, one term's sign " \
        "is flipped" and "correct: −11" in by_claim["out[1,1]"].line()


def test_max_pooling():
    problem, solution, report = worked("max_pooling")
    np.testing.assert_array_equal(problem.spec["inputs"]["image"], POOL_INPUT)
    expected = max_pool(POOL_INPUT, 3, 1)
    np.testing.assert_array_equal(value(solution, "pooled"), expected)
    assert expected[2, 0] == 8
    assert wrong(report) == {"pooled"}
    verdict = verdicts(report)["pooled"]
    assert verdict.cause == "step" and [e.split(":")[0] for e in verdict.wrong_entries] == ["entry (3, 1)"]


# --- the lecture's arithmetic ---------------------------------------------------------------------
def test_output_sizes():
    _, solution, report = worked("conv_output_sizes")
    sizes = {"valid": output_size(6, 3, 0, 1), "same": output_size(6, 3, 1, 1), "p_same": (3 - 1) // 2,
             "strided": output_size(5, 2, 1, 2)}
    n1 = output_size(39, 3, 0, 1)
    n2 = output_size(n1, 5, 0, 2)
    sizes.update(n1=n1, n2=n2, n3=output_size(n2, 5, 0, 2))
    assert (sizes["valid"], sizes["same"], sizes["p_same"], sizes["strided"], n1, n2, sizes["n3"]) \
        == (4, 6, 1, 3, 37, 17, 7)
    for key, expected in sizes.items():
        assert float(value(solution, key)) == expected, key
    assert float(value(solution, "r3")) == (17 - 5) / 2
    assert wrong(report) == {"valid", "p_same"}
    assert all(verdicts(report)[c].cause == "step" for c in ("valid", "p_same"))


def test_parameter_count():
    _, solution, report = worked("parameter_count")
    k, c_in, c_out = 3, 3, 10
    assert float(value(solution, "params")) == (k * k * c_in + 1) * c_out == 280
    assert float(value(solution, "filter")) == 27 and float(value(solution, "weights")) == 270
    assert not report.wrong and len(report.verdicts) == 3


def test_bottleneck_cost():
    _, solution, report = worked("bottleneck_cost")
    h = w = 28
    direct = (h * w * 32) * (5 * 5 * 192)
    reduce = (h * w * 16) * (1 * 1 * 192)
    expand = (h * w * 32) * (5 * 5 * 16)
    assert (direct, reduce, expand, reduce + expand) == (120_422_400, 2_408_448, 10_035_200, 12_443_648)
    for key, expected in (("direct", direct), ("reduce", reduce), ("expand", expand),
                          ("bottleneck", reduce + expand), ("plane", h * w * 192)):
        assert float(value(solution, key)) == expected, key
    assert float(value(solution, "saving")) == pytest.approx(direct / (reduce + expand), rel=1e-12)
    assert not report.wrong and len(report.verdicts) == 7


def test_a_count_off_by_one_is_caught():
    """The counts are checked exactly (to the units digit the student wrote), not to six digits."""
    text = (EXAMPLES / "bottleneck_cost.toml").read_text().replace("direct = 120422400", "direct = 120422401")
    from symdl.worksheet import loads

    report = check(solve(loads(text, "bottleneck_cost.toml")))
    assert wrong(report) == {"direct"}
