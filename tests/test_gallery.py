"""The gallery: every seed example in every format, byte-for-byte reproducible."""

from __future__ import annotations

import html
import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from symdl import gallery
from symdl.files import OutputError
from symdl.gallery import CIRCUIT_FORMATS, SEED_CIRCUITS, write_gallery


def test_regenerating_gives_identical_bytes(tmp_path, gallery_files):
    """A second build, written to disk, is byte for byte the session's first, built in memory."""
    out = tmp_path / "figures"
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in write_gallery(out)}
    assert sorted(written) == sorted(gallery_files)
    for name, built in gallery_files.items():
        assert written[name] == (built if isinstance(built, bytes) else built.encode("utf-8")), name


def test_every_circuit_in_every_format_with_its_numbers(gallery_files):
    files = gallery_files
    for circuit in SEED_CIRCUITS:
        for fmt in CIRCUIT_FORMATS:  # the registry's formats for a gallery page
            assert f"{circuit.slug}.{fmt.suffix}" in files
        ElementTree.fromstring(files[f"{circuit.slug}.svg"])  # well-formed
    # the exploding chain, by hand: L = ½(125 − 1)² = 7688, ∂L/∂x = 124·5·5·5
    exploding = json.loads(files["exploding_relu_chain.json"])
    assert exploding["value"] == 7688 and exploding["gradients"]["x"] == 15500
    assert "15500" in files["exploding_relu_chain.svg"] and "7688" in files["exploding_relu_chain.svg"]
    assert "15500" in files["exploding_relu_chain.tex"] and "15500" in files["exploding_relu_chain.html"]


def _links(index: str) -> list[tuple[str, str]]:
    return [(html.unescape(href), html.unescape(re.sub(r"<[^>]+>", "", label)))
            for href, label in re.findall(r'<a href="([^"]*)">(.*?)</a>', index)]


def test_index_links_every_file_once_and_each_page_by_its_title(gallery_files):
    files = gallery_files
    links = _links(files["index.html"])
    hrefs = [href for href, _ in links]
    assert sorted(hrefs) == sorted(n for n in files if n != "index.html")  # every file, once, and nothing else
    for href, label in links:
        if href.endswith(".html"):  # a page's link reads the title the page itself shows
            assert label == html.unescape(re.search(r"<h1>(.*?)</h1>", files[href]).group(1)), href
    assert ("d_tanh.html", "d/dx tanh(x)") in links and ("d_tanh.tex", "tex") in links
    assert "d/dx tanh(x) = 1 − tanh²(x)" in files["d_tanh.txt"]


def test_index_groups_the_pages_by_kind(gallery_files):
    index = gallery_files["index.html"]
    sections = dict(re.findall(r"<h2>(.*?)</h2>(.*?)</section>", index, re.DOTALL))
    assert list(sections) == ["Derivatives", "Computational graphs", "Networks", "Worksheets", "Plots"]
    kinds = {"Derivatives": r"d_\w+\.", "Computational graphs": "|".join(c.slug + r"\." for c in SEED_CIRCUITS),
             "Networks": "|".join(slug + r"\.(html|svg)" for slug, _ in gallery.NETWORKS) + r"|convolution\.json",
             "Worksheets": r"worksheets/", "Plots": "|".join(slug + r"\.svg" for slug, _, _ in gallery.PLOTS)}
    for heading, pattern in kinds.items():
        hrefs = [href for href, _ in _links(sections[heading])]
        assert hrefs and all(re.match(pattern, href) for href in hrefs), (heading, hrefs)


def test_index_links_the_benchmark_plots_when_they_are_there(tmp_path):
    out = tmp_path / "figures"
    out.mkdir()
    (out / "bench_kernels.svg").write_text("<svg/>")  # as bench/run.py leaves it; bench_scaling.svg is missing
    write_gallery(out, examples=None)
    hrefs = [href for href, _ in _links((out / "index.html").read_text(encoding="utf-8"))]
    assert "bench_kernels.svg" in hrefs and "bench_scaling.svg" not in hrefs
    assert all((out / href).is_file() for href in hrefs)  # no link to a file that is not there


def test_gallery_diagrams_come_from_the_embedded_graphviz_on_every_machine(gallery_files):
    """The embedded engine is Graphviz 16; Debian's system dot is 2.x. Same bytes everywhere."""
    from symdl.printing import rendering

    with rendering.embedded_only():
        assert rendering.backend() == rendering.WASI
    assert "graphviz version 16" in gallery_files["add_mul.svg"]


