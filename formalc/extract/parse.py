"""Parsing one LaTeX formula: tokens (``lexer.py``) → Lark LALR (``latex.lark``) → chains →
terms (``chain.py``).

:func:`parse_formula` returns the statements of the formula (``a = 1, b = 2`` has two) or
raises :class:`~formalc.extract.lexer.LatexError` with a message and an offset; it never raises
anything else on any input text.

>>> from formalc.extract.terms import show
>>> [show(t) for t in parse_formula(r"\\delta: States \\times Events \\rightarrow States")]
['(δ : ((States × Events) → States))']
"""
from __future__ import annotations

import threading
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from .chain import Tk, merge_quantifiers, resolve
from .lexer import LatexError, Tok, tokenize
from .terms import (
    Apply,
    Cases,
    Const,
    Decor,
    Delim,
    Frac,
    Group,
    Index,
    Name,
    Num,
    Prime,
    Script,
    Sqrt,
    Term,
    Text,
)

#: Brackets nested deeper than this are refused (the later stages recurse).
MAX_DEPTH = 60
#: Human names of the terminals, for messages.
_SHOW = {"LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "LBRACE": "{", "RBRACE": "}",
         "LSET": "\\{", "RSET": "\\}", "LANGLE": "\\langle", "RANGLE": "\\rangle",
         "LFLOOR": "\\lfloor", "RFLOOR": "\\rfloor", "LCEIL": "\\lceil", "RCEIL": "\\rceil",
         "COMMA": ",", "SEMI": ";", "ROWSEP": "\\\\", "SUB": "_", "SUP": "^", "AMP": "&",
         "BEGIN_CASES": "\\begin{cases}", "END_CASES": "\\end{cases}", "$END": "the end"}
_PAIRS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE", "LSET": "RSET",
          "LANGLE": "RANGLE", "LFLOOR": "RFLOOR", "LCEIL": "RCEIL", "BEGIN_CASES": "END_CASES"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


class _Seq:
    """The chains of a bracketed or top-level list, resolved by the construct holding them."""
    __slots__ = ("chains",)

    def __init__(self, chains):
        self.chains = chains

    def terms(self, top: bool = False) -> tuple[Term, ...]:
        return tuple(merge_quantifiers([resolve(c, top) for c in self.chains]))


def _span(a, b) -> dict:
    return {"pos": a.start_pos if isinstance(a, Token) else a.pos,
            "end": b.end_pos if isinstance(b, Token) else b.end}


def _terms(x) -> tuple[Term, ...]:
    return x.terms() if isinstance(x, _Seq) else ()


class _Build(Transformer):
    """Lark callbacks: tokens and chains → terms (run inline while parsing)."""

    def start(self, c):
        return c[0] if c else _Seq([])

    def seq(self, c):
        return _Seq([x for x in c if isinstance(x, list)])

    def chain(self, c):
        return list(c)

    # -- operators ----------------------------------------------------------------------
    def _tk(self, kind, t, value=None, scripts=()):
        return Tk(kind, t.value if value is None else value, t.start_pos, t.end_pos, scripts)

    def op(self, c):
        return self._tk("op", c[0])

    def bar(self, c):
        return self._tk("bar", c[0])

    def dbar(self, c):
        return self._tk("dbar", c[0])

    def prefix(self, c):
        return self._tk("prefix", c[0], "¬")

    def quant(self, c):
        return self._tk("quant", c[0])

    def bigop(self, c):
        return self._tk("bigop", c[0], scripts=tuple(c[1:]))

    # -- atoms --------------------------------------------------------------------------
    def name(self, c):
        return Name(c[0].value, **_span(c[0], c[0]))

    def number(self, c):
        return Num(c[0].value, **_span(c[0], c[0]))

    def text(self, c):
        return Text(c[0].value, **_span(c[0], c[0]))

    def op_atom(self, c):
        return Name(c[0].value, **_span(c[0], c[0]))

    def boolean(self, c):
        return Const(c[0].value, **_span(c[0], c[0]))

    def empty(self, c):
        return Const("∅", **_span(c[0], c[0]))

    def dots(self, c):
        return Const("…", **_span(c[0], c[0]))

    def _group(self, kind, c):
        items = _terms(c[1]) if len(c) == 3 else ()
        return Group(kind, items, **_span(c[0], c[-1]))

    def brace(self, c):
        g = self._group("{", c)
        return g.items[0] if len(g.items) == 1 else g   # a TeX group is invisible

    def paren(self, c):
        return self._group("(", c)

    def bracket(self, c):
        return self._group("[", c)

    def set(self, c):
        return self._group("\\{", c)

    def angle(self, c):
        return self._group("⟨", c)

    def floor(self, c):
        return Delim("⌊", _one(_terms(c[1]), c[0]), **_span(c[0], c[-1]))

    def ceil(self, c):
        return Delim("⌈", _one(_terms(c[1]), c[0]), **_span(c[0], c[-1]))

    def frac(self, c):
        return Frac(c[0].value, c[1], c[2], **_span(c[0], c[2]))

    def sqrt(self, c):
        index = _one(_terms(c[2]), c[1]) if len(c) == 5 else None
        return Sqrt(index, c[-1], **_span(c[0], c[-1]))

    def decor(self, c):
        return Decor(c[0].value, c[1], **_span(c[0], c[1]))

    def case(self, c):
        value = resolve(c[0])
        cond = resolve(c[2]) if len(c) == 3 else None
        return value, cond

    def cases(self, c):
        rows = tuple(x for x in c if isinstance(x, tuple))
        return Cases(rows, **_span(c[0], c[-1]))

    # -- postfix ------------------------------------------------------------------------
    def sub(self, c):
        return "sub", c[1]

    def sup(self, c):
        return "sup", c[1]

    def scripted(self, c):
        base, (kind, t) = c
        if isinstance(base, Script) and getattr(base, kind) is None:
            sub = t if kind == "sub" else base.sub
            sup = t if kind == "sup" else base.sup
            return Script(base.base, sub, sup, pos=base.pos, end=t.end)
        return Script(base, t if kind == "sub" else None, t if kind == "sup" else None,
                      pos=base.pos, end=t.end)

    def primed(self, c):
        return Prime(c[0], **_span(c[0], c[1]))

    def apply(self, c):
        args = _terms(c[2]) if len(c) == 4 else ()
        return Apply(c[0], args, **_span(c[0], c[-1]))

    def index(self, c):
        return Index(c[0], _terms(c[2]), **_span(c[0], c[-1]))


