"""Objectives of schedules: `minimize e` as a weighted sum Σ wᵢ × termᵢ + c.

The terms are the schedule's costs, `peak`, `peak(c, …)` and `nodes_used`; the weights are
constant Real expressions (literals, named values, and `placements`, the Int variable Σ
replicas). :class:`ObjectiveBuilder` reads the syntax tree of the objective as a linear form,
distributing constant factors over sums (`(a + b) / 2` is `a / 2 + b / 2`), and reports what
is not one (FC701, FC706, FC707). The weights' values, and so their signs, are computed when
the schedule is lowered (:mod:`formalc.schedule.lower`).
"""
from __future__ import annotations

from fractions import Fraction

from ..diagnostics import Span, suggest
from ..syntax import ast
from . import nodes as m
from .scope import Scope
from .types import INT, REAL

#: Names the objective knows besides the schedule's costs.
PEAK, NODES_USED = "peak", "nodes_used"
BUILTIN_TERMS = (PEAK, NODES_USED, m.PLACEMENTS)


def vars_in(e) -> list[m.Var]:
    """The variables a typed expression mentions (in source order), walking without recursion."""
    out: list[m.Var] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, m.Var):
            out.append(x)
            continue
        if hasattr(x, "__dataclass_fields__"):
            stack.extend(reversed(m.children(x)))
    return out


def ast_names(e) -> list[ast.Name]:
    """Every :class:`ast.Name` inside a syntax expression (field names are not names)."""
    out: list[ast.Name] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ast.Name):
            out.append(x)
        elif isinstance(x, tuple):
            stack.extend(reversed(x))
        elif isinstance(x, ast.Node) and hasattr(x, "__dataclass_fields__"):
            stack.extend(reversed([getattr(x, f) for f in x.__dataclass_fields__
                                   if f not in ("span", "depth")]))
    return out


def source(e, need: str = "top") -> str:
    """The canonical text of a syntax expression; with ``need="factor"``, parenthesised where
    it must be to stand before `/`."""
    from ..syntax import printer
    if need == "factor":
        return printer._x(e, printer.MUL, printer.MUL)
    return printer.format_expr(e)


def _join(a: Span | None, b: Span | None) -> Span | None:
    if a is None or b is None:
        return a or b
    return a.to(b) if (a.line, a.column) <= (b.line, b.column) else b.to(a)


def _real(x):
    return m.ToReal(x, REAL, span=x.span) if x.type == INT else x


