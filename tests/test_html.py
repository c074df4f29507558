"""The HTML report: one self-contained, script-free file that a real browser renders.

Structure is checked with the standard library's HTMLParser; hostile symbol names
must come out as text; and when Chromium is installed the report is rendered
headless, the screenshot decoded by hand (zlib + struct) and checked not blank.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symdl
from symdl import examples as bundled
from symdl.printing.html import HtmlPrinter, inline_svg, node_table, report
from symdl.printing.mathml import mathml

SVG = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="240" height="120">
<rect x="10" y="10" width="220" height="100" fill="#3b5b92"/>
<text x="40" y="65" fill="#ffffff">f = q &#215; z</text>
</svg>
"""
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1998/Math/MathML"}
VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr", "source", "area", "base", "embed", "track"}
HOSTILE = "<script>alert(1)</script>"


def lecture_report() -> str:
    """The lecture's first circuit, f = (x + y)·z at x = −2, y = 5, z = −4, with a derivation."""
    result = symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4})
    return report("Lecture 4: (x + y)·z", result, symdl.derive("tanh(x)", "x"), svg=SVG)


def hostile_report() -> str:
    s = sp.Symbol(HOSTILE, real=True)
    result = symdl.backprop(sp.tanh(s) * 2, at={HOSTILE: 0.5})
    return report(HOSTILE, result, symdl.derive(sp.tanh(s) * 2, s), svg=SVG)


class TagBalance(HTMLParser):
    """Every non-void element closed, in order; self-closing SVG tags are fine."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.seen: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.seen.add(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def parse(text: str) -> TagBalance:
    parser = TagBalance()
    parser.feed(text)
    parser.close()
    return parser


def test_report_is_balanced_and_has_every_part():
    text = lecture_report()
    parsed = parse(text)
    assert parsed.errors == [] and parsed.stack == []
    assert {"html", "head", "body", "style", "svg", "math", "table", "h1", "h2"} <= parsed.seen
    assert text.startswith("<!DOCTYPE html>")
    assert "<svg" in text and '<math display="block"' in text


def test_report_is_self_contained():
    text = lecture_report()
    assert "<script" not in text.lower()
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    assert not re.search(r"<(link|img|iframe|object)\b", text)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) <= NAMESPACES


def test_node_table_has_the_lecture_numbers():
    """Hand derivation: q = x + y = 3, f = q·z = −12; ∂f/∂q = z = −4, ∂f/∂z = q = 3,
    and the add gate hands −4 to both x and y."""
    table = HtmlPrinter().doprint(symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4}))
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<td class="num">(.*?)</td>', table)]
    values, grads = cells[0::2], cells[1::2]
    assert values == ["−2", "5", "−4", "3", "−12"]  # x, y, z, q, f; U+2212, the minus sign, not a hyphen
    assert grads == ["−4", "−4", "3", "−4", "1"]
    # ∂f/∂q = z = −4: the formula as MathML, its value as text after it (so that a long array wraps)
    assert '<mo>=</mo><mi>z</mi><mo>=</mo></math><span class="num">−4</span>' in table


def test_each_derivation_step_is_a_collapsible_item_with_its_rule():
    d = symdl.derive("tanh(x)", "x")
    text = report("tanh", d)
    assert text.count("<details") == len(d.steps) and "<script" not in text
    chain = report("t", symdl.derive("tanh(2*x)", "x"))
    assert "<strong>chain rule</strong>" in chain
    # the chain rule's sub-steps are nested inside its item: its known derivative comes after it
    assert chain.index("<strong>chain rule</strong>") < chain.index("<strong>known derivative</strong>")
    assert "&dd;" not in text and "&ExponentialE;" not in text and '<mi mathvariant="normal">d</mi>' in text  # plain d and e
    assert "<msup><mi>tanh</mi><mn>2</mn></msup>" in text  # tanh²(x), the power on the name


def test_derivative_of_a_sum_is_bracketed():
    """SymPy's own MathML prints d/du 1 + e^(-u), which reads as (d/du 1) + e^(-u)."""
    u = sp.Symbol("u")
    assert '</mfrac><mrow><mo stretchy="false">(</mo><mrow><mn>1</mn><mo>+</mo>' in mathml(sp.Derivative(1 + sp.exp(-u), u))
    assert '</mfrac><mrow><mo stretchy="false">(</mo><mrow><mo>&#8722;</mo><mi>u</mi>' in mathml(sp.Derivative(-u, u))


def test_hostile_names_are_text():
    text = hostile_report()
    assert "<script" not in text.lower()
    assert "&lt;script&gt;" in text
    assert parse(text).errors == []
    assert "<script" not in mathml(sp.Symbol(HOSTILE) + sp.Function(HOSTILE)(sp.Symbol("x"))).lower()


