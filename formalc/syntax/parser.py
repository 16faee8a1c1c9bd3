"""Parse .iot text into a :class:`~formalc.syntax.ast.Module`, reporting problems as diagnostics.

The Lark LALR parser is built once per process (its tables cached on disk by Lark) and runs
with an inline transformer, so the syntax tree is built while parsing, without recursion: a
10,000-deep input cannot overflow the stack. Nesting beyond :data:`MAX_DEPTH` is reported
(FC104) instead of being handed to the later, recursive stages.
"""
from __future__ import annotations

import re
import threading
from fractions import Fraction
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Diagnostic, Span
from . import ast

#: Deepest expression nesting accepted; deeper input gets FC104. Real specs stay far below.
MAX_DEPTH = 200
#: At most this many syntax errors are reported for one file.
MAX_SYNTAX_ERRORS = 20

# Spellings normalised to one canonical (Unicode) operator, so both forms give the same tree.
_CANON = {
    "!=": "≠", "<=": "≤", ">=": "≥", "in": "∈", "notin": "∉", "subset": "⊆",
    "union": "∪", "*": "×", "inter": "∩", "forall": "∀", "exists": "∃",
    "not": "¬", "!": "¬", "⊤": "true", "⊥": "false",
}
_NAME_CANON = {"delta": "δ"}  # DESIGN: `δ delta` are one name


def _canon_name(tok: Token) -> Token:
    """Lexer callback: `delta` is the ASCII spelling of the name `δ`, wherever it stands."""
    if tok.value in _NAME_CANON:
        return tok.update(value=_NAME_CANON[tok.value])
    return tok


def _canon(op: str) -> str:
    return _CANON.get(op, op)


_BRACKETS = {"LPAR", "RPAR", "LBRACE", "RBRACE", "BAR"}


def _nodes(children) -> list:
    """Children without bracket tokens (kept by the grammar only for their positions)."""
    return [x for x in children if not (isinstance(x, Token) and x.type in _BRACKETS)]


def _pos(x) -> Span | None:
    if isinstance(x, Token):
        return x  # type: ignore[return-value]  # tokens carry the same attributes
    return getattr(x, "span", None)