class ObjectiveBuilder:
    """`minimize e`: ``e`` as Σ weight × term + constant, over the schedule's terms."""

    def __init__(self, one, it: ast.SMinimize):
        """``one`` builds the schedule (its costs, capacities, scope, checker and `_only`)."""
        self.one, self.it = one, it
        self.costs, self.capacities = one.costs, one.capacities
        self.scope = Scope({**one.scope.vars, m.PLACEMENTS: INT})

    def error(self, *a, **k):
        self.one.error(*a, **k)

    def build(self) -> m.Objective | None:
        form = self.form(self.it.objective)
        if form is None:
            return None
        const = form.pop(None, None)
        if const is not None:
            for v in vars_in(const[0]):
                if v.name == m.PLACEMENTS:
                    self.error("FC707", "`placements` (Σ replicas) stands only in a weight, "
                               "multiplying a term of the objective", v.span,
                               hint="e.g. `minimize 4 × placements × peak`")
                    return None
        terms = tuple((t, w) for t, (w, _) in form.items())
        c = const[0] if const is not None else m.Lit(Fraction(0), REAL, span=self.it.span)
        return m.Objective(terms, c, span=self.it.span)

    # a linear form: {term or None (the constant): (weight, span of where it is written)}
    def form(self, e):
        if isinstance(e, ast.Chain) and e.ops and e.ops[0] in ("+", "-") and "∪" not in e.ops \
                and "\\" not in e.ops:
            acc = self.form(e.operands[0])
            for op, x in zip(e.ops, e.operands[1:]):
                r = self.form(x)
                if acc is None or r is None:
                    return None
                acc = self._add(acc, r, op)
            return acc
        if isinstance(e, ast.Chain) and e.ops and e.ops[0] in ("×", "/") and "∩" not in e.ops:
            acc = self.form(e.operands[0])
            for op, x in zip(e.ops, e.operands[1:]):
                r = self.form(x)
                if acc is None or r is None:
                    return None
                acc = self._mul(acc, r, e, x) if op == "×" else self._div(acc, r, e, x)
                if acc is None:
                    return None
            return acc
        if isinstance(e, ast.Unary) and e.op == "-":
            inner = self.form(e.operand)
            if inner is None:
                return None
            return {k: (m.Neg(w, REAL, span=e.span), e.span) for k, (w, _) in inner.items()}
        term = self.term(e)
        if term is False:
            return None
        if term is not None:
            return {term: (m.Lit(Fraction(1), REAL, span=e.span), e.span)}
        x = self.constant(e)
        return None if x is None else {None: (x, e.span)}

    def _add(self, a: dict, b: dict, op: str) -> dict:
        out = dict(a)
        for k, (w, span) in b.items():
            if op == "-":
                w = m.Neg(w, REAL, span=w.span)
            if k in out:
                w0, s0 = out[k]
                span = _join(s0, span)
                out[k] = (m.Arith(("+",), (w0, w), REAL, span=span), span)
            else:
                out[k] = (w, span)
        return out

    def _mul(self, a: dict, b: dict, chain: ast.Chain, right) -> dict | None:
        ta, tb = [k for k in a if k is not None], [k for k in b if k is not None]
        if ta and tb:
            self.error("FC706", f"`{_label(ta[0])}` × `{_label(tb[0])}`: a product of two terms "
                       "is not a weighted sum", chain.span,
                       hint="an objective is Σ wᵢ × termᵢ with constant weights; to combine two "
                            "costs per placement, define one cost: `cost c: …`")
            return None
        if tb:  # constant × linear form: keep the constant on the right
            a, b = b, a
        c = b[None][0]  # b holds only a constant now
        return {k: (_times(w, c, chain.span), chain.span) for k, (w, _) in a.items()}

    def _div(self, a: dict, b: dict, chain: ast.Chain, right) -> dict | None:
        tb = [k for k in b if k is not None]
        if tb:
            self.error("FC706", f"the objective divides by the term `{_label(tb[0])}`; a term "
                       "can only be multiplied by a constant weight", right.span,
                       hint="an objective is Σ wᵢ × termᵢ with constant weights")
            return None
        c = b[None][0]
        if isinstance(c, (m.Lit, m.ToReal)) and _literal(c) == 0:
            self.error("FC309", "division by zero", right.span)
            return None
        return {k: (m.Arith(("/",), (w, c), REAL, span=chain.span), chain.span)
                for k, (w, _) in a.items()}

    def _term_names(self) -> list[str]:
        return list(self.costs) + [PEAK, NODES_USED]

    def term(self, e):
        """The term ``e`` stands for, None for a constant, False after a diagnostic."""
        if isinstance(e, ast.Name):
            if e.name in self.costs:
                return m.ObjectiveTerm("cost", e.name)
            if e.name == PEAK:
                return m.ObjectiveTerm("peak")
            if e.name == NODES_USED:
                return m.ObjectiveTerm("nodes")
            return None
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.name == PEAK:
            dims: list[str] = []
            for a in e.args:
                v = a.value
                if a.name is not None or not isinstance(v, ast.Name) or v.name not in self.capacities:
                    shown = v.name if isinstance(v, ast.Name) else source(v)
                    self.error("FC701", f"`{shown}` is not a capacity of schedule "
                               f"`{self.one.decl.name}`", a.span,
                               hint=(suggest(shown, list(self.capacities)) if isinstance(v, ast.Name)
                                     else None) or _caps_hint(self.capacities))
                    return False
                if v.name not in dims:
                    dims.append(v.name)
            if not dims:
                self.error("FC701", "`peak()` names no capacity", e.span,
                           hint="write `peak` for all capacities, or name some: "
                                + _caps_hint(self.capacities))
                return False
            order = list(self.capacities)
            dims.sort(key=order.index)
            return m.ObjectiveTerm("peak", dims=() if dims == order else tuple(dims))
        return None

    def constant(self, e):
        """A constant part of a weight: a plain number that mentions no term."""
        terms = set(self._term_names())
        for x in ast_names(e):
            if x.name in terms and x.name not in self.scope.vars:
                self.error("FC706", f"the term `{x.name}` stands inside an expression that is not "
                           "a weighted sum", e.span,
                           hint="an objective is Σ wᵢ × termᵢ (+ a constant) with constant "
                                "weights; put per-placement conditions in a cost: `cost c: …`")
                return None
        unknown = None
        if isinstance(e, ast.Name) and e.name not in self.scope.vars and \
                self.b_kind(e.name) is None:
            unknown = e
        elif isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
                self.b_kind(e.func.name) is None and e.func.name not in self.scope.vars:
            unknown = e.func
        if unknown is not None:
            self.error("FC701", f"`{unknown.name}` is not a cost of schedule "
                       f"`{self.one.decl.name}`", unknown.span,
                       hint=suggest(unknown.name, self._term_names() + [m.PLACEMENTS]) or
                       "the objective adds the schedule's costs ("
                       + ", ".join(f"`{c}`" for c in self.costs) + "), `peak`, `peak(c, …)` and "
                       "`nodes_used`, with constant weights")
            return None
        x = self.one.chk.check(e, self.scope)
        if x is None:
            return None
        if not self.one._only(x, set(), "the objective is about the whole placement: it",
                              "put per-placement expressions in a cost (`cost c: …`) and "
                              "minimise that"):
            return None
        if x.type not in (INT, REAL):
            self.error("FC706", f"a weight is a plain number; this is {x.type}", e.span,
                       hint="weights are constants without units: literals, named values, "
                            "`placements`, and their products and quotients")
            return None
        return _real(x)

    def b_kind(self, name: str):
        return self.one.b.lookup_kind(name)


def _times(w, c, span):
    """``w × c``, without the factor 1 a bare term starts with."""
    if _literal(w) == 1:
        return c
    return m.Arith(("×",), (w, c), REAL, span=span)


def _literal(x) -> Fraction | None:
    if isinstance(x, m.ToReal):
        x = x.operand
    if isinstance(x, m.Lit) and not isinstance(x.value, (bool, str)):
        return Fraction(x.value)
    return None


def _label(t: m.ObjectiveTerm) -> str:
    if t.kind == "cost":
        return t.name
    if t.kind == "peak":
        return PEAK if not t.dims else f"peak({', '.join(t.dims)})"
    return NODES_USED


def _caps_hint(capacities) -> str:
    if not capacities:
        return "this schedule declares no capacity (`capacity cpu: … ≤ …`)"
    return "its capacities: " + ", ".join(f"`{c}`" for c in capacities)
