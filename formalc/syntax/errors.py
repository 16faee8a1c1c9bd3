"""Syntax errors as diagnostics: Lark's exceptions mapped to codes, positions and hints."""
from __future__ import annotations

import re

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from ..diagnostics import Diagnostic, Span
from .chain import ChainError

_HUMAN = {
    "NAME": "a name", "NUMBER": "a number", "QUANTITY": "a quantity", "STRING": "a string",
    "$END": "end of file", "DEFEQ": "`:=`", "ARROW": "`→`", "PRODUCT": "`×`", "BAR": "`|`",
}


def _human_terminal(parser: Lark, name: str) -> str:
    if name in _HUMAN:
        return _HUMAN[name]
    try:
        term = parser.get_terminal(name)
        if term.pattern.type == "str":
            return f"`{term.pattern.value}`"
    except KeyError:
        pass
    return name.lower()


def _expected_text(parser: Lark, expected) -> str:
    names = sorted({_human_terminal(parser, e) for e in expected})
    if any(n in {"`∀`", "`(`", "a name", "a number"} for n in names) and len(names) > 8:
        return "an expression"
    if len(names) > 6:
        names = names[:6] + ["…"]
    return ", ".join(names)


_RESERVED = {"import", "check", "assume", "sat", "valid", "iff", "implies", "or", "and", "not",
             "in", "notin", "subset", "union", "inter", "forall", "exists", "sum", "set",
             "true", "false", "if", "then", "else",
             "machine", "initial", "final", "internal", "fair", "var", "param", "effect", "when",
             "do", "always", "eventually", "next", "within", "until", "models", "leadsto",
             "schedule", "minimize"}


def _previous(text: str, pos: int) -> str | None:
    """The word just before ``pos`` (Lark does not keep the token history of parser errors)."""
    m = re.search(r"(\w+)\s*$", text[:pos])
    return m.group(1) if m else None


def diagnose(parser: Lark, e: UnexpectedInput, file: str, text: str,
              chunked: bool = False) -> Diagnostic:
    if isinstance(e, ChainError):
        t = e.where
        span = Span(file, t.line, t.column, t.end_line or t.line, t.end_column or t.column + 1,
                    t.start_pos or 0, t.end_pos or 0)
        return Diagnostic(e.code, e.message, span, hint=e.hint)
    line = getattr(e, "line", 1) or 1
    col = getattr(e, "column", 1) or 1
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else "?"
        hint = None
        if ch == ";":
            hint = "statements need no `;`: write one declaration or check after another"
        elif ch == '"':
            hint = 'this string is not closed: a string ends with `"` on the same line'
        elif ch in "'`":
            hint = 'strings are written in double quotes: "text"'
        elif ch == "#":
            hint = "comments start with `//`"
        span = Span(file, line, col, line, col + 1, e.pos_in_stream, e.pos_in_stream + 1)
        return Diagnostic("FC102", f"unexpected character `{ch}`", span, hint=hint)
    tok = getattr(e, "token", None)
    expected = getattr(e, "expected", None) or getattr(e, "accepts", None) or set()
    if isinstance(e, UnexpectedEOF) or (tok is not None and tok.type == "$END"):
        body = text.rstrip()
        end_line = body.count("\n") + 1
        end_col = len(body) - (body.rfind("\n") + 1) + 1
        span = Span(file, end_line, end_col, end_line, end_col, len(body), len(body))
        what = "file" if len(body) == len(text.rstrip()) and not chunked else "statement"
        return Diagnostic("FC103", f"unexpected end of {what}: the statement is not finished",
                          span, hint=f"expected {_expected_text(parser, expected)}")
    value = str(tok)
    span = Span(file, tok.line, tok.column, tok.end_line or tok.line,
                tok.end_column or tok.column + len(value), tok.start_pos or 0, tok.end_pos or 0)
    hint = f"expected {_expected_text(parser, expected)}"
    prev = _previous(text, tok.start_pos or 0)
    if value in _RESERVED and "NAME" in expected:
        hint = f"`{value}` is a reserved word; choose another name"
    elif prev is not None and str(prev) in _RESERVED and value in (":", "∈", "in", ",", ")", "=",
                                                                   ":=", "•", "·", "::"):
        # the reserved word parsed as a keyword, so the error surfaces on the next token
        hint = f"`{prev}` is a reserved word and cannot be used as a name; choose another name"
    elif value == "=" and "DEFEQ" in expected:
        hint = ("definitions use `:=` (`x := 3`, `P(c: C) := ...`); `=` declares an enumeration "
                "`{a, b}`, a tuple `(A, B)` or a table row `f(a) = v`")
    elif value == ":=" and "EQUAL" in expected:
        hint = "a table row is written `f(a, b) = v`; `:=` defines a predicate with typed parameters"
    return Diagnostic("FC101", f"unexpected `{value}`", span, hint=hint)


