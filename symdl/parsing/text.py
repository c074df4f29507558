"""Expression text to SymPy, with a hand-written tokenizer and recursive-descent parser.

User text is never given to ``eval``, ``sympify`` or ``parse_expr``: only this
grammar is understood, and everything else is a :class:`ParseError` naming the
offending token and its 0-based position. Whitespace is free; in named steps a
newline ends a step like ``;``.

    steps    := step ((';' | newline) step)*          each NAME fresh, not a function
    step     := NAME '=' expr
    expr     := product (('+' | '-') product)*
    product  := sign* term (('*' | '/') sign* term)*      # a leading sign negates the product
    term     := NUMBER factor | factor                     # 2f3, 2(x + 1), 3x²: the number touching it
    factor   := primary (('**' | '^') sign* factor)?       # right-assoc; -x**2 = -(x**2), x**-1
    sign     := '-' | '+'
    primary  := atom POWER?                                # x², (x + 1)⁻¹, e⁻¹: touching the atom
    atom     := NUMBER | NAME | 'e' RAISED | NAME POWER? '(' [expr (',' expr)*] ')' ['[' INTEGER ']' | (₀ … ₉)+]
              | '(' expr ')' | '|' expr '|' | '√' primary  # eˣ = exp(x), tanh²(x) = tanh(x)², √x
    NUMBER   := 12 | 0.5 | .5 | 1e-3 | 2.5E+2 | 1.0e−5    # exact: integers and Rationals
    NAME     := ([A-Za-z_][A-Za-z0-9_]* | α…ω | Φ) SUB*   # pi, π, e, E are constants; x₁ is x_1, α is alpha
    POWER    := ⁻? (⁰ … ⁹)+      RAISED := ⁻? (ᵃ … ᶻ)     SUB := ₀ … ₉ ₐ ₑ … ₓ

Callable names are the registry's function ops plus the aliases in ``_names``
(``ln``, ``Abs``, ``Max``, ``Min``, ``Heaviside``, ``sigma``...) and the names its records write them
by (σ, ReLU, LeakyReLU, Φ, φ, H for the step, 0 at 0 as symdl defines it). A vector function picks
its component with ``[i]``, counted from 1 as a course writes sᵢ: ``softmax(x1, x2, x3)[1]``,
``log_softmax(...)[i]``, and ``cross_entropy(z1, z2, z3)[k]`` for target class k. Other
juxtaposition (``2 x``, ``x y``, ``(x)(y)``) is refused, as are Python keywords and names starting
``__``. So that a formula copied from a page parses, U+2212, · and × read as -, * and *.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import sympy as sp

from symdl.errors import ParseError
from symdl.parsing._build import Builder, Cursor
from symdl.parsing._names import (NUMBER, check_depth, check_name, check_text, guarded, is_reserved, quote, symbol,
                                  written_names)
from symdl.parsing._unicode import (GREEK, RAISED_LETTERS, SUBSCRIPTS, SUPERSCRIPT_DIGITS, SUPERSCRIPT_MINUS,
                                    character_class, exponent, lowered)

# A printed number's exponent may carry the page's minus (1.0e−5); its name may be a Greek letter or a
# record's written name (Φ), lowered indices after it (x₁, δᵢⱼ); a superscript raises (x², e⁻¹, eˣ).
_WRITTEN_LETTERS = "".join(GREEK) + "".join(c for name in written_names() for c in name if not c.isascii())
_NUMBER = NUMBER.replace("[+-]", "[+\\-\u2212]")
_MINUS = character_class(SUPERSCRIPT_MINUS)
_SUBSCRIPT_DIGITS = {c: plain for c, plain in SUBSCRIPTS.items() if plain.isdigit()}
_TOKEN = re.compile(rf"(?P<space>[ \t\r]+)|(?P<newline>\n)|(?P<number>{_NUMBER})"
                    rf"|(?P<name>(?:[A-Za-z_][A-Za-z0-9_]*|{character_class(_WRITTEN_LETTERS)})"
                    rf"{character_class(SUBSCRIPTS)}*)"
                    rf"|(?P<power>{_MINUS}?{character_class(SUPERSCRIPT_DIGITS)}+)"
                    rf"|(?P<raised>{_MINUS}?{character_class(RAISED_LETTERS)})"
                    rf"|(?P<index>{character_class(_SUBSCRIPT_DIGITS)}+)"  # softmax(x1, x2)₁, as printed
                    r"|(?P<op>\*\*|[-+*/^(),=;\[\]|\u2212\u00b7\u00d7\u221a])")
# What symdl's own pages print, read back as its ASCII operator: a formula copied from a page parses.
_PRINTED_OPERATORS = {"\u2212": "-", "\u00b7": "*", "\u00d7": "*"}


class Token(NamedTuple):
    kind: str  # "number", "name", "power", "raised", "op" or "end"
    text: str  # as written, but for an operator's and a number's minus, read as ASCII
    position: int

    @property
    def end(self) -> int:
        return self.position + len(self.text)

    @property
    def name(self) -> str:
        """A name token's variable name, as the printer's x_1 and alpha are written x₁ and α."""
        base = self.text.rstrip("".join(SUBSCRIPTS))
        index = self.text[len(base):]
        return GREEK.get(base, base) + ("_" + lowered(index) if index else "")


def _tokenize(text: str, steps: bool) -> list[Token]:
    """All tokens up front, so a bad character or name is refused before anything is built."""
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ParseError(f"unexpected character {quote(text[position])}", text, position)
        kind, value = match.lastgroup, match.group()
        if kind in ("number", "op"):
            value = value.replace("\u2212", "-") if kind == "number" else _PRINTED_OPERATORS.get(value, value)
        if kind == "newline" and steps:
            kind, value = "op", ";"
        token = Token(kind, value, position)
        if kind == "name":
            check_name(token.name, text, position)
        if kind in ("power", "raised") and not (tokens and tokens[-1].end == position):
            raise ParseError(f"a superscript must follow what it raises, as in x², found {quote(value)}",
                             text, position)
        if kind not in ("space", "newline"):
            tokens.append(token)
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Factors(list):
    """A product not yet multiplied out. Kept for parenthesized products, so that dividing by one
    divides by each factor: SymPy prints Mul(1/2, 1/(x + y)) as 1/(2*(x + y)), while 2*(x + y)
    alone would be distributed to 2*x + 2*y."""

    def times(self, operand: sp.Expr | _Factors) -> _Factors:
        if isinstance(operand, _Factors):
            self.extend(operand)
        else:
            self.append(operand)
        return self

    def divide(self, operand: sp.Expr | _Factors, build: Builder) -> None:
        self.extend(build.reciprocal(f) for f in (operand if isinstance(operand, _Factors) else [operand]))


class _Parser(Cursor):
    """Recursive descent over one token list; ``depth`` counts nesting against max_depth."""

    def __init__(self, text: str, steps: bool = False):
        super().__init__(text, _tokenize(text, steps))
        self.steps = steps

    def expression(self) -> sp.Expr:
        if self._peek().kind == "end":
            raise ParseError("empty expression", self.text, 0)
        expr = self._expr(0)
        self._expect_end_of(())
        return self.build.finish(expr)

    def named_steps(self) -> list[tuple[str, sp.Expr]]:
        steps: list[tuple[str, sp.Expr]] = []
        used: set[str] = set()  # names read by the steps so far
        while True:
            while self._peek().text == ";":
                self._advance()
            if self._peek().kind == "end":
                break
            name, expr = self._step({n for n, _ in steps}, used)
            used |= {s.name for s in expr.free_symbols}
            steps.append((name, expr))
        if not steps:
            raise ParseError("no steps: expected 'name = expression'", self.text, 0)
        return steps

    def _step(self, defined: set[str], used: set[str]) -> tuple[str, sp.Expr]:
        token = self._advance()
        if token.kind != "name" or self._peek().text != "=":
            raise ParseError(f"a step must start with 'name =', found {quote(token.text or 'end of input')}",
                             self.text, token.position)
        name = token.name
        if is_reserved(name):
            raise ParseError(f"{quote(name)} is a function or constant and cannot name a step", self.text,
                             token.position)
        if name in defined:
            raise ParseError(f"{quote(name)} is already defined; each step needs a fresh name", self.text,
                             token.position)
        if name in used:
            raise ParseError(f"{quote(name)} is used by an earlier step before it is defined", self.text,
                             token.position)
        self._advance()
        expr = self._expr(0)
        self._expect_end_of((";",))
        if symbol(name) in expr.free_symbols:
            raise ParseError(f"step {quote(name)} refers to itself", self.text, token.position)
        return name, self.build.finish(expr)

    def _expr(self, depth: int, grouped: bool = False) -> sp.Expr | _Factors:
        """A sum of products, read in one loop so that nesting costs few stack frames.

        A sign before a product covers the whole product: -a*b is -(a*b), as SymPy prints it.
        Inside parentheses a lone product is returned as its factors (see ``_Factors``)."""
        terms = []
        negative, inner = self._signs(depth)
        factors = _Factors().times(self._term(inner))
        while self._peek().text in ("+", "-", "*", "/"):
            op = self._advance().text
            if op in ("+", "-"):
                terms.append(self.build.product(factors, negative))
                negative, inner = self._signs(depth)
                negative ^= op == "-"
                factors = _Factors().times(self._term(inner))
            elif op == "*":
                factors.times(self._term(depth))
            else:
                factors.divide(self._term(depth), self.build)
        self._refuse_juxtaposition()
        if grouped and not terms and not negative and len(factors) > 1:
            return factors
        terms.append(self.build.product(factors, negative))
        return self.build.total(terms)

    def _signs(self, depth: int) -> tuple[bool, int]:
        """Read a run of unary signs; each counts as one level of nesting."""
        negative = False
        while self._peek().text in ("-", "+"):
            negative ^= self._advance().text == "-"
            depth = check_depth(depth + 1)
        return negative, depth

    def _term(self, depth: int) -> sp.Expr | _Factors:
        """An operand, or a number written directly before a name or a bracket and that operand, as a page
        writes a coefficient (2f3, 2(x + 1), 3x²): one factor, so x/2y is x/(2y). ``2 x`` stays refused."""
        start = self.at
        operand = self._operand(depth)
        read, after = self.tokens[start:self.at], self._peek()
        if read[-1].kind == "number" and all(t.text in ("+", "-") for t in read[:-1]) \
                and (after.kind == "name" or after.text == "(") and after.position == read[-1].end:
            return _Factors().times(operand).times(self._operand(depth))
        return operand

    def _operand(self, depth: int) -> sp.Expr | _Factors:
        """Signs and a power tower, read iteratively and folded from the right: -a**-b = -(a**(-b))."""
        items = []
        while True:
            negative, depth = self._signs(depth)
            items.append((negative, self._primary(depth)))
            if self._peek().text not in ("**", "^"):
                break
            self._advance()
            depth = check_depth(depth + 1)
        if len(items) == 1 and not items[0][0]:
            return items[0][1]
        value = None
        for negative, base in reversed(items):
            base = self.build.product(base) if isinstance(base, _Factors) else base
            value = base if value is None else self.build.power(base, value)
            value = -value if negative else value
        return value

    def _primary(self, depth: int) -> sp.Expr | _Factors:
        """An atom, raised by the superscript written right after it: x², (x + 1)⁻¹, e⁻¹."""
        token = self._advance()
        if token.kind == "number":
            atom = self.build.number(token.text)
        elif token.kind == "name":
            atom = self._named(token, depth)
        elif token.text == "(":
            atom = self._expr(check_depth(depth + 1), grouped=True)
            self._close(token)
        elif token.text == "\u221a":  # √x, √(x + 1): the root of the atom after it, with its own superscript
            atom = self.build.call("sqrt", [self._whole(self._primary(check_depth(depth + 1)))], token.position)
        elif token.text == "|":
            inner = self._expr(check_depth(depth + 1))
            self._close(token, "|")
            atom = self.build.call("abs", [inner], token.position)
        else:
            raise self._unexpected(token)
        if self._peek().kind == "raised":
            raise ParseError(f"a raised letter is read only after e, as eˣ = exp(x); write x^y for a power, "
                             f"found {quote(self._peek().text)}", self.text, self._peek().position)
        return self._raised(atom)

    def _named(self, token: Token, depth: int) -> sp.Expr:
        """A name: a call (tanh²(x) is tanh(x)²), eˣ as exp(x), or a constant or a variable."""
        power = self._advance() if self._peek().kind == "power" and self.tokens[self.at + 1].text == "(" else None
        if power is not None and power.text.startswith(tuple(SUPERSCRIPT_MINUS)):
            raise ParseError(f"{quote(token.text + power.text)} would read as an inverse function; write "
                             f"1/{token.text}(...) for a reciprocal", self.text, power.position)
        if self._peek().text == "(":
            call = self._call(token, depth)
            return call if power is None else self.build.power(call, self.build.number(exponent(power.text)),
                                                               power.position)
        if not token.text.isascii() and token.text not in GREEK and token.text in written_names():  # Φ; σ is sigma
            raise ParseError(f"{quote(token.text)} is a function; call it as {token.text}(...)", self.text,
                             token.position)
        if token.name == "e" and self._peek().kind == "raised":
            raised = self._advance()
            letter = self.build.name(RAISED_LETTERS[raised.text[-1]], raised.position)
            return self.build.call("exp", [-letter if len(raised.text) > 1 else letter], token.position)
        return self.build.name(token.name, token.position)

    def _raised(self, atom: sp.Expr | _Factors) -> sp.Expr | _Factors:
        if self._peek().kind != "power":
            return atom
        power = self._advance()
        return self.build.power(self._whole(atom), self.build.number(exponent(power.text)), power.position)

    def _whole(self, atom: sp.Expr | _Factors) -> sp.Expr:
        return self.build.product(atom) if isinstance(atom, _Factors) else atom

    def _call(self, name: Token, depth: int) -> sp.Expr:
        spelling = written_names().get(name.text, name.name)  # ReLU, σ, H: the op their record writes so
        self.build.lookup(spelling, name.position)
        opener = self._advance()
        args = []
        if self._peek().text != ")":
            args.append(self._expr(check_depth(depth + 1)))
            while self._peek().text == ",":
                self._advance()
                args.append(self._expr(depth + 1))
        self._close(opener)
        index = self._component() if self._peek().text == "[" else None
        if self._peek().kind == "index":  # the component as the text printer writes it: softmax(x1, x2)₁
            lowered_index = self._advance()
            index = self.build.number(lowered(lowered_index.text)), lowered_index.position
        return self.build.call(spelling, args, name.position, index)

    def _component(self) -> tuple[sp.Integer, int]:
        """``[i]`` after a vector function's call: a whole number, and where it was written."""
        opener = self._advance()
        token = self._advance()
        if token.kind != "number" or not token.text.isdigit():
            raise ParseError(f"expected a component number such as [1] after {quote('[')}, "
                             f"found {quote(token.text or 'end of input')}", self.text, token.position)
        closer = self._peek()
        if closer.text != "]":
            raise ParseError("unbalanced brackets: '[' is never closed", self.text, opener.position)
        self._advance()
        return self.build.number(token.text), token.position

    def _close(self, opener: Token, closer: str = ")") -> None:
        token = self._peek()
        if token.text == closer:
            self._advance()
        elif token.kind == "end":
            what = "parentheses" if closer == ")" else "bars"
            raise ParseError(f"unbalanced {what}: {quote(opener.text)} is never closed", self.text, opener.position)
        else:
            raise self._unexpected(token)

    def _expect_end_of(self, separators: tuple[str, ...]) -> None:
        token = self._peek()
        if token.kind != "end" and token.text not in separators:
            raise self._unexpected(token)

    def _refuse_juxtaposition(self) -> None:
        token = self._peek()
        if token.kind in ("number", "name") or token.text == "(":
            before = self.tokens[self.at - 1]
            left = before.text if before.kind in ("name", "number") else "(...)"
            right = token.text if token.kind != "op" else "(...)"
            raise ParseError(f"missing operator before {quote(token.text)}: implicit multiplication is "
                             f"not allowed (write {left}*{right})", self.text, token.position)

    def _unexpected(self, token: Token) -> ParseError:
        if token.kind == "end":
            return ParseError("unexpected end of input", self.text, token.position)
        message = f"unexpected {quote(token.text)}"
        if token.text == ")":
            message = "unbalanced parentheses: ')' has no matching '('"
        elif token.text in ("[", "]"):
            message = (f"unexpected character {quote(token.text)} (brackets only pick a vector function's "
                       "component, as in softmax(x1, x2)[1])")
        elif token.text in ("=", ";") and not self.steps:
            message += " (named steps such as 'q = x + y; f = q*z' go through parse_steps)"
        return ParseError(message, self.text, token.position)


@guarded
def parse(text: str) -> sp.Expr:
    """Parse expression text such as ``(x + y)*z`` or ``sigmoid(w0*x0 + b)`` into SymPy."""
    return _Parser(check_text(text, "expression"), steps=False).expression()


@guarded
def parse_steps(text: str) -> list[tuple[str, sp.Expr]]:
    """Parse named steps ``q = x + y; f = q*z``; later steps see earlier names as plain symbols."""
    return _Parser(check_text(text, "steps"), steps=True).named_steps()