class _Builder(Transformer):
    """Lark callbacks that build syntax nodes; ``file`` is set before each parse."""

    def __init__(self) -> None:
        super().__init__()
        self.file = "<string>"

    # -- helpers -------------------------------------------------------------------------
    def _span(self, *children) -> Span | None:
        first = last = None
        for c in children:
            p = _pos(c)
            if p is not None and getattr(p, "line", None) is not None:
                if first is None:
                    first = p
                last = p
        if first is None:
            return None
        return Span(self.file, first.line, first.column, last.end_line, last.end_column,
                    first.start_pos, last.end_pos)

    def _tok_span(self, t: Token) -> Span:
        return Span(self.file, t.line, t.column, t.end_line, t.end_column, t.start_pos, t.end_pos)

    @staticmethod
    def _depth(*nodes) -> int:
        return 1 + max((getattr(n, "depth", 0) for n in nodes), default=0)

    # -- keywords kept as tokens ---------------------------------------------------------
    def _first(self, children):
        return children[0]

    cmpop = addop = mulop = quantkw = checkkind = notkw = negkw = sumkw = boolkw = _first
    ifkw = setkw = _first

    def atom(self, c):  # "(" expr ")": the inner expression, its span widened to the parens
        import dataclasses
        inner = _nodes(c)[0]
        return dataclasses.replace(inner, span=self._span(*c))

    def empty_set(self, children):
        return ast.SetLit((), span=self._span(*children), depth=1)

    # -- atoms ---------------------------------------------------------------------------
    def name(self, c):
        t = c[0]
        return ast.Name(_NAME_CANON.get(str(t), str(t)), span=self._tok_span(t))

    def number(self, c):
        t = c[0]
        return ast.Number(Fraction(str(t)), "." not in t, span=self._tok_span(t))

    def quantity(self, c):
        t = c[0]
        m = re.match(r"(\d+(?:\.\d+)?)(.*)", str(t))
        return ast.Quantity(Fraction(m.group(1)), m.group(2), span=self._tok_span(t))

    def string(self, c):
        t = c[0]
        raw = str(t)[1:-1]
        value = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), raw)
        return ast.String(value, span=self._tok_span(t))

    def boolean(self, c):
        t = c[0]
        return ast.BoolLit(_canon(str(t)) == "true", span=self._tok_span(t))

    # -- operators -----------------------------------------------------------------------
    def _nary(self, op, c):
        flat: list = []
        for x in c:  # a ∧ (b ∧ c) stays as written; only the chain itself is flattened
            flat.append(x)
        return ast.Nary(op, tuple(flat), span=self._span(*c), depth=self._depth(*c))

    def iff(self, c):
        return self._nary("⇔", c)

    def or_(self, c):
        return self._nary("∨", c)

    def and_(self, c):
        return self._nary("∧", c)

    def imp(self, c):
        return ast.Implies(c[0], c[1], span=self._span(*c), depth=self._depth(*c))

    def not_(self, c):
        return ast.Unary("¬", c[1], span=self._span(*c), depth=self._depth(c[1]))

    def neg(self, c):
        return ast.Unary("-", c[1], span=self._span(*c), depth=self._depth(c[1]))

    def cmp(self, c):
        left, op, right = c
        return ast.Compare(_canon(str(op)), left, right, span=self._span(left, right),
                           depth=self._depth(left, right))

    def _chain(self, c):
        operands = tuple(c[0::2])
        ops = tuple(_canon(str(o)) for o in c[1::2])
        return ast.Chain(ops, operands, span=self._span(*c), depth=self._depth(*operands))

    add = mul = _chain

    def call(self, c):
        n = _nodes(c)
        func, args = n[0], tuple(a for a in n[1:] if a is not None)
        return ast.Call(func, args, span=self._span(*c), depth=self._depth(func, *args))

    def field_access(self, c):
        obj, t = c
        return ast.FieldAccess(obj, str(t), span=self._span(obj, t), depth=self._depth(obj))

    def pos_arg(self, c):
        return ast.Arg(None, c[0], span=c[0].span, depth=self._depth(c[0]))

    def named_arg(self, c):
        t, v = c
        return ast.Arg(str(t), v, span=self._span(t, v), depth=self._depth(v))

    def set_lit(self, c):
        elems = tuple(_nodes(c))
        return ast.SetLit(elems, span=self._span(*c), depth=self._depth(*elems))

    def set_compr(self, c):
        head, items = [x for x in _nodes(c) if not isinstance(x, Token)]
        return ast.SetCompr(head, items, span=self._span(*c), depth=self._depth(head, *items))

    def card(self, c):
        inner = _nodes(c)[0]
        return ast.Card(inner, span=self._span(*c), depth=self._depth(inner))

    def quant(self, c):
        kw, items, body = c
        return ast.Quant(_canon(str(kw)), items, body, span=self._span(kw, body),
                         depth=self._depth(body, *items))

    def sum(self, c):
        kw, items, body = c
        return ast.Sum(items, body, span=self._span(kw, body), depth=self._depth(body, *items))

    def ite(self, c):
        kw, a, b, e = c
        return ast.Ite(a, b, e, span=self._span(kw, e), depth=self._depth(a, b, e))

    def set_of(self, c):
        kw, e = c
        return ast.SetOf(e, span=self._span(kw, e), depth=self._depth(e))

    def qitems(self, c):
        return tuple(c)

    def typed_binder(self, c):
        t, ty = c
        return ast.TypedBinder(str(t), ty, span=self._span(t, ty))

    def expr_item(self, c):
        return c[0]

    # -- types ---------------------------------------------------------------------------
    def named_type(self, c):
        t = c[0]
        return ast.NamedType(_NAME_CANON.get(str(t), str(t)), span=self._tok_span(t))

    def set_type(self, c):
        elem = c[-1]
        return ast.SetType(elem, span=self._span(*c))

    # -- declarations --------------------------------------------------------------------
    def annotation(self, c):
        key = str(c[0])
        value = None
        if len(c) > 1:
            v = str(c[1])
            value = v[1:-1] if v.startswith('"') else v
        return ast.Annotation(key, value, span=self._span(*c))

    def decl(self, c):
        anns = tuple(c[:-1])
        body = c[-1]
        if anns:
            import dataclasses
            body = dataclasses.replace(body, annotations=anns, span=self._span(anns[0], body))
        return body

    def enum_decl(self, c):
        n = _nodes(c)
        name = n[0]
        members = tuple(self.name([t]) for t in n[1:] if t is not None)
        return ast.EnumDecl(str(name), members, span=self._span(*c))

    def named_field(self, c):
        t, ty = c
        return ast.FieldDecl(str(t), ty, span=self._span(t, ty))

    def anon_field(self, c):
        return ast.FieldDecl(None, c[0], span=c[0].span)

    def tuple_decl(self, c):
        n = _nodes(c)
        return ast.TupleDecl(str(n[0]), tuple(n[1:]), span=self._span(*c))

    def func_sig(self, c):
        types = [x for x in c if not isinstance(x, Token)]
        return ("func", tuple(types[:-1]), types[-1])

    def value_sig(self, c):
        return ("value", c[0])

    def sig_decl(self, c):
        name, sig = c
        span = self._span(name, *(sig[1] if sig[0] == "func" else ()), sig[-1])
        if sig[0] == "func":
            return ast.FuncSig(str(name), sig[1], sig[2], span=span)
        return ast.ValueSig(str(name), sig[1], span=span)

    def def_decl(self, c):
        name, *args, _defeq, body = _nodes(c)
        params = tuple(a for a in args if a is not None)
        return ast.DefDecl(_NAME_CANON.get(str(name), str(name)), params, body,
                           span=self._span(name, body))

    def const_decl(self, c):
        name, _defeq, body = c
        return ast.ConstDecl(_NAME_CANON.get(str(name), str(name)), body,
                             span=self._span(name, body))

    def entry_decl(self, c):
        name, *args, value = _nodes(c)
        return ast.EntryDecl(_NAME_CANON.get(str(name), str(name)),
                             tuple(a for a in args if a is not None), value,
                             span=self._span(name, value))

    def dotted(self, c):
        return ".".join(str(t) for t in c), self._span(*c)

    def import_stmt(self, c):
        x = c[0]
        if isinstance(x, Token):
            return ast.Import(str(x)[1:-1], True, span=self._tok_span(x))
        return ast.Import(x[0], False, span=x[1])

    def check_stmt(self, c):
        anns = [x for x in c if isinstance(x, ast.Annotation)]
        rest = c[len(anns):]
        kind, name, formula = rest
        return ast.CheckStmt(str(kind) if kind is not None else "valid",
                             str(name) if name is not None else None, formula,
                             annotations=tuple(anns),
                             span=self._span(*(anns or [kind or name or formula]), formula))

    def assume_stmt(self, c):
        anns = [x for x in c if isinstance(x, ast.Annotation)]
        name, formula = c[len(anns):]
        return ast.AssumeStmt(str(name) if name is not None else None, formula,
                              annotations=tuple(anns),
                              span=self._span(*(anns or [name or formula]), formula))

    def start(self, c):
        return tuple(c)