def _one(items: tuple[Term, ...], at) -> Term:
    if len(items) != 1:
        raise LatexError("expected one expression here", at.start_pos)
    return items[0]


class _TokLexer(Lexer):
    """Hands Lark the tokens of :func:`~formalc.extract.lexer.tokenize`."""
    __future_interface__ = 2

    def __init__(self, lexer_conf):
        pass

    def lex(self, lexer_state, parser_state):
        text = getattr(lexer_state.text, "text", lexer_state.text)
        for t in _check_brackets(tokenize(text)):
            yield Token(t.type, t.value, t.pos, 1, t.pos + 1, 1, t.end + 1, t.end)


def _check_brackets(toks: list[Tok]) -> list[Tok]:
    """Refuse unbalanced or too deeply nested brackets with a message that names them."""
    stack: list[Tok] = []
    for t in toks:
        if t.type in _PAIRS:
            stack.append(t)
            if len(stack) > MAX_DEPTH:
                raise LatexError(f"brackets nested deeper than {MAX_DEPTH}", t.pos)
        elif t.type in _CLOSERS:
            if not stack:
                raise LatexError(f"unbalanced brackets: `{_SHOW[t.type]}` closes nothing",
                                 t.pos)
            top = stack.pop()
            if _PAIRS[top.type] != t.type:
                raise LatexError(f"unbalanced brackets: `{_SHOW[top.type]}` is closed by "
                                 f"`{_SHOW[t.type]}`", top.pos)
    if stack:
        top = stack[-1]
        raise LatexError(f"unbalanced brackets: `{_SHOW[top.type]}` is never closed", top.pos)
    return toks


_lock = threading.Lock()
_parser: Lark | None = None


def _get_parser() -> Lark:
    global _parser
    with _lock:
        if _parser is None:
            grammar = resources.files(__package__).joinpath("latex.lark").read_text("utf-8")
            _parser = Lark(grammar, parser="lalr", lexer=_TokLexer, transformer=_Build())
    return _parser


def parse_formula(latex: str) -> tuple[Term, ...]:
    """The statements of formula ``latex`` (a definition ``X = …`` is a ``Define``).

    Raises :class:`LatexError` with a message and an offset into ``latex``."""
    try:
        seq = _get_parser().parse(latex)
        return seq.terms(top=True)
    except LatexError:
        raise
    except UnexpectedToken as e:
        tok = e.token
        what = _SHOW.get(tok.type, tok.value if tok.value else tok.type)
        if tok.type == "$END":
            raise LatexError("the formula stops early", len(latex)) from None
        raise LatexError(f"unexpected `{what}`", tok.start_pos or 0) from None
    except UnexpectedInput as e:
        raise LatexError("unexpected input", getattr(e, "pos_in_stream", 0) or 0) from None
    except RecursionError:
        raise LatexError("the formula is nested too deeply", 0) from None
