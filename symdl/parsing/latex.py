r"""LaTeX math to SymPy, with its own tokenizer and recursive-descent parser.

Only the commands listed here are understood; any other (``\input``,
``\write``, ``\def``...) is a :class:`ParseError` naming it and its
position. The same limits as for expression text apply.

    expr     := product (('+' | '-') product)*
    product  := sign* factor (times sign* factor | factor)*   # juxtaposition multiplies too;
    times    := '*' | '\cdot' | '\times' | '/' | '\div'     # a leading sign negates the product
    sign     := '-' | '+'
    factor   := primary ['^' argument]                    # -x^2 = -(x^2); x^a^b is an error
    argument := '{' expr '}' | one token                  # x^23 is x^2·3, as in TeX
    primary  := NUMBER | letter [sub] | greek [sub] | '\pi' | function
              | '\frac' argument argument | '\sqrt' ['[' expr ']'] argument
              | '(' expr ')' | '[' expr ']' | '{' expr '}' | '\left' D expr '\right' D | '|' expr '|'
    sub      := '_' ('{' (letter | digits)+ '}' | letter | digit)     # w_{0} -> symbol w_0, W_{hh} -> W_hh
    function := name ['^' argument] ('(' expr (',' expr)* ')' | '\left(' ... '\right)' | '{' expr '}' | factor)
                [component]                               # only after a vector function (softmax)
    component:= '[' DIGITS ']' | '_' ('{' DIGITS '}' | DIGIT)  # softmax(x_1, x_2)[1], \operatorname{softmax}(…)_{1}
    name     := '\exp' | '\log' | '\ln' | '\sin' | '\cos' | '\tanh' | '\max' | '\min' | ...
              | ('\operatorname' | '\mathrm' | '\text') '{' letters '}' | '\sigma' followed by a group

Letters are one-letter symbols (``xy`` is x·y); ``e`` is Euler's number, so
``e^{x}`` is exp(x); ``\mathrm{e}`` too. Greek letters are symbols named after
them (``\alpha`` -> alpha), except ``\lambda`` -> ``lamda`` as in SymPy, since
``lambda`` is a Python keyword. A function without parentheses takes the next
factor only: ``\tanh x^2`` is tanh(x²), ``\sin 2x`` is sin(2)·x. ``\sin^{2}{x}``
is sin(x)², SymPy's own notation. ``|`` opens an absolute value where an
operand may start and closes the innermost open one elsewhere.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import sympy as sp

from symdl.errors import ParseError
from symdl.op_record import REGISTRY
from symdl.parsing._build import Cursor
from symdl.parsing._names import (call_aliases, check_depth, check_length, check_name, check_text, guarded,
                                  known_functions, operator_words, quote, resolve)

_TOKEN = re.compile(r"(?P<space>[ \t\r\n]+)|\\(?P<command>[A-Za-z]+|[,;:! ])"
                    r"|(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)|(?P<letter>[A-Za-z])"
                    r"|(?P<symbol>[-+*/^_{}()\[\]|,])", re.ASCII)

_SPACING = {",", ";", ":", "!", " ", "quad", "qquad"}
_GREEK = {name: name for name in (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa mu nu xi rho varrho "
    "sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon "
    "Phi Psi Omega").split()} | {"lambda": "lamda"}
# LaTeX's own operator names; each is a function if the registry (or an alias) knows it.
_OPERATORS = set("exp log ln lg sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan "
                 "max min sup inf det arg deg dim gcd ker lim".split())
_STRUCTURE = {"frac", "dfrac", "tfrac", "sqrt", "left", "right", "cdot", "times", "div", "pi",
              "operatorname", "mathrm", "text"}
_FUNCTION_WORDS = {r"\operatorname", r"\text"}  # a word that must name a function (\mathrm may be a symbol)
_KNOWN = _STRUCTURE | _OPERATORS | set(_GREEK)
_TIMES = {"*", r"\cdot", r"\times"}
_DIVIDE = {"/", r"\div"}
_NOT_FACTORS = _TIMES | _DIVIDE | {r"\right"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_LEFT_CLOSERS = {"(": ")", "[": "]", "|": "|"}


class Token(NamedTuple):
    kind: str  # "number", "letter", "command", "symbol" or "end"
    text: str
    position: int


def _tokenize(text: str) -> list[Token]:
    """All tokens up front: an unknown character or command is refused before anything is built."""
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ParseError(f"unexpected character {quote(text[position])}", text, position)
        kind, value = match.lastgroup, match.group()
        if kind == "command":
            name = match.group("command")
            check_length(name)
            if name not in _SPACING and name not in _KNOWN:
                raise ParseError(f"unsupported LaTeX command {quote(value)}", text, position)
            kind = "space" if name in _SPACING else kind
        if kind != "space":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser(Cursor):
    """Recursive descent over one token list; ``depth`` counts nesting against max_depth."""

    def __init__(self, text: str):
        super().__init__(text, _tokenize(text))
        self.bars = 0  # bare |...| open at the current bracket level: a '|' after an operand closes one

    def expression(self) -> sp.Expr:
        if self._peek().kind == "end":
            raise ParseError("empty expression", self.text, 0)
        expr = self._expr(0)
        if self._peek().kind != "end":
            raise self._unexpected(self._peek())
        return self.build.finish(expr)

    def _expr(self, depth: int) -> sp.Expr:
        """A sum of products, read in one loop so that nesting costs few stack frames.

        A sign before a product covers the whole product: -a b is -(a b), as SymPy prints it."""
        terms = []
        negative, inner = self._signs(depth)
        factors = [self._factor(inner)]
        while True:
            token = self._peek()
            if token.text in ("+", "-"):
                self._advance()
                terms.append(self.build.product(factors, negative))
                negative, inner = self._signs(depth)
                negative ^= token.text == "-"
                factors = [self._factor(inner)]
            elif token.text in _TIMES or token.text in _DIVIDE:
                self._advance()
                operand = self._operand(depth)
                factors.append(operand if token.text in _TIMES else self.build.reciprocal(operand))
            elif self._starts_factor(token):
                factors.append(self._factor(depth))
            else:
                break
        terms.append(self.build.product(factors, negative))
        return self.build.total(terms)

    def _starts_factor(self, token: Token) -> bool:
        if token.kind in ("number", "letter") or token.text in _OPENERS:
            return True
        if token.text == "|":
            return self.bars == 0
        return token.kind == "command" and token.text not in _NOT_FACTORS

    def _signs(self, depth: int) -> tuple[bool, int]:
        """Read a run of unary signs; each counts as one level of nesting."""
        negative = False
        while self._peek().text in ("-", "+"):
            negative ^= self._advance().text == "-"
            depth = check_depth(depth + 1)
        return negative, depth

    def _operand(self, depth: int) -> sp.Expr:
        r"""A factor after an explicit operator, which may carry its own sign: 2 \cdot -x."""
        negative, depth = self._signs(depth)
        value = self._factor(depth)
        return -value if negative else value

    def _factor(self, depth: int) -> sp.Expr:
        value = self._primary(depth)
        if self._peek().text == "^":
            hat = self._advance()
            value = self.build.power(value, self._argument(depth + 1), hat.position)
            if self._peek().text == "^":
                raise ParseError("double superscript: write x^{ab} or {x^a}^b", self.text,
                                 self._peek().position)
        return value

    def _argument(self, depth: int) -> sp.Expr:
        """A TeX argument: a braced group, or one token (one digit of a number: x^23 is x^2·3)."""
        check_depth(depth)
        token = self._peek()
        if token.text == "{":
            return self._inside(self._advance(), "}", depth)[0]
        if token.kind == "number" and token.text[0].isdigit():
            return self.build.number(self._digit().text)
        if token.kind in ("letter", "command"):
            return self._primary(depth)
        found = quote(token.text or "end of input")
        raise ParseError(f"expected a braced group or a single token, found {found}", self.text, token.position)

    def _primary(self, depth: int) -> sp.Expr:
        token = self._advance()
        if token.kind == "number":
            return self.build.number(token.text)
        if token.kind == "letter":
            return self.build.name(self._subscripted(token.text), token.position)
        if token.text in _OPENERS:
            return self._inside(token, _OPENERS[token.text], depth + 1)[0]
        if token.text == "|":
            return self.build.call("abs", self._inside(token, "|", depth + 1), token.position)
        if token.kind == "command":
            return self._command(token, depth)
        raise self._unexpected(token)

    def _command(self, token: Token, depth: int) -> sp.Expr:
        name = token.text[1:]
        if name in ("frac", "dfrac", "tfrac"):
            top, bottom = self._argument(depth + 1), self._argument(depth + 1)
            return self.build.product([top, self.build.reciprocal(bottom)])
        if name == "sqrt":
            return self._sqrt(token, depth)
        if name == "left":
            return self._left(token, depth)
        if name == "pi":
            return self.build.name("pi", token.position)
        if name in call_aliases() and self._peek().text in ("(", "{", r"\left"):
            return self._function(call_aliases()[name], token, depth)
        if name in _GREEK:
            return self.build.name(self._subscripted(_GREEK[name]), token.position)
        if name in _OPERATORS:
            return self._function(name, token, depth)
        if name in ("operatorname", "mathrm", "text"):
            return self._word(token, depth)
        raise self._unexpected(token)

    def _function(self, name: str, token: Token, depth: int) -> sp.Expr:
        r"""A function and its argument(s); SymPy writes powers of functions as \tanh^{2}{(x)}."""
        self.build.lookup(name, token.position)
        exponent = None
        if self._peek().text == "^":
            self._advance()
            exponent = self._argument(depth + 1)
            if exponent == -1:
                raise ParseError(f"{quote(token.text + '^{-1}')} (an inverse function) is not supported",
                                 self.text, token.position)
        arguments = self._arguments(depth + 1)
        index = self._component() if REGISTRY[self.build.lookup(name, token.position)].indexed else None
        value = self.build.call(name, arguments, token.position, index)
        return value if exponent is None else self.build.power(value, exponent, token.position)

    def _component(self) -> tuple[sp.Integer, int] | None:
        r"""A vector function's component, ``[1]`` as expression text writes it or ``_{1}`` as LaTeX does,
        and where it was written; None if none follows (the builder then asks for one)."""
        opener = self._peek()
        if opener.text not in ("[", "_"):
            return None
        self._advance()
        braced = opener.text == "_" and self._peek().text == "{"
        if braced:
            self._advance()
        token = self._digit() if opener.text == "_" and not braced and self._peek().kind == "number" else self._advance()
        if token.kind != "number" or not token.text.isdigit():
            raise ParseError(f"expected a component number such as [1] after {quote(opener.text)}, "
                             f"found {quote(token.text or 'end of input')}", self.text, token.position)
        closer = "]" if opener.text == "[" else "}" if braced else None
        if closer is not None:
            if self._peek().text != closer:
                raise self._unclosed(opener, closer)
            self._advance()
        return self.build.number(token.text), token.position

    def _arguments(self, depth: int) -> list[sp.Expr]:
        r"""A function's arguments: (a, b), \left(a, b\right), {a}, or else the next factor alone."""
        token = self._peek()
        if token.text == "(":
            return self._inside(self._advance(), ")", depth, commas=True)
        if token.text == r"\left" and self.tokens[self.at + 1].text == "(":
            self._advance()
            return self._inside(self._advance(), ")", depth, commas=True, left=True)
        if token.text == "{":
            return self._inside(self._advance(), "}", depth)
        return [self._factor(check_depth(depth))]

    def _sqrt(self, token: Token, depth: int) -> sp.Expr:
        index = None
        if self._peek().text == "[":
            index = self._inside(self._advance(), "]", depth + 1)[0]
        radicand = self._argument(depth + 1)
        if index is None:
            return self.build.call("sqrt", [radicand], token.position)
        return self.build.power(radicand, self.build.reciprocal(index), token.position)

    def _left(self, token: Token, depth: int) -> sp.Expr:
        delimiter = self._advance()
        if delimiter.text not in _LEFT_CLOSERS:
            raise ParseError(rf"unsupported delimiter after \left: {quote(delimiter.text or 'end of input')}",
                             self.text, delimiter.position)
        inner = self._inside(delimiter, _LEFT_CLOSERS[delimiter.text], depth + 1, left=True)
        return self.build.call("abs", inner, token.position) if delimiter.text == "|" else inner[0]

    def _word(self, token: Token, depth: int) -> sp.Expr:
        r"""\operatorname{ReLU}, \text{softmax} or \mathrm{e}: a function by its name, or (\mathrm only) e or a symbol."""
        opener = self._advance()
        if opener.text != "{":
            raise ParseError(f"expected '{{' after {quote(token.text)}", self.text, opener.position)
        word, start = "", self._peek().position
        while self._peek().kind == "letter":
            word += self._advance().text
        self._close(opener, "}", left=False)
        for spelling in (word, word.lower(), operator_words().get(word.lower())):
            if spelling and resolve(spelling):
                return self._function(spelling, token, depth)
        if token.text in _FUNCTION_WORDS or not word:
            raise ParseError(f"unknown function {quote(word)} in {quote(token.text)} (known functions: "
                             f"{known_functions()})", self.text, token.position)
        name = self._subscripted(check_name(word, self.text, start))
        return self.build.name(name, token.position)

    def _subscripted(self, base: str) -> str:
        """``w_0``, ``w_{0}``, ``W_{hh}``: the name with its subscript, as the symbol w_0, W_hh."""
        if self._peek().text != "_":
            return base
        underscore = self._advance()
        token = self._peek()
        if token.text == "{":
            opener = self._advance()
            parts = []
            while self._peek().kind == "letter" or self._peek().text.isdigit():
                parts.append(self._advance().text)
            self._close(opener, "}", left=False)
            subscript = "".join(parts)
        elif token.kind == "letter":
            subscript = self._advance().text
        elif token.kind == "number" and token.text[0].isdigit():
            subscript = self._digit().text
        else:
            subscript = ""
        if not subscript:
            raise ParseError("a subscript must be letters or digits, e.g. w_0 or W_{hh}", self.text,
                             underscore.position)
        return check_name(f"{base}_{subscript}", self.text, underscore.position)

    def _inside(self, opener: Token, closer: str, depth: int, commas: bool = False,
                left: bool = False) -> list[sp.Expr]:
        r"""The expression(s) between a bracket pair: ( ), [ ], { }, | |, or \left ... \right."""
        check_depth(depth)
        saved, self.bars = self.bars, int(closer == "|" and not left)
        items = [self._expr(depth)]
        while commas and self._peek().text == ",":
            self._advance()
            items.append(self._expr(depth))
        self._close(opener, closer, left)
        self.bars = saved
        return items

    def _close(self, opener: Token, closer: str, left: bool) -> None:
        shown = (r"\right" if left else "") + closer
        if left and self._peek().text == r"\right":
            self._advance()
        elif left:
            raise self._unclosed(opener, shown)
        if self._peek().text != closer:
            raise self._unclosed(opener, shown)
        self._advance()

    def _unclosed(self, opener: Token, closer: str) -> ParseError:
        token = self._peek()
        if token.kind == "end":
            return ParseError(f"unbalanced {quote(opener.text)}: it is never closed with {quote(closer)}",
                              self.text, opener.position)
        return ParseError(f"expected {quote(closer)} to close {quote(opener.text)} (at position "
                          f"{opener.position}), found {quote(token.text)}", self.text, token.position)

    def _digit(self) -> Token:
        """Take the first digit of a number token and leave the rest for later, as TeX does."""
        token = self._advance()
        if len(token.text) > 1:
            self.at -= 1
            self.tokens[self.at] = Token("number", token.text[1:], token.position + 1)
        return Token("number", token.text[0], token.position)

    def _unexpected(self, token: Token) -> ParseError:
        if token.kind == "end":
            return ParseError("unexpected end of input", self.text, token.position)
        if token.text in (")", "]", "}", r"\right"):
            return ParseError(f"unbalanced {quote(token.text)}: nothing to close", self.text, token.position)
        return ParseError(f"unexpected {quote(token.text)}", self.text, token.position)


@guarded
def parse_latex(text: str) -> sp.Expr:
    r"""Parse LaTeX such as ``\frac{1}{1+e^{-(w_0 x_0 + w_1 x_1 + w_2)}}`` into SymPy."""
    return _Parser(check_text(text, "LaTeX")).expression()
