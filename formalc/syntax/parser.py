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
from lark.exceptions import UnexpectedInput

from ..diagnostics import Diagnostic, Span
from . import ast
from .chain import MAX_DEPTH, Chain, ChainError, Prefix, Unit, canon
from .errors import diagnose
from .lexer import FastLexer

#: At most this many syntax errors are reported for one file.
MAX_SYNTAX_ERRORS = 20

_BRACKETS = {"LPAR", "RPAR", "LBRACE", "RBRACE", "BAR"}


def _nodes(children) -> list:
    """Children without bracket tokens (kept by the grammar only for their positions)."""
    return [x for x in children if not (isinstance(x, Token) and x.type in _BRACKETS)]


def _pos(x) -> Span | None:
    if isinstance(x, Token):
        return x  # type: ignore[return-value]  # tokens carry the same attributes
    return getattr(x, "span", None)


class _Kids:
    """What a rule without a callback builds: Lark's internal repetition rules (`x ("," x)*`)
    only need to hand their children on to the rule that contains them, for which a plain
    holder is enough (a lark Tree costs more)."""

    __slots__ = ("data", "children")

    def __init__(self, data, children):
        self.data, self.children = data, children


class _Builder(Transformer):
    """Lark callbacks that build syntax nodes; ``file`` is set before each parse."""

    def __init__(self) -> None:
        super().__init__()
        self.file = "<string>"

    def __default__(self, data, children, meta):
        return _Kids(data, children)

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

    binop = quantkw = checkkind = checkkw = assumekw = notkw = negkw = sumkw = boolkw = _first
    ifkw = setkw = machinekw = temporalkw = withinkw = schedulekw = minimizekw = _first

    def atom(self, c):  # "(" expr ")": the inner expression, its span widened to the parens
        import dataclasses
        inner = _nodes(c)[0]
        return dataclasses.replace(inner, span=self._span(*c))

    def empty_set(self, children):
        return ast.SetLit((), span=self._span(*children), depth=1)

    # -- atoms ---------------------------------------------------------------------------
    def name(self, c):
        t = c[0]
        return ast.Name(str(t), span=self._tok_span(t))

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
        return ast.BoolLit(canon(str(t)) == "true", span=self._tok_span(t))

    # -- operators: a flat chain, precedence resolved by _Chain ---------------------------
    def p_not(self, c):
        return Prefix("¬", c[0], ())

    def p_neg(self, c):
        return Prefix("-", c[0], ())

    def p_quant(self, c):
        kw, items = c
        return Prefix(canon(str(kw)), kw, items)

    def p_sum(self, c):
        kw, items = c
        return Prefix("Σ", kw, items)

    def p_if(self, c):
        kw, cond, then = c
        return Prefix("if", kw, (cond, then))

    def p_temporal(self, c):
        kw, _within, bound = (list(c) + [None, None])[:3]
        if bound is not None and not str(bound).isdigit():
            raise ChainError("FC106", f"`within` takes a whole number of steps, not `{bound}`",
                             bound, f"e.g. `{kw} within 5 …`")
        return Prefix(canon(str(kw)), kw, int(str(bound)) if bound is not None else None)

    def unit(self, c):
        return Unit(tuple(c[:-1]), c[-1])

    def expr(self, c):
        if len(c) == 1 and not isinstance(c[0], Unit):
            return c[0]
        return Chain(self, c).parse()

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
        return ast.NamedType(str(t), span=self._tok_span(t))

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
        if anns:  # the span stays the declaration's own: carets point at the name
            import dataclasses
            body = dataclasses.replace(body, annotations=anns)
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
        return ast.DefDecl(str(name), params, body,
                           span=self._span(name, body))

    def const_decl(self, c):
        name, _defeq, body = c
        return ast.ConstDecl(str(name), body,
                             span=self._span(name, body))

    def entry_decl(self, c):
        name, *args, value = _nodes(c)
        return ast.EntryDecl(str(name),
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
        kw, kind, name, formula = c[len(anns):]
        return ast.CheckStmt(str(kind) if kind is not None else "valid",
                             str(name) if name is not None else None, formula,
                             annotations=tuple(anns), span=self._span(kw, formula))

    def assume_stmt(self, c):
        anns = [x for x in c if isinstance(x, ast.Annotation)]
        kw, name, formula = c[len(anns):]
        return ast.AssumeStmt(str(name) if name is not None else None, formula,
                              annotations=tuple(anns), span=self._span(kw, formula))

    # -- machines ------------------------------------------------------------------------
    def machine_decl(self, c):
        kw, name, *rest = _nodes(c)
        items = tuple(x for x in rest if x is not None)
        return ast.MachineDecl(str(name), items, span=self._span(kw, name))

    def mitem(self, c):  # pragma: no cover - every alternative has its own callback
        return c[0]

    def m_sig(self, c):
        name, sig = c
        if sig[0] == "func":
            return ast.MSig(str(name), sig[1], sig[2], span=self._span(name, sig[2]))
        return ast.MSig(str(name), (sig[1],), None, span=self._span(name, sig[1]))

    def _names(self, kind, c):
        refs = tuple(x if isinstance(x, ast.EvRef) else ast.EvRef(None, str(x), span=self._tok_span(x))
                     for x in c)
        return ast.MStates(kind, refs, span=self._span(*c))

    def m_initial(self, c):
        return self._names("initial", c)

    def m_final(self, c):
        return self._names("final", c)

    def m_internal(self, c):
        return self._names("internal", c)

    def m_fair(self, c):
        return self._names("fair", c)

    def evref(self, c):
        a, b = c
        if b is None:
            return ast.EvRef(None, str(a), span=self._tok_span(a))
        return ast.EvRef(str(a), str(b), span=self._span(a, b))

    def m_var(self, c):
        name, ty, init = c
        return ast.MVar(str(name), ty, init, span=self._span(name, init if init is not None else ty))

    def m_param(self, c):
        name, *rest = c
        lo, _dots, hi = [x for x in rest if not (isinstance(x, Token) and x.type != "DOTDOT")]
        return ast.MParam(str(name), lo, hi, span=self._span(name, hi))

    def m_effect(self, c):
        name, *items = c
        return ast.MEffect(str(name), tuple(items), span=self._span(name, *items))

    def guard(self, c):
        return c[0]

    def effects(self, c):
        return tuple(c)

    def assign(self, c):
        name, _defeq, value = c
        return ast.Assign(str(name), value, span=self._span(name, value))

    def action_ref(self, c):
        return ast.ActionRef(str(c[0]), span=self._tok_span(c[0]))

    def m_row(self, c):
        n = _nodes(c)
        func, src, ev, dst, guard, effects = n
        return ast.MRow(str(func), self.name([src]), self.name([ev]), self.name([dst]), guard,
                        effects or (), span=self._span(func, dst, guard, *(effects or ())))

    def m_component(self, c):
        name, _l, lo, _d, hi, _r, machine = c
        return ast.MComponent(str(name), lo, hi, self.name([machine]), span=self._span(name, machine))

    def m_sync(self, c):
        *names, guard, effects = c
        refs = tuple(ast.EvRef(str(a), str(b), span=self._span(a, b))
                     for a, b in zip(names[::2], names[1::2]))
        return ast.MSync(refs, guard, effects or (),
                         span=self._span(names[0], names[-1], guard, *(effects or ())))

    # -- schedules -----------------------------------------------------------------------
    def schedule_decl(self, c):
        kw, name, *rest = _nodes(c)
        items = tuple(x for x in rest if x is not None)
        return ast.ScheduleDecl(str(name), items, span=self._span(kw, name))

    def _word(self, t: Token, words: tuple[str, ...], form: str) -> str:
        """The statement word ``t`` of a schedule item, which must be one of ``words``."""
        w = str(t)
        if w in words:
            return w
        from ..diagnostics import suggest
        hint = suggest(w, words)
        if hint is None:
            hint = ("a schedule states `services s ∈ S`, `nodes n ∈ N`, `replicas: e`, "
                    "`capacity c: d ≤ k`, `require r: p`, `cost c: e`, "
                    "`near r (a, b): p`, `apart r (a, b): p` or `minimize e`")
        raise ChainError("FC101", f"unexpected `{w}`: not a schedule statement of the form {form}",
                         t, hint)

    def s_domain(self, c):
        word, var, dom = c
        kind = self._word(word, ast.SCHEDULE_DOMAINS, "`… x ∈ S`")
        return ast.SDomain(kind, str(var), dom, span=self._span(word, dom),
                           var_span=self._tok_span(var))

    def s_value(self, c):
        word, value = c
        kind = self._word(word, ast.SCHEDULE_VALUES, "`…: e`")
        return ast.SValue(kind, value, span=self._span(word, value))

    def s_rule(self, c):
        word, name, body = c
        kind = self._word(word, ast.SCHEDULE_RULES, "`… name: e`")
        return ast.SRule(kind, str(name), body, span=self._span(word, body),
                         name_span=self._tok_span(name))

    def s_pair(self, c):
        word, name, a, b, body = _nodes(c)
        kind = self._word(word, ast.SCHEDULE_PAIRS, "`… name (a, b): p`")
        return ast.SPair(kind, str(name), str(a), str(b), body, span=self._span(word, body),
                         name_span=self._tok_span(name))

    def s_minimize(self, c):
        kw, objective = c
        return ast.SMinimize(objective, span=self._span(kw, objective))

    def start(self, c):
        return tuple(c)


_lock = threading.Lock()
_parser: Lark | None = None
_builder = _Builder()


def _get_parser() -> Lark:
    global _parser
    if _parser is None:
        grammar = resources.files("formalc.syntax").joinpath("grammar.lark").read_text("utf-8")
        _parser = Lark(grammar, parser="lalr", lexer=FastLexer, transformer=_builder,
                       maybe_placeholders=True, cache=True)
    return _parser


# ------------------------------------------------------------------------------- entry point
_TOPLEVEL = re.compile(r"^(?=[^\s/}\])|,.+\-*])", re.M)
# A chunk made only of annotations (`@def 6.1`) and comments belongs to the next statement.
_ONLY_ANNOTATIONS = re.compile(r"\A(?:\s*(?:@\w+[^\n]*|//[^\n]*))*\s*\Z")


def _statement_starts(text: str) -> list[int]:
    """Where the statements of ``text`` start (column 1), annotations kept with theirs."""
    starts = [m.start() for m in _TOPLEVEL.finditer(text)] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    kept = [starts[0]]
    for a in starts[1:]:
        if _ONLY_ANNOTATIONS.match(text[kept[-1]:a]) and "@" in text[kept[-1]:a]:
            continue          # `@def 6.1` on its own line: the statement goes on below
        kept.append(a)
    return kept


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
    starts = _statement_starts(text)
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
            d = diagnose(parser, e, file, padded, chunked=b < len(text))
            d = _shift(d, a - prefix_lines)
            if not diags or diags[-1].span != d.span:
                diags.append(d)
            if len(diags) >= MAX_SYNTAX_ERRORS:
                break
    if not diags:  # the statement split hid the error: report the original one
        diags.append(diagnose(parser, first, file, text))
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
        if isinstance(item, ast.ScheduleDecl):  # the deepest expression of its statements
            exprs = [getattr(it, f) for it in item.items
                     for f in ("set", "value", "body", "objective") if hasattr(it, f)]
            node = max(exprs, key=lambda x: getattr(x, "depth", 0), default=None)
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
