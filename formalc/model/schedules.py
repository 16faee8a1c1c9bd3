"""Schedules (Definitions 6.1–7.2): from `schedule` blocks to typed
:class:`~formalc.model.nodes.Schedule` nodes, and schedule properties (`check name: S ⊨ feasible`)
to :class:`~formalc.model.nodes.ScheduleProp`.

A schedule places the elements of a constant set of services (`services s ∈ S`) on those of a
constant set of nodes (`nodes n ∈ N`). Its statements are expressions over those two variables:
`replicas` over `s`; a capacity compares a demand over `s` with a capacity over `n`; a
requirement and a cost speak of both; `near` / `apart` rules of two services `(a, b)`; and
`minimize` is a weighted sum of the schedule's terms (its costs, `peak`, `peak(c, …)`,
`nodes_used`) whose weights are constants and may use `placements` (Σ replicas).

Everything here is about types, units and names; values (the sets' elements, replica counts,
weights) are computed by :mod:`formalc.schedule.lower`.
"""
from __future__ import annotations

from ..syntax import ast
from . import nodes as m
from .objectives import BUILTIN_TERMS, ObjectiveBuilder, ast_names, source, vars_in
from .scope import Scope, numeric
from .types import BOOL, INT, REAL, QuantT, RecordT, SetT, Type

#: The kinds of named statements whose names must differ from each other.
_GROUPS = {"capacity": "capacities", "require": "requirements", "near": "rules",
           "apart": "rules", "cost": "costs"}


class ScheduleBuilder:
    """Builds every schedule of a spec for the :class:`~formalc.model.build.Builder`."""

    def __init__(self, builder) -> None:
        self.b = builder
        self.decls: dict[str, tuple[ast.ScheduleDecl, str]] = {}
        self.schedules: dict[str, m.Schedule] = {}
        self._failed: set[str] = set()

    def error(self, code, msg, span, hint=None, notes=()):
        self.b.error(code, msg, span, hint=hint, notes=notes)

    def build_all(self) -> dict[str, m.Schedule]:
        for name in self.decls:
            self.schedule(name)
        return self.schedules

    def schedule(self, name: str) -> m.Schedule | None:
        if name in self.schedules:
            return self.schedules[name]
        if name in self._failed or name not in self.decls:
            return None
        decl, module = self.decls[name]
        n_errors = sum(d.is_error for d in self.b.diags)
        sched = _One(self, decl, module).build()
        if sched is None or sum(d.is_error for d in self.b.diags) > n_errors:
            self._failed.add(name)
            return None
        self.schedules[name] = sched
        return sched

    def property(self, e: ast.Models, kind: str) -> m.ScheduleProp | None:
        """Type-check ``S ⊨ p`` written as a check, with ``S`` a schedule's name."""
        from .schedule_props import schedule_property
        return schedule_property(self, e, kind)