_lock = threading.Lock()
_parser: Lark | None = None
_builder = _Builder()


def _get_parser() -> Lark:
    global _parser
    if _parser is None:
        grammar = resources.files("formalc.syntax").joinpath("grammar.lark").read_text("utf-8")
        _parser = Lark(grammar, parser="lalr", lexer="basic", transformer=_builder,
                       maybe_placeholders=True, cache=True, lexer_callbacks={"NAME": _canon_name})
    return _parser


# ------------------------------------------------------------------------------- errors
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
             "true", "false", "if", "then", "else"}


def _diagnose(parser: Lark, e: UnexpectedInput, file: str, text: str,
              chunked: bool = False) -> Diagnostic:
    line = getattr(e, "line", 1) or 1
    col = getattr(e, "column", 1) or 1
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else "?"
        hint = None
        if ch == ";":
            hint = "statements need no `;`: write one declaration or check after another"
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
    if value in _RESERVED and "NAME" in expected:
        hint = f"`{value}` is a reserved word; choose another name"
    elif value == "=" and "DEFEQ" in expected:
        hint = ("definitions use `:=` (`x := 3`, `P(c: C) := ...`); `=` declares an enumeration "
                "`{a, b}`, a tuple `(A, B)` or a table row `f(a) = v`")
    elif value == ":=" and "EQUAL" in expected:
        hint = "a table row is written `f(a, b) = v`; `:=` defines a predicate with typed parameters"
    return Diagnostic("FC101", f"unexpected `{value}`", span, hint=hint)


