"""The format registry: every file symdl writes is one entry (name, suffix, media type, what it prints),
and the command line and the gallery both list their formats from it."""

from __future__ import annotations

import json

import pytest

import symdl
from symdl import examples as bundled
from symdl import formats, gallery
from symdl.cli.parser import build_parser, subcommands
from symdl.printing import exports
from symdl.worksheet import check, load, solve


def _file_options(command: str) -> set[str]:
    parser = subcommands(build_parser())[command]
    return {option for action in parser._actions for option in action.option_strings
            if action.metavar == "FILE"}


def test_every_format_has_a_producer_for_each_kind_it_prints_and_no_other():
    registered = {f"{kind}_{f.name}" for f in formats.FORMATS for kind in f.prints}
    for f in formats.FORMATS:
        for kind in f.prints:
            assert callable(f.producer(kind))
    written = {name for name in vars(exports)
               if name.split("_")[0] in formats.KINDS and name.partition("_")[2] in formats.BY_NAME}
    assert written == registered  # no producer that the registry does not name


def test_a_format_refuses_a_kind_it_does_not_print():
    with pytest.raises(KeyError, match="png format does not print a derivation"):
        formats.BY_NAME["png"].producer("derivation")


def test_the_command_line_offers_the_file_formats_of_the_registry():
    """The options as they were listed by hand before the registry (``--json`` prints, it writes no file)."""
    assert _file_options("backprop") == {"--dot", "--svg", "--png", "--pdf", "--tikz", "--tex", "--fragment", "--html"}
    assert _file_options("derive") == {"--tex", "--fragment", "--html"}


def test_the_gallery_writes_the_formats_of_the_registry():
    assert {f.name for f in gallery.CIRCUIT_FORMATS} == {"svg", "tikz", "tex", "html", "json", "txt"}
    assert {f.name for f in gallery.DERIVATION_FORMATS} == {"tex", "html", "json", "txt"}


def test_each_file_is_what_its_media_type_says():
    result = symdl.backprop("x*y", at={"x": 2, "y": 3})
    looks = {"text/html": lambda c: c.startswith("<!DOCTYPE html>"), "application/json": lambda c: json.loads(c),
             "image/svg+xml": lambda c: "<svg" in c[:400], "application/x-tex": lambda c: "\\" in c,
             "text/vnd.graphviz": lambda c: c.lstrip().startswith("digraph"), "text/plain": lambda c: "x" in c}
    for f in formats.printing("backprop"):
        if f.name in ("png", "pdf"):
            continue  # need a system Graphviz; the CLI tests write them where it is installed
        content = exports.produce("backprop", f.name, result, "x·y")
        assert looks[f.media_type](content), f.name


def test_a_derivative_worksheet_has_no_circuit_files():
    derivative = solve(load(bundled.path("relu_definition")))
    circuit = solve(load(bundled.path("add_after_mul")))
    assert set(exports.worksheet_files(derivative, check(derivative))) == {"txt", "json", "tex", "fragment.tex", "html"}
    assert set(exports.worksheet_files(circuit, check(circuit))) == {"txt", "json", "tex", "fragment.tex", "html", "svg", "tikz"}
