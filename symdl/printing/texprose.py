"""Prose with its mathematics set as mathematics: a problem's title, source, notes and claims.

The lab notes write formulas inside sentences as plain Unicode (``hₜ₋₁ = [0.0, 0.1]``,
``W_hh hₜ₋₁ + W_xh xₜ``, ``sin(pos/n²ⁱᐟᵈ)``). Escaped as text they print literal underscores and
stacked one-character subscripts; a typesetter sets each formula as one ``$...$`` run instead:
``$h_{t-1} = [0.0, 0.1]$``. A run is a stretch of formula tokens (names with indices, single
letters, operators, function applications, bracket groups of such) with at least one operator,
index or variable in it; numbers alone and English words stay text. Everything is escaped:
a name becomes letters and digits, every other character a fixed command.
"""

from __future__ import annotations

import re

from symdl.ops import REGISTRY
from symdl.printing.texsafe import math_symbol, tex_escape

_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₋₊", "0123456789aehijklmnoprstuvx-+"))
_SUPERSCRIPTS = {**dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹ⁱⁿˣᵈᐟ⁻⁺", "0123456789inxd/-+")), "ᵀ": r"\top ", "′": r"\prime "}
_GREEK = "αβγδεηθλμπστφωΔẑ"  # Σ is the summation sign, an operator
_SUB = "[" + "".join(_SUBSCRIPTS) + "]"
_SUP = "[" + "".join(_SUPERSCRIPTS) + "]+"
#: out₂,₂ and σ² (Unicode), W_hh and w_hi^T (ASCII), h_{t-1} and e_{t,j} (braced, as TeX writes them)
_INDEX = rf"{_SUB}+(?:,{_SUB}+)*|{_SUP}|[_^]\{{[A-Za-z0-9+\-−,=. ]*\}}|[_^][A-Za-z0-9]+"
_OPERATORS = "=+−×·⋅/⇒→≈⋆⊙<>≤≥≠±√Σ∑…|‖⌊⌋½∂"
_TOKEN = re.compile(
    rf"(?P<size>\d+x\d+|(?<=\w)'s\b)"  # '1x1 Convolution', a size with the letter x; the output's: text
    r"|(?P<code>[A-Za-z]\w*(?:\.[A-Za-z]\w+)+|[A-Za-z]{2,}[A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)"  # nn.Linear, attn_mask
    rf"|(?P<word>[A-Za-z{_GREEK}∂][A-Za-z0-9{_GREEK}]*(?:{_INDEX})*)"
    r"|(?P<number>(?:(?<![\w)\]])−)?(?:\d+(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|∞))"  # −2 signed: 1 0 −1 is three numbers
    rf"|(?P<index>{_INDEX})"
    rf"|(?P<op>[{_OPERATORS}])"
    r"|(?P<open>[(\[{])|(?P<close>[)\]}])|(?P<space>\s+)|(?P<other>.)", re.S)

#: Lower-case words of two letters that are English, not a product of two variables (yz, xy).
_ENGLISH = frozenset("am an as at be by do go he if in is it me my no of on or so to up us we".split())
_ARTICLES = frozenset("aAI")
#: The functions LaTeX sets as operators (\\tanh, \\max) in prose, from the op records whose TeX is one
_FUNCTIONS = {op.name: head for op in REGISTRY.values()
              if re.fullmatch(r"\\[a-z]+", head := op.latex.split(r"\left")[0]) and head[1:] == op.name}
_UPRIGHT_INDICES = frozenset({"in", "out"})  # C_in, a channel count, not C with indices i and n


class _Group(list):
    """A bracketed stretch of tokens: ``open``, its items, ``close`` ("" when the text ends first)."""

    def __init__(self, open_: str, items: list, close: str):
        super().__init__(items)
        self.open, self.close = open_, close


def prose_tex(text: str) -> str:
    """``text`` as TeX: its words as text, every formula in it as one inline math run."""
    return _render(_tree(_tokens(str(text))))


def prose_paragraph(text: str) -> str:
    """``text`` as a paragraph of its own. A formula cannot break where a word can: rather than squeeze
    a long one's spaces to nothing (28×28×192 set solid), the paragraph keeps math spacing from shrinking
    and may stretch its spaces a little more (``\\emergencystretch``) before a line runs into the margin."""
    return (f"{{\\emergencystretch=3em \\medmuskip=4mu plus 2mu \\thickmuskip=5mu plus 5mu "
            f"{prose_tex(text)}\\par}}")


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]