def test_worksheets_are_solved_and_checked_into_the_gallery(gallery_files):
    from symdl import examples as bundled

    files = gallery_files  # the bundled examples, the default
    stems = [p.stem for p in bundled.folder().glob("*.toml")]
    assert stems and all(f"worksheets/{stem}.html" in files for stem in stems)
    check = files["worksheets/check.txt"]
    assert "∂f/∂x = 0   correct: 1" in check  # f = x + yz: the add gate's 0
    assert "∂f9/∂x = 155   correct: 15500" in check  # the exploding chain
    assert 'href="worksheets/check.txt"' in files["index.html"]


def _bad_outs(tmp_path):
    (tmp_path / "file").write_text("")
    (tmp_path / "worksheets_file").mkdir()
    (tmp_path / "worksheets_file" / "worksheets").write_text("")
    return [(tmp_path / "file", "not a directory"), (tmp_path / "file" / "out", "no such directory"),
            (tmp_path / "missing" / "out", "no such directory"), (tmp_path / "worksheets_file", "not a directory"),
            (Path("/proc"), "cannot write to /proc"), (Path("/proc/symdl"), "cannot create /proc/symdl")]


def test_an_output_that_cannot_be_written_is_refused_before_any_example_is_solved(tmp_path, monkeypatch):
    solved = []
    monkeypatch.setattr(gallery, "_steps", lambda problem_files: solved.append(problem_files) or [])
    for out, message in _bad_outs(tmp_path):
        if out.parts[1] == "proc" and not Path("/proc/self").exists():
            continue  # no procfs here
        before = sorted(tmp_path.rglob("*"))
        with pytest.raises(OutputError, match=message):
            write_gallery(out)
        assert solved == [] and sorted(tmp_path.rglob("*")) == before, out
    written = write_gallery(tmp_path / "new")  # no example solved: an index of nothing
    assert [p.name for p in written] == ["index.html"] and solved == [[*sorted(gallery.BUNDLED.glob("*.toml"))]]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a directory without write permission")
def test_an_unwritable_output_directory_is_refused_before_any_example_is_solved(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "_steps", lambda problem_files: pytest.fail("solved before the check"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    for out in (locked, locked / "out"):
        with pytest.raises(OutputError, match="Permission denied"):
            write_gallery(out)


def test_the_index_lists_the_worksheets_in_the_notes_order_and_data_as_a_format():
    """By file name the list opened with "f = x + y z" (add_after_mul); the notes open with tanh's quotient
    rule and meet the perceptron before the computational graphs. convolution.json is data, not a page:
    its label is text and the file its "json" link."""
    from symdl.printing import html as pages

    stems = ["add_after_mul", "tanh_quotient_rule", "perceptron_and", "zz_not_in_the_course", "rnn"]
    files = {f"worksheets/{stem}.html": pages.page(stem, []) for stem in stems}
    files["convolution.json"] = "{}"
    groups = {heading: items for heading, _, items in gallery._index_groups(files)}
    assert [href for _, href, _ in groups["Worksheets"]] == [
        f"worksheets/{stem}.html" for stem in ("tanh_quotient_rule", "perceptron_and", "add_after_mul", "rnn",
                                               "zz_not_in_the_course")]
    (data,) = groups["Networks"]
    assert data[1] is None and data[2] == [("json", "convolution.json")]
    index = pages.index("t", gallery._index_groups(files))
    assert ("convolution.json", "json") in _links(index)
    assert "with the notes' slips" in html.unescape(index) and not any(label.endswith("(JSON)") for _, label in _links(index))


def test_a_circuit_title_writes_names_as_its_table_does():
    """The node table's MathML sets w0 as w with index 0; the title wrote w0·x0 above it."""
    (neuron,) = [c for c in SEED_CIRCUITS if c.slug == "sigmoid_neuron"]
    page = gallery._circuit_files(neuron)["sigmoid_neuron.html"]
    title = html.unescape(re.search(r"<h1>(.*?)</h1>", page).group(1))
    assert "exp(−w₀·x₀ − w₁·x₁ − w₂)" in title and title.endswith("at w₀ = 2, w₁ = −3, w₂ = −3, x₀ = −1, x₁ = −2")
    assert "<msub><mi>w</mi><mi>0</mi></msub>" in page  # the table's w₀
    (maxgate,) = [c for c in SEED_CIRCUITS if c.slug == "max_gate"]
    assert "f = 2(x·y + max(w, z))" in html.unescape(gallery._circuit_files(maxgate)["max_gate.html"])  # not distributed