# ------------------------------------------------------------------------------- entry point
_TOPLEVEL = re.compile(r"^(?=[^\s/}\])|,.+\-*])", re.M)


def parse(text: str, file: str = "<string>") -> tuple[list[Diagnostic], ast.Module]:
    """Parse ``text``; returns ``(diagnostics, module)``. Never raises on bad input.

    On a syntax error the file is parsed again statement by statement (a statement starts at
    column 1), so that one run reports the errors of every statement, up to
    :data:`MAX_SYNTAX_ERRORS`; the statements that do parse are kept.
    """
    parser = _get_parser()
    with _lock:
        _builder.file = file
        try:
            items = parser.parse(text)
            diags: list[Diagnostic] = []
        except UnexpectedInput as e:
            diags, items = _recover(parser, text, file, e)
    items, deep = _depth_guard(items, file)
    return diags + deep, ast.Module(file, tuple(items))


def _recover(parser: Lark, text: str, file: str, first: UnexpectedInput):
    starts = [m.start() for m in _TOPLEVEL.finditer(text)] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    diags: list[Diagnostic] = []
    items: list = []
    for a, b in zip(starts, starts[1:]):
        chunk = text[a:b]
        if not chunk.strip():
            continue
        # Pad with newlines and spaces so positions in the chunk are positions in the file.
        prefix_lines = text.count("\n", 0, a)
        padded = "\n" * prefix_lines + chunk
        try:
            items.extend(parser.parse(padded))
        except UnexpectedInput as e:
            d = _diagnose(parser, e, file, padded, chunked=b < len(text))
            d = _shift(d, a - prefix_lines)
            if not diags or diags[-1].span != d.span:
                diags.append(d)
            if len(diags) >= MAX_SYNTAX_ERRORS:
                break
    if not diags:  # the statement split hid the error: report the original one
        diags.append(_diagnose(parser, first, file, text))
    return diags, items


def _shift(d: Diagnostic, offset: int) -> Diagnostic:
    import dataclasses
    if d.span is None:
        return d
    s = d.span
    return dataclasses.replace(d, span=Span(s.file, s.line, s.column, s.end_line, s.end_column,
                                            s.start_pos + offset, s.end_pos + offset))


def _depth_guard(items, file: str):
    kept, diags = [], []
    for item in items:
        node = getattr(item, "formula", None) or getattr(item, "body", None) or getattr(item, "value", None)
        if node is not None and getattr(node, "depth", 0) > MAX_DEPTH:
            where = _deepest(node)
            diags.append(Diagnostic(
                "FC104", f"expression nested {node.depth} levels deep (the limit is {MAX_DEPTH})",
                where or item.span,
                hint="split the expression into named definitions (`name := ...`)"))
        else:
            kept.append(item)
    return kept, diags


def _deepest(node):
    """The span of the node at MAX_DEPTH levels down the deepest path (iteratively)."""
    level = 0
    while level < MAX_DEPTH:
        children = [v for v in _children(node) if hasattr(v, "depth")]
        if not children:
            break
        node = max(children, key=lambda n: n.depth)
        level += 1
    return getattr(node, "span", None)


def _children(node):
    for name in getattr(node, "__dataclass_fields__", {}):
        v = getattr(node, name)
        if isinstance(v, tuple):
            yield from v
        else:
            yield v
