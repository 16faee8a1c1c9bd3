"""A faster lexer for the grammar, plugged into Lark.

It tokenises with one compiled regular expression built from the grammar's own terminals,
ordered as Lark's basic lexer orders them (priority, then longest possible match), and applies
Lark's keyword rule (a string terminal that also matches NAME is a keyword). Scanning with one
``finditer`` over the text instead of a match call per token takes about a third off parsing.
The grammar stays the only definition of the tokens.
"""
from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, Token

#: ASCII spellings of names: `delta` is the name `δ` wherever it stands.
NAME_ALIASES = {"delta": "δ"}

_SLOTS = ("type", "start_pos", "value", "line", "column", "end_line", "end_column", "end_pos")
_str_new = str.__new__


def _make_token(kind, value, start, line, col, end_col, end):
    """Token(kind, value, …) without the cost of Lark's constructor (a third of it): the
    token is a str with these slots set, which is all a Token is in the Lark versions where
    the slots below exist (checked at import; otherwise the public constructor is used)."""
    t = _str_new(Token, value)
    t.type, t.value, t.start_pos, t.end_pos = kind, value, start, end
    t.line = t.end_line = line
    t.column, t.end_column = col, end_col
    return t


if tuple(getattr(Token, "__slots__", ())) != _SLOTS:  # pragma: no cover - other Lark versions
    def _make_token(kind, value, start, line, col, end_col, end):  # noqa: F811
        return Token(kind, value, start, line, col, line, end_col, end)


class FastLexer(Lexer):
    __future_interface__ = 2  # Lark calls lex(lexer_state, parser_state) directly

    def __init__(self, lexer_conf):
        terminals = list(lexer_conf.terminals)
        self.ignore = frozenset(lexer_conf.ignore)
        name = next(t for t in terminals if t.name == "NAME")
        name_re = re.compile(name.pattern.to_regexp())
        self.keywords: dict[str, str] = {}
        scanned = []
        for t in terminals:
            if t.pattern.type == "str" and name_re.fullmatch(t.pattern.value):
                self.keywords[t.pattern.value] = t.name
            else:
                scanned.append(t)
        scanned.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value),
                                    t.name))
        self.master = re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})"
                                          for t in scanned))
        self.terminals_by_name = {t.name: t for t in terminals}

    def lex(self, lexer_state, parser_state):
        text = getattr(lexer_state.text, "text", lexer_state.text)
        keywords, ignore, aliases, make = self.keywords, self.ignore, NAME_ALIASES, _make_token
        line, line_start, pos = 1, 0, 0
        for m in self.master.finditer(text):
            start = m.start()
            if start != pos:  # finditer skipped characters that start no token
                break
            kind, value, pos = m.lastgroup, m.group(), m.end()
            if kind in ignore:
                nl = value.count("\n")
                if nl:
                    line += nl
                    line_start = start + value.rindex("\n") + 1
                continue
            if kind == "NAME":
                if value in keywords:
                    kind = keywords[value]
                elif value in aliases:
                    value = aliases[value]
            col = start - line_start + 1
            yield make(kind, value, start, line, col, col + (pos - start), pos)
        if pos != len(text):
            col = pos - line_start + 1
            raise UnexpectedCharacters(text, pos, line, col, state=parser_state,
                                       terminals_by_name=self.terminals_by_name)