def _tree(tokens: list[tuple[str, str]]) -> list:
    """Tokens with each matched bracket pair made a :class:`_Group`; an unmatched bracket stays text."""
    stack: list[tuple[str, list]] = [("", [])]
    for kind, value in tokens:
        if kind == "open":
            stack.append((value, []))
        elif kind == "close" and len(stack) > 1:
            open_, items = stack.pop()
            stack[-1][1].append(_Group(open_, items, value))
        else:
            stack[-1][1].append(("other", value) if kind == "close" else (kind, value))
    while len(stack) > 1:  # an opening bracket never closed: its tokens, the bracket as text
        open_, items = stack.pop()
        stack[-1][1].extend([("other", open_), *items])
    return stack[0][1]


def _next_item(items: list, i: int):
    return items[i + 1] if i + 1 < len(items) else None


def _strength(items: list, i: int, applied: bool = False) -> str:
    """"strong" for a formula token, "weak" for a number (a formula only next to one), "" for text;
    ``applied``: inside a function's parentheses, where every word is a formula's (PE(pos, 2i))."""
    item, after = items[i], _next_item(items, i)
    if isinstance(item, _Group):
        if item.close == "" or item.open == "{":
            return ""
        applied = applied or _applies(items, i)
        inner = [_strength(item, j, applied) for j, sub in enumerate(item) if not _is_gap(sub)]
        if "" in inner:
            return ""
        return "strong" if "strong" in inner else "weak"
    kind, value = item
    if kind in ("op", "index"):
        return "strong"
    if kind == "number":
        return "weak"
    if kind in ("size", "code", "other", "space"):
        return ""
    if applied or isinstance(after, _Group) and after.open == "(" and after.close:
        return "strong"  # f(x), max(z, w), ReLU(x): a function applied
    if after == ("other", ")"):
        return ""  # a list's label, "c)"
    if _between_operators(items, i):
        return "strong"  # (n − kernel + 1): a word standing for a number
    if not value.isascii() or re.search("[_^]", value) or len(value) == 1 and value not in _ARTICLES:
        return "strong"  # an index, a Greek letter, a single letter: x, hₜ₋₁, W_hh, σ²
    if re.fullmatch(r"[A-Za-z]\d+", value) or len(value) == 2 and value.islower() and value not in _ENGLISH:
        return "strong"  # h1 (h₁), yz (y times z)
    return ""


def _aside(items: list, i: int) -> bool:
    """True for a parenthesis after a space that no operator leads into: x₂ (w = (1, −1)), −0.54 (−0.534447)."""
    if not (isinstance(items[i], _Group) and items[i].open == "(" and _is_gap(items[i - 1])):
        return False
    solid = [item for item in items[:i] if not _is_gap(item)]
    return not solid or isinstance(solid[-1], _Group) or solid[-1][0] != "op"


def _listed_numbers(run: list) -> bool:
    """True for numbers side by side with only a space between (a window 1 3 2 / 8 3 5): not a formula."""
    solid = [(item, k) for k, item in enumerate(run) if not (not isinstance(item, _Group) and item[0] == "space")]
    return any(not isinstance(a, _Group) and not isinstance(b, _Group) and a[0] == b[0] == "number" and k + 1 < m
               for (a, k), (b, m) in zip(solid, solid[1:]))


def _between_operators(items: list, i: int) -> bool:
    solid = [k for k, item in enumerate(items) if isinstance(item, _Group) or item[0] != "space"]
    at = solid.index(i)
    return 0 < at < len(solid) - 1 and all(not isinstance(items[solid[at + d]], _Group)
                                           and items[solid[at + d]][0] == "op" for d in (-1, 1))


def _applies(items: list, i: int) -> bool:
    """True when the group ``items[i]`` is a function's argument list: a word right before it."""
    return i > 0 and not isinstance(items[i - 1], _Group) and items[i - 1][0] == "word"


def _is_gap(item) -> bool:
    return not isinstance(item, _Group) and item[0] == "space" or item == ("other", ",")


def _render(items: list) -> str:
    """Text and math runs: a run is formula tokens and the spaces between them, with one strong token
    (a comma outside brackets ends a run: $x = 1$, $y = 2$)."""
    strengths = ["gap" if not isinstance(item, _Group) and item[0] == "space" else _strength(items, i)
                 for i, item in enumerate(items)]
    out, i = [], 0
    while i < len(items):
        if strengths[i] in ("strong", "weak"):
            j = i
            while j + 1 < len(items) and strengths[j + 1] in ("strong", "weak", "gap") and not _aside(items, j + 1):
                j += 1
            while strengths[j] == "gap":
                j -= 1
            run = items[i:j + 1]
            if "strong" in strengths[i:j + 1] and not _listed_numbers(run):
                out.append(f"${_math(run)}$")
            else:
                out.append(_text(run))
            i = j + 1
        elif isinstance(items[i], _Group):
            out.append(_text([("other", items[i].open)]) + _render(items[i]) + _text([("other", items[i].close)]))
            i += 1
        else:
            out.append(_text([items[i]], previous="".join(out)[-1:]))
            i += 1
    return "".join(out)


