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


class ChainError(Exception):
    """A problem found while resolving an operator chain (reported as FC101 or FC104)."""

    def __init__(self, code: str, message: str, where, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.where, self.hint = code, message, where, hint


class _Prefix:
    """A prefix operator before an operand: ¬, -, a quantifier or Σ with its binders, or
    `if c then a else` (whose else-branch is the rest of the chain)."""

    __slots__ = ("op", "token", "data")

    def __init__(self, op: str, token, data):
        self.op, self.token, self.data = op, token, data


class _Unit:
    __slots__ = ("prefixes", "operand")

    def __init__(self, prefixes, operand):
        self.prefixes, self.operand = prefixes, operand


_NARY = {"⇔": "⇔", "<=>": "⇔", "iff": "⇔", "∨": "∨", "||": "∨", "or": "∨",
         "∧": "∧", "&&": "∧", "and": "∧"}
_IMPLIES = {"⇒", "=>", "implies"}
_CMP = {"=", "≠", "!=", "<", "≤", "<=", ">", "≥", ">=", "∈", "in", "∉", "notin", "⊆", "subset"}
_ADD = {"+", "-", "∪", "union", "\\"}
_MUL = {"*", "×", "/", "∩", "inter"}


class _Chain:
    """Resolves a flat chain ``unit (op unit)*`` into the syntax tree, by recursive descent
    over the levels of the language (the same trees the precedence grammar gave)::

        iff  := imp (⇔ imp)*          imp  := or (⇒ or)*   (folded to the right)
        or   := and (∨ and)*          and  := not (∧ not)*
        not  := ¬ not | cmp           cmp  := add (cmpop add)?   (non-associative)
        add  := mul (addop mul)*      mul  := neg (mulop neg)*
        neg  := - neg | atom          atom := ∀/∃/if … iff | Σ … add | operand

    Recursion happens only through runs of prefixes, which are bounded by MAX_DEPTH.
    """

    def __init__(self, b: "_Builder", children):
        self.b = b
        stream: list = []
        for x in children:
            if isinstance(x, Token):
                stream.append(("op", str(x), x))
            elif isinstance(x, _Unit):
                if len(x.prefixes) > MAX_DEPTH:
                    raise ChainError("FC104", f"{len(x.prefixes)} prefix operators in a row "
                                     f"(the limit is {MAX_DEPTH})", x.prefixes[MAX_DEPTH].token,
                                     "split the expression into named definitions")
                stream.extend(("pre", p, p.token) for p in x.prefixes)
                stream.append(("atom", x.operand, None))
            else:
                stream.append(("atom", x, None))
        self.s = stream
        self.i = 0

    def parse(self):
        node = self.iff()
        if self.i != len(self.s):  # only a second comparison can be left over
            kind, op, tok = self.s[self.i]
            raise ChainError("FC101", f"unexpected `{op}`: comparisons do not chain", tok,
                             "write `a < b ∧ b < c`, or parenthesise one side")
        return node

    # helpers
    def _op(self, ops) -> str | None:
        if self.i < len(self.s):
            kind, op, _ = self.s[self.i]
            if kind == "op" and op in ops:
                return op
        return None

    def _pre(self, ops):
        if self.i < len(self.s):
            kind, p, _ = self.s[self.i]
            if kind == "pre" and p.op in ops:
                return p
        return None

    def _nary(self, sub, canon: str):
        xs = [sub()]
        while (op := self._op(_NARY)) is not None and _NARY[op] == canon:
            self.i += 1
            xs.append(sub())
        if len(xs) == 1:
            return xs[0]
        return ast.Nary(canon, tuple(xs), span=self.b._span(xs[0], xs[-1]),
                        depth=self.b._depth(*xs))

    # levels
    def iff(self):
        return self._nary(self.imp, "⇔")

    def imp(self):
        xs = [self.or_()]
        while self._op(_IMPLIES) is not None:
            self.i += 1
            xs.append(self.or_())
        node = xs[-1]
        for x in reversed(xs[:-1]):
            node = ast.Implies(x, node, span=self.b._span(x, node), depth=self.b._depth(x, node))
        return node

    def or_(self):
        return self._nary(self.and_, "∨")

    def and_(self):
        return self._nary(self.not_, "∧")

    def not_(self):
        p = self._pre({"¬"})
        if p is not None:
            self.i += 1
            x = self.not_()
            return ast.Unary("¬", x, span=self.b._span(p.token, x), depth=self.b._depth(x))
        return self.cmp()

    def cmp(self):
        a = self.add()
        op = self._op(_CMP)
        if op is None:
            return a
        self.i += 1
        b = self.add()
        return ast.Compare(_canon(op), a, b, span=self.b._span(a, b), depth=self.b._depth(a, b))

    def _chain(self, sub, ops):
        xs = [sub()]
        names = []
        while (op := self._op(ops)) is not None:
            self.i += 1
            names.append(_canon(op))
            xs.append(sub())
        if len(xs) == 1:
            return xs[0]
        return ast.Chain(tuple(names), tuple(xs), span=self.b._span(xs[0], xs[-1]),
                         depth=self.b._depth(*xs))

    def add(self):
        return self._chain(self.mul, _ADD)

    def mul(self):
        return self._chain(self.neg, _MUL)

    def neg(self):
        p = self._pre({"-"})
        if p is not None:
            self.i += 1
            x = self.neg()
            return ast.Unary("-", x, span=self.b._span(p.token, x), depth=self.b._depth(x))
        return self.atom()

    def atom(self):
        kind, x, tok = self.s[self.i]
        self.i += 1
        if kind == "atom":
            return x
        if kind == "op":  # cannot happen: the grammar puts an operand between operators
            raise ChainError("FC101", f"unexpected `{x}`", tok, "expected an expression")
        p: _Prefix = x
        b = self.b
        if p.op in ("∀", "∃"):
            body = self.iff()
            return ast.Quant(p.op, p.data, body, span=b._span(p.token, body),
                             depth=b._depth(body, *p.data))
        if p.op == "Σ":
            body = self.add()
            return ast.Sum(p.data, body, span=b._span(p.token, body), depth=b._depth(body, *p.data))
        if p.op == "if":
            cond, then = p.data
            orelse = self.iff()
            return ast.Ite(cond, then, orelse, span=b._span(p.token, orelse),
                           depth=b._depth(cond, then, orelse))
        raise ChainError("FC101", f"`{p.op}` cannot stand here", p.token,
                         f"parenthesise the operand: `({p.op} …)`")


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
        d = 0
        for n in nodes:
            try:
                if n.depth > d:
                    d = n.depth
            except AttributeError:  # binders and other depth-less nodes
                pass
        return d + 1

    # -- keywords kept as tokens ---------------------------------------------------------
    def _first(self, children):
        return children[0]

    binop = quantkw = checkkind = notkw = negkw = sumkw = boolkw = _first
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

    # -- operators: a flat chain, precedence resolved by _Chain ---------------------------
    def p_not(self, c):
        return _Prefix("¬", c[0], ())

    def p_neg(self, c):
        return _Prefix("-", c[0], ())

    def p_quant(self, c):
        kw, items = c
        return _Prefix(_canon(str(kw)), kw, items)

    def p_sum(self, c):
        kw, items = c
        return _Prefix("Σ", kw, items)

    def p_if(self, c):
        kw, cond, then = c
        return _Prefix("if", kw, (cond, then))

    def unit(self, c):
        return _Unit(tuple(c[:-1]), c[-1])

    def expr(self, c):
        if len(c) == 1 and not isinstance(c[0], _Unit):
            return c[0]
        return _Chain(self, c).parse()

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


class _no_gc:
    """Pause the cyclic garbage collector while building trees: parsing allocates many
    objects and no cycles, so collections there are pure cost (about 30% of parse time)."""

    def __enter__(self):
        import gc
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        import gc
        if self.was:
            gc.enable()


def parse(text: str, file: str = "<string>") -> tuple[list[Diagnostic], ast.Module]:
    """Parse ``text``; returns ``(diagnostics, module)``. Never raises on bad input.

    On a syntax error the file is parsed again statement by statement (a statement starts at
    column 1), so that one run reports the errors of every statement, up to
    :data:`MAX_SYNTAX_ERRORS`; the statements that do parse are kept.
    """
    parser = _get_parser()
    with _lock, _no_gc():
        _builder.file = file
        try:
            items = parser.parse(text)
            diags: list[Diagnostic] = []
        except (UnexpectedInput, ChainError) as e:
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
        except (UnexpectedInput, ChainError) as e:
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