class _One:
    """Building one schedule declaration."""

    def __init__(self, sb: ScheduleBuilder, decl: ast.ScheduleDecl, module: str):
        self.sb, self.b, self.decl, self.module = sb, sb.b, decl, module
        self.chk = sb.b.checker

    def error(self, *a, **k):
        self.sb.error(*a, **k)

    def _of(self, cls, kind=None):
        return [x for x in self.decl.items if isinstance(x, cls) and (kind is None or x.kind == kind)]

    # ------------------------------------------------------------------ the whole schedule
    def build(self) -> m.Schedule | None:
        d = self.decl
        services = self._domain("services", "s", "Services", "the services to place")
        nodes = self._domain("nodes", "n", "Nodes", "the nodes to place them on")
        if services is None or nodes is None:
            return None
        if services.var == nodes.var:
            self.error("FC310", f"`{nodes.var}` is bound twice in schedule `{d.name}`",
                       self._of(ast.SDomain, "nodes")[0].var_span,
                       hint="name the service and node variables differently, e.g. `s` and `n`")
            return None
        self.s, self.n = services, nodes
        self.scope = Scope({services.var: services.elem, nodes.var: nodes.elem})
        if not self._names_unique():
            return None
        ok = True
        replicas = self._replicas()
        ok &= replicas is not False
        capacities = [self._capacity(it) for it in self._of(ast.SRule, "capacity")]
        requires = [self._require(it) for it in self._of(ast.SRule, "require")]
        pairs = [self._pair(it) for it in self._of(ast.SPair)]
        costs = [self._cost(it) for it in self._of(ast.SRule, "cost")]
        parts = capacities + requires + pairs + costs
        if not ok or any(x is None for x in parts):
            return None
        self.capacities = {c.name: c for c in capacities}  # type: ignore[union-attr]
        self.costs = {c.name: c for c in costs}  # type: ignore[union-attr]
        objectives = [ObjectiveBuilder(self, it).build() for it in self._of(ast.SMinimize)]
        if any(o is None for o in objectives):
            return None
        return m.Schedule(d.name, services, nodes, replicas or None, tuple(capacities),
                          tuple(requires), tuple(pairs), tuple(costs), tuple(objectives),
                          self.b.annotations_of(d), self.module, span=d.span)

    def _domain(self, kind: str, var: str, example: str, what: str) -> m.ScheduleSet | None:
        found = self._of(ast.SDomain, kind)
        if not found:
            self.error("FC702", f"schedule `{self.decl.name}` has no `{kind}` statement",
                       self.decl.span,
                       hint=f"name {what}: `{kind} {var} ∈ {example}`, a constant set")
            return None
        if len(found) > 1:
            self.error("FC702", f"schedule `{self.decl.name}` has two `{kind}` statements",
                       found[1].span, notes=[("first here", found[0].span)],
                       hint=f"a schedule has one set of {kind}; combine them: `A ∪ B`")
            return None
        it = found[0]
        if not self.chk._bindable(it.var, it.var_span):
            return None
        if isinstance(it.set, ast.Name) and self.b.lookup_kind(it.set.name) in ("record", "builtin"):
            self.error("FC710", f"`{it.set.name}` is a type with unboundedly many values; a "
                       f"schedule's {kind} are a constant set", it.set.span,
                       hint=f"list them: `{kind} {it.var} ∈ {{a, b, c}}` with named values "
                            f"`a := {it.set.name}(…)`, or name such a set")
            return None
        if not self._no_placements(it.set):
            return None
        dom = self.chk.check(it.set, Scope())
        if dom is None:
            return None
        if isinstance(dom.type, SetT) and dom.type.elem is None:  # `{}`: nothing to place
            what = "services" if kind == "services" else "nodes"
            self.error("FC709", f"schedule `{self.decl.name}` has no {what}: `{{}}` is empty",
                       it.span, hint=f"a schedule places at least one service on at least one "
                                     f"node; give `{it.var}` a set with elements")
            return None
        if not isinstance(dom.type, SetT):
            self.error("FC301", f"`{kind} {it.var} ∈ …` needs a set, found {dom.type}",
                       it.set.span, hint=f"e.g. `{kind} {it.var} ∈ {{a, b}}`")
            return None
        return m.ScheduleSet(it.var, dom, dom.type.elem, span=it.span)

    def _names_unique(self) -> bool:
        seen: dict[str, object] = {}
        ok = True
        for it in self.decl.items:
            if isinstance(it, ast.SValue) and it.kind in seen:
                self.error("FC702", f"schedule `{self.decl.name}` has two `{it.kind}` statements",
                           it.span, notes=[("first here", seen[it.kind].span)])  # type: ignore[attr-defined]
                ok = False
            elif isinstance(it, ast.SValue):
                seen[it.kind] = it
            if not isinstance(it, (ast.SRule, ast.SPair)):
                continue
            if it.kind == "cost" and it.name in BUILTIN_TERMS:
                self.error("FC702", f"`{it.name}` is built into the objective; a cost needs a "
                           "name of its own", it.name_span,
                           hint=f"e.g. `cost {it.name}_cost: …`")
                ok = False
                continue
            # one namespace per kind (near and apart rules share one): the objective names
            # costs, `peak(…)` capacities, explanations say "requirement `x`", "rule `x`"
            group = _GROUPS[it.kind]
            key = f"{group}#{it.name}"
            if key in seen:
                first = seen[key]
                self.error("FC702", f"two {group} of schedule `{self.decl.name}` are named "
                           f"`{it.name}`", it.name_span,
                           notes=[("first named here", first.name_span)],  # type: ignore[attr-defined]
                           hint=f"give each of the schedule's {group} a name of its own "
                                "(explanations and the objective use it)")
                ok = False
                continue
            seen[key] = it
        return ok

    # ------------------------------------------------------------------ statements
    def _no_placements(self, e) -> bool:
        """FC707 for `placements` in ``e`` (a statement other than `minimize`)."""
        if self.b.lookup_kind(m.PLACEMENTS) is not None:
            return True  # a declared name of the spec
        for x in ast_names(e):
            if x.name == m.PLACEMENTS:
                self.error("FC707", "`placements` (the number of replicas placed, Σ replicas) "
                           "stands only in a weight of `minimize`", x.span,
                           hint="e.g. `minimize 4 × placements × peak`")
                return False
        return True

    def _typed(self, e, scope=None):
        if not self._no_placements(e):
            return None
        return self.chk.check(e, scope or self.scope)

    def _only(self, x, allowed: set[str], what: str, hint: str) -> bool:
        """FC704 when ``x`` mentions a schedule variable outside ``allowed``."""
        mine = {self.s.var: "service", self.n.var: "node"}
        for v in vars_in(x):
            if v.name in mine and v.name not in allowed:
                self.error("FC704", f"{what} cannot mention `{v.name}` (the {mine[v.name]})",
                           v.span, hint=hint)
                return False
        return True

    def _replicas(self):
        found = self._of(ast.SValue, "replicas")
        if not found:
            return None
        it = found[0]
        x = self._typed(it.value)
        if x is None:
            return False
        if not self._only(x, {self.s.var}, "the number of replicas speaks of the service "
                          f"`{self.s.var}` only: it", f"e.g. `replicas: {self.s.var}.replicas`"):
            return False
        if x.type != INT:
            self.error("FC708", f"a number of replicas is a whole number (Int); this is {x.type}",
                       it.value.span, hint=f"e.g. `replicas: {self.s.var}.replicas` or `replicas: 2`")
            return False
        if isinstance(x, m.Neg) and isinstance(x.operand, m.Lit):
            self.error("FC708", "a number of replicas cannot be negative", it.value.span,
                       hint="0 places no replica; 1 is the default")
            return False
        return x

    def _capacity(self, it: ast.SRule) -> m.Capacity | None:
        s, n = self.s.var, self.n.var
        form = (f"`capacity {it.name}: {_field_path(s, self.s.elem, it.name, 'request')} ≤ "
                f"{_field_path(n, self.n.elem, it.name, 'resources')}` (a demand of `{s}`, a "
                f"capacity of `{n}`)")
        e = it.body
        if not isinstance(e, ast.Compare) or e.op not in ("≤", "≥"):
            self.error("FC703", f"capacity `{it.name}` must compare a demand with a capacity: "
                       "`demand ≤ capacity`", e.span, hint=f"e.g. {form}")
            return None
        d_syn, c_syn = (e.left, e.right) if e.op == "≤" else (e.right, e.left)
        side = "left" if e.op == "≤" else "right"
        other = "right" if side == "left" else "left"
        d, c = self._typed(d_syn), self._typed(c_syn)
        if d is None or c is None:
            return None
        if not self._only(d, {s}, f"the demand of capacity `{it.name}` ({side} of `{e.op}`) "
                          f"speaks of the service `{s}` only: it", f"e.g. {form}"):
            return None
        if not self._only(c, {n}, f"the capacity of `{it.name}` ({other} of `{e.op}`) "
                          f"speaks of the node `{n}` only: it", f"e.g. {form}"):
            return None
        for x, syn, what in ((d, d_syn, "demand"), (c, c_syn, "capacity")):
            if not numeric(x.type):
                self.error("FC703", f"the {what} of capacity `{it.name}` is {x.type}, not one "
                           "resource dimension (a number or a quantity)", syn.span,
                           hint=f"write one capacity per dimension, e.g. {form}")
                return None
        td, tc = d.type, c.type
        if td != tc:
            qd, qc = isinstance(td, QuantT), isinstance(tc, QuantT)
            plain = c if qd else d  # the side without a unit, when only one has one
            if (qd and qc) or (qd != qc and not isinstance(plain, m.Lit)):
                self.error("FC703", f"capacity `{it.name}`: the demand is {td} but the capacity "
                           f"is {tc}", e.span,
                           hint=f"a capacity measures one resource: its demand and its "
                                f"capacity are both {td} or both {tc}")
                return None
            d, c, t = self.chk.unify(d, c, e.span, e.op)
            if t is None:
                return None
        else:
            t = td
        return m.Capacity(it.name, d, c, t, span=it.span)

    def _require(self, it: ast.SRule) -> m.Require | None:
        x = self._typed(it.body)
        if x is None:
            return None
        if x.type != BOOL:
            self.error("FC307", f"requirement `{it.name}` must be a Boolean formula over "
                       f"`{self.s.var}` and `{self.n.var}`, but this is {x.type}", it.body.span,
                       hint=f"e.g. `require {it.name}: {self.n.var}.trust ≥ {self.s.var}.minTrust`")
            return None
        return m.Require(it.name, x, span=it.span)

    def _pair(self, it: ast.SPair) -> m.PairRule | None:
        if it.a == it.b:
            self.error("FC310", f"`{it.a}` is bound twice in rule `{it.name}`", it.span,
                       hint=f"a {it.kind} rule relates two services: `{it.kind} {it.name} (a, b): …`")
            return None
        if not self.chk._bindable(it.a, it.span) or not self.chk._bindable(it.b, it.span):
            return None
        elem = self.s.elem
        scope = Scope({**self.scope.vars, it.a: elem, it.b: elem})
        x = self._typed(it.body, scope)
        if x is None:
            return None
        if not self._only(x, {it.a, it.b}, f"`{it.kind} {it.name}` speaks of the services "
                          f"`{it.a}` and `{it.b}`: it",
                          f"use `{it.a}` and `{it.b}`, e.g. `{it.a}.kind = RuleEngine`"):
            return None
        if x.type != BOOL:
            self.error("FC307", f"rule `{it.name}` must be a Boolean formula over `{it.a}` and "
                       f"`{it.b}`, but this is {x.type}", it.body.span)
            return None
        return m.PairRule(it.kind, it.name, it.a, it.b, x, span=it.span)

    def _cost(self, it: ast.SRule) -> m.Cost | None:
        x = self._typed(it.body)
        if x is None:
            return None
        if isinstance(x.type, QuantT):
            self.error("FC705", f"cost `{it.name}` is {x.type}, but a cost is a plain number",
                       it.body.span, hint=f"divide by a unit: `{source(it.body, 'factor')} / "
                       f"{_unit_example(x.type)}`")
            return None
        if x.type not in (INT, REAL):
            self.error("FC705", f"cost `{it.name}` is {x.type}, but a cost is a number",
                       it.body.span, hint="e.g. `if … then 1 else 0`")
            return None
        return m.Cost(it.name, x, span=it.span)


def _field_path(var: str, t: Type, name: str, group: str) -> str:
    """How ``var`` would reach a resource called ``name``: `s.cpu`, `s.request.cpu`, or the
    generic `s.request.cpu` when its type has neither."""
    if isinstance(t, RecordT):
        if t.field_type(name) is not None:
            return f"{var}.{name}"
        for f, ft in t.fields:
            if isinstance(ft, RecordT) and ft.field_type(name) is not None:
                return f"{var}.{f}.{name}"
    return f"{var}.{group}.{name}"


def _unit_example(t: QuantT) -> str:
    return {"CPU": "1core", "Bytes": "1GiB", "Time": "1ms", "Bandwidth": "1Mbps"}.get(str(t),
                                                                                   "1 unit")