def _text(items: list, previous: str = "") -> str:
    """Text, with a quotation's opening mark as TeX's ` (after a space or a bracket), not as ';
    a name from code (nn.Linear, attn_mask) in typewriter type."""
    text = _plain(items)
    if len(items) == 1 and not isinstance(items[0], _Group) and items[0][0] == "code":
        return rf"\texttt{{{tex_escape(text)}}}"
    if text in ("'", '"') and previous in ("", " ", "(", "["):
        return "`" if text == "'" else "``"
    return "''" if text == '"' else tex_escape(text)


def _plain(items: list) -> str:
    return "".join(item.open + _plain(item) + item.close if isinstance(item, _Group) else item[1] for item in items)


def _math(items: list) -> str:
    """A run's tokens as math: names with their indices, operators as symbols, √ over what follows."""
    parts, i = [], 0
    while i < len(items):
        item, after = items[i], _next_item(items, i)
        if isinstance(item, _Group):
            parts.append(_bracket(item.open) + _math(item) + _bracket(item.close))
        elif item == ("op", "√") and after is not None and not _is_gap(after):
            parts.append(r"\sqrt{" + (_math(after) if isinstance(after, _Group) else _math([after])) + "}")
            i += 1
        else:
            parts.append(_math_token(*item, applied=isinstance(after, _Group) and after.open == "("))
        i += 1
    return re.sub(" +", " ", "".join(parts)).strip()


def _bracket(b: str) -> str:
    return {"{": r"\{", "}": r"\}"}.get(b, b)


def _math_token(kind: str, value: str, applied: bool = False) -> str:
    if kind == "space":
        return " "
    if value == ",":
        return r",\allowbreak "  # a long list in a sentence may end a line after a comma, as text would
    if kind == "number":
        return value.replace(",", "{,}").replace("−", "-").replace("∞", r"\infty ")  # 120,422,400: a digit group's comma, no space after it
    if kind == "word":
        return _name(value, applied)
    if kind == "index":
        return _indices(value)
    return _symbol(value)


def _symbol(c: str) -> str:
    """Σ as the summation sign (the notes' Σⱼ αⱼ hⱼ sums), … as \\ldots; others as texsafe sets them."""
    return {"Σ": r"\sum", "…": r"\ldots"}.get(c) or math_symbol(c) + ("" if c.isascii() else " ")


def _name(word: str, applied: bool) -> str:
    """x, hₜ₋₁ as h_{t-1}, W_hh as W_{hh}, h1 as h_{1}, tanh as \\tanh, ReLU as an operator's name."""
    base = re.match(rf"[A-Za-z0-9{_GREEK}∂]*", word).group()
    indices = _indices(word[len(base):])
    digits = re.fullmatch(r"([A-Za-z])(\d+)", base)
    if digits:
        return f"{digits[1]}_{{{digits[2]}}}{indices}"
    if base in _FUNCTIONS:
        return _FUNCTIONS[base] + indices + ("" if indices else " ")
    if base.isascii() and (len(base) > 2 or len(base) > 1 and (applied or base.isupper())):
        return rf"\operatorname{{{base}}}{indices}" if applied else rf"\mathrm{{{base}}}{indices}"
    return "".join(map(_symbol, base)) + indices


def _indices(text: str) -> str:
    """Unicode sub- and superscripts and ``_in`` as one ``_{...}`` and one ``^{...}``."""
    subs, sups = "", ""
    for part in re.findall(_INDEX, text):
        if part[0] in "_^":
            inner = part[1:].strip("{}") if part[1:2] == "{" else part[1:]
            inner = rf"\mathrm{{{inner}}}" if inner in _UPRIGHT_INDICES else "".join(map(_symbol, inner))
            subs, sups = (subs + inner, sups) if part[0] == "_" else (subs, sups + inner)
        elif part[0] in _SUPERSCRIPTS:
            sups += "".join(_SUPERSCRIPTS[c] for c in part)
        else:
            subs += "".join(_SUBSCRIPTS.get(c, c) for c in part)
    return (f"_{{{subs}}}" if subs else "") + (f"^{{{sups}}}" if sups else "")