def test_svg_is_inlined_without_prolog_and_scripts_are_refused():
    assert inline_svg(SVG).startswith("<svg")
    with pytest.raises(ValueError):
        inline_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    with pytest.raises(ValueError):
        inline_svg("<p>not a picture</p>")


def test_report_is_deterministic():
    assert lecture_report() == lecture_report()


# --- a real browser --------------------------------------------------------------

def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.skip("Chromium not installed: apt-get install chromium")
    return found


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"]
    return subprocess.run([browser, *flags, *args], capture_output=True, text=True, timeout=60)


def measured_in_chromium(browser: str, tmp_path: Path, page: str, script: str, name: str = "page") -> dict:
    """``page`` with a measuring ``script`` appended (the page itself has none), loaded by headless
    Chromium at a 1280 px window: the JSON the script writes into ``<pre id="measured">``."""
    copy = tmp_path / f"{name}.html"
    copy.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    done = headless(browser, tmp_path / "profile", "--window-size=1280,1000", "--dump-dom", copy.as_uri())
    found = re.search(r'<pre id="measured">([^<]*)</pre>', done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def read_png(path: Path) -> np.ndarray:
    """Pixels (height, width, channels) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks = 8, {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.setdefault(kind, []).append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG format"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride = width * bpp
    rows = np.zeros((height, stride), dtype=np.int64)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int64)
        if kind == 1:  # Sub: a running sum per channel
            line = line.reshape(-1, bpp).cumsum(axis=0).ravel() % 256
        elif kind == 2:  # Up
            line = (line + previous) % 256
        elif kind in (3, 4):  # Average and Paeth depend on the byte just decoded
            line = np.array(_unfilter_sequential(line.tolist(), previous.tolist(), bpp, kind))
        rows[y] = previous = line
    return rows.reshape(height, width, bpp).astype(np.uint8)


def _unfilter_sequential(line: list[int], up: list[int], bpp: int, kind: int) -> list[int]:
    out = [0] * len(line)
    for i, value in enumerate(line):
        a, b = (out[i - bpp] if i >= bpp else 0), up[i]
        if kind == 3:
            out[i] = (value + (a + b) // 2) & 255
            continue
        c = up[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        out[i] = (value + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return out


def test_chromium_renders_the_report(tmp_path):
    browser = chromium()
    page = tmp_path / "report.html"
    page.write_text(lecture_report(), encoding="utf-8")
    shot = tmp_path / "shot.png"
    headless(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
    assert shot.exists(), "Chromium wrote no screenshot"
    pixels = read_png(shot)[..., :3].reshape(-1, 3)
    _, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(counts) >= 2 and 1 - counts.max() / len(pixels) > 0.01, "the screenshot is blank"
    dom = headless(browser, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert "<math" in dom and "<svg" in dom


_MEASURE = """<script>
addEventListener("load", () => {
  const sizes = [...document.querySelectorAll("svg text")].map(t => t.getBoundingClientRect().height)
    .filter(h => h > 0);
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({count: sizes.length, smallest: Math.min(...sizes)});
  document.body.appendChild(out);
});
</script>"""


def _neuron_page() -> str:
    from symdl.printing import exports
    result = symdl.backprop("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", at="w0=2,x0=-1,w1=-3,x1=-2,w2=-3")
    return exports.produce("backprop", "html", result, "sigmoid neuron")


def _worksheet_page(name: str):
    def page() -> str:
        from symdl.printing import exports
        from symdl.worksheet import check, load, solve
        solution = solve(load(bundled.path(name)))
        return exports.worksheet_files(solution, check(solution))["html"]
    return page


@pytest.mark.parametrize("page", [_neuron_page, _worksheet_page("lstm"), _worksheet_page("mlp_four_input")],
                         ids=["sigmoid neuron", "lstm worksheet", "mlp worksheet"])
def test_circuit_labels_stay_legible_at_1280_px(tmp_path, page):
    """Issue 12: the smallest circuit label is at least 9 CSS px at a 1280 px window: a wide circuit
    scrolls instead of shrinking. Measured in Chromium with getBoundingClientRect, by a script the
    test appends to a copy of the page (the page itself has no script)."""
    measured = measured_in_chromium(chromium(), tmp_path, page(), _MEASURE)
    assert measured["count"] > 5 and measured["smallest"] >= 9, measured


_MEASURE_GAPS = """<script>
addEventListener("load", () => {
  const gaps = [];
  for (const cell of document.querySelectorAll("table.nodes td")) {
    const boxes = [...cell.querySelectorAll(":scope > div > math")].map(m => m.getBoundingClientRect());
    for (let i = 1; i < boxes.length; i++) gaps.push(boxes[i].top - boxes[i - 1].bottom);
  }
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({count: gaps.length, smallest: Math.min(...gaps)});
  document.body.appendChild(out);
});
</script>"""




def test_stacked_fractions_in_a_node_table_do_not_touch(tmp_path):
    """A gate's local gradients sit one above the other in one cell; the denominator of one and the
    numerator of the next are at least 4 CSS px apart (measured in Chromium)."""
    measured = measured_in_chromium(chromium(), tmp_path, _neuron_page(), _MEASURE_GAPS)
    assert measured["count"] >= 4 and measured["smallest"] >= 4, measured  # four two-input gates


_MEASURE_BRACKETS = """<script>
addEventListener("load", () => {
  const widths = [];
  for (const apply of document.querySelectorAll("mo")) {
    if (apply.textContent !== "\\u2061") continue;
    const bracket = apply.nextElementSibling.firstElementChild;
    widths.push(bracket.getBoundingClientRect().width / parseFloat(getComputedStyle(bracket).fontSize));
  }
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({count: widths.length, widest: Math.max(...widths)});
  document.body.appendChild(out);
});
</script>"""


def test_a_function_sits_tight_against_its_bracket(tmp_path):
    """tanh(x), not tanh ( x ): the bracket after a function name is at most 0.5 em wide in Chromium
    (a "(" glyph is about 0.4 em; stretched to a larger variant it took 0.9 em)."""
    measured = measured_in_chromium(chromium(), tmp_path, report("tanh", symdl.derive("tanh(x)", "x")),
                                    _MEASURE_BRACKETS)
    assert measured["count"] >= 4 and measured["widest"] <= 0.5, measured


def test_no_number_in_a_page_is_written_with_a_hyphen():
    """Every negative number of a node table, a worked step or a point is written with U+2212."""
    from symdl.worksheet import load, solve

    neuron = HtmlPrinter().doprint(symdl.backprop("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))",
                                            at={"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}))
    sheet = HtmlPrinter().doprint(solve(load(bundled.path("mlp_four_input"))))
    for page in (neuron, sheet):
        numbers = re.findall(r'<td class="num">(.*?)</td>|<mn>(.*?)</mn>|<span class="num">(.*?)</span>', page)
        shown = [n for pair in numbers for n in pair if n]
        assert shown and not [n for n in shown if re.search(r"-\d", re.sub(r"<[^>]+>", "", n))]
        assert any("−" in n for n in shown)


def test_a_negation_gate_is_labelled_as_a_textbook_writes_it():
    table = node_table(symdl.backprop("exp(-x)", at={"x": 1}))
    assert "<td>×(−1)</td>" in table and "*-1" not in table


def test_hadamard_products_and_powers_print_as_the_text_printer_writes_them():
    """a ⊙ (1 − a) and a ⊙ a, never SymPy's function name hadamardpower(a, 2) or its ∘."""
    a = sp.MatrixSymbol("a", 3, 1)

    def shown(e: sp.Basic) -> str:
        return html.unescape(mathml(e))

    square = shown(-sp.HadamardPower(a, 2) + sp.OneMatrix(3, 1))
    assert "hadamardpower" not in square.lower() and square.count("⊙") == 1 and "∘" not in square
    assert shown(sp.HadamardProduct(sp.OneMatrix(3, 1) - a, a)).count("⊙") == 1
    assert "∘" in shown(sp.HadamardPower(a, 5))  # a fifth power keeps its exponent


_OVERLAPS = """<script>
addEventListener("load", () => {
  const inside = (p, r) => p.x > r.left + 1 && p.x < r.right - 1 && p.y > r.top + 1 && p.y < r.bottom - 1;
  const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const within = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const texts = [...document.querySelectorAll("svg text")].filter(t => t.textContent.trim())
      .map(t => ({text: t.textContent, box: t.getBoundingClientRect()}));
  const boxes = [...document.querySelectorAll("svg g.cluster > path, svg g.cluster > polygon")]
      .filter(p => !["none", "transparent"].includes(p.getAttribute("stroke"))).map(p => p.getBoundingClientRect());
  const wire = [];
  for (const p of document.querySelectorAll("svg g.edge > path")) {
    const m = p.getScreenCTM();
    for (let l = 0; l <= p.getTotalLength(); l += 2) {
      const q = p.getPointAtLength(l);
      wire.push(new DOMPoint(q.x, q.y).matrixTransform(m));
    }
  }
  const heads = [...document.querySelectorAll("svg g.edge > polygon")].map(p => p.getBoundingClientRect());
  // a text's own box: the smallest outline round its centre (a gate's, a layer's, the legend's)
  const own = r => boxes.filter(b => (r.left + r.right) / 2 > b.left && (r.left + r.right) / 2 < b.right
      && (r.top + r.bottom) / 2 > b.top && (r.top + r.bottom) / 2 < b.bottom)
    .sort((a, b) => a.width * a.height - b.width * b.height)[0];
  const bad = [], held = [];
  for (const t of texts) {
    if (boxes.some(b => meets(t.box, b) && !within(t.box, b))) bad.push("crosses a box: " + t.text);
    if (wire.some(p => inside(p, t.box)) || heads.some(h => meets(h, t.box))) bad.push("on an arrow: " + t.text);
    const b = own(t.box);
    if (!b) continue;
    held.push(t.text);
    const room = Math.min(t.box.left - b.left, b.right - t.box.right, t.box.top - b.top, b.bottom - t.box.bottom);
    if (room < 2) bad.push("touches its own box's border: " + t.text);
  }
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({texts: texts.length, boxes: boxes.length, wire: wire.length, held, bad});
  document.body.appendChild(out);
});
</script>"""




def _gallery_pages() -> dict[str, str]:
    from symdl import gallery
    from symdl.printing import rendering
    with rendering.embedded_only():
        pages = {c.slug: gallery._circuit_files(c)[f"{c.slug}.html"] for c in gallery.SEED_CIRCUITS}
        pages.update((slug, gallery._network_files(slug, build)[f"{slug}.html"]) for slug, build in gallery.NETWORKS)
    return pages


def test_no_circuit_label_overlaps_a_box_or_an_arrow(tmp_path):
    """Issue 12: in every gallery circuit, drawn by Chromium, no text crosses the border of a box,
    every text in a box (a gate's, a layer's, the legend's) stays at least 2 px inside its border, and
    no wire or arrowhead runs through a text (getBoundingClientRect of the text against the boxes'
    outlines and points every 2 px along each wire). Chromium draws with its own fonts (DejaVu here),
    not the widths Graphviz sized the boxes by: this is where the two would part."""
    browser = chromium()
    found = {}
    for slug, page in _gallery_pages().items():
        found[slug] = measured_in_chromium(browser, tmp_path, page, _OVERLAPS, name=slug)
        assert found[slug]["texts"] > 10 and found[slug]["boxes"] > 2 and found[slug]["wire"] > 100, found[slug]
        assert {"legend", "forward value", "local gradient (on an edge)"} <= set(found[slug]["held"]), found[slug]
        assert len(found[slug]["held"]) > found[slug]["boxes"], found[slug]  # the gates' texts are measured too
    assert {slug: r["bad"] for slug, r in found.items() if r["bad"]} == {}


def test_a_matrix_ops_jacobian_is_its_formula_not_nested_brackets():
    """∂(W x)/∂W of the seed 4-3-2 MLP has 3·3·4 = 36 entries: the node table printed them as
    [[[−2.4, 1.2, …]]]. A Jacobian with three or more indices is shown by its formula alone; a matrix
    (∂(W x)/∂x = W, 3×4) keeps its numbers."""
    from symdl.examples.seed_dense import seed_four_input_mlp

    net, _ = seed_four_input_mlp()
    table = node_table(net)
    assert "[[" not in table
    assert any(m.shape == (3, 4) and np.all(m == 0.1) for m in matrices(table))  # W, shown as given, as a matrix


def matrices(page: str) -> list[np.ndarray]:
    """Every bracketed MathML table of numbers in ``page``, read back as an array (rows of <mn>)."""
    def number(entry: str) -> float:
        return float(entry.replace("−", "-").replace("∞", "inf"))
    return [np.array([[number(e) for e in re.findall(r"<mn>([^<]*)</mn>", row)]
                      for row in re.findall(r"<mtr>(.*?)</mtr>", table)])
            for table in re.findall(r'<mtable class="array">((?:(?!<mtable).)*?)</mtable>', page)]


def test_a_chain_rule_row_writes_its_numbers_with_a_minus_sign():
    """The worked steps' chain-rule rows are text (∂f8/∂f7·∂f7/∂f6 = (−0.534447)·1): their negative
    numbers read (-0.534447) with a hyphen where every other number on the page has U+2212."""
    from symdl import examples
    from symdl.worksheet import load, solve

    page = report("neuron", solve(load(examples.path("sigmoid_neuron"))))
    cells = re.findall(r"<td>([^<]*∂[^<]*)</td>", page)
    assert any("(−0.534447)·1" in c for c in cells), cells
    assert not [c for c in cells if re.search(r"(?<![\w.])-\d", c)]
