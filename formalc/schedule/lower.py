"""Lowering a spec's ``schedule`` block to the placement :class:`~formalc.schedule.problem.Problem`.

The typed :class:`~formalc.model.nodes.Schedule` says what to compute; lowering computes it, in
exact arithmetic and without Z3, with the Python evaluator of model expressions
(:mod:`formalc.machines.evaluate`):

* the service and node sets are evaluated to their elements, ordered by their ``name`` field
  (by their text when the record has none);
* per service: its replicas and its demand in every capacity; per node: its capacity (both as
  Fractions in the quantity's base unit: cores, bytes, seconds, bytes per second);
* per (service, node) pair: the requirements that forbid it (``Problem.blocked``) and the value
  of every cost;
* per ordered pair of distinct services: whether each ``near`` / ``apart`` rule relates them;
* per ``minimize``: the weights (``placements`` is Σ replicas), as a :class:`Linear` level.

Whatever cannot be computed is a diagnostic (FC7xx), never an exception and never an empty
placement:

>>> from formalc.model.compile import compile_text
>>> _, spec = compile_text('''
... N = (name: String, cpu: CPU)
... S = (name: String, cpu: CPU)
... schedule P {
...   services s ∈ {S(name: "a", cpu: 1), S(name: "b", cpu: 500m)}
...   nodes n ∈ {N(name: "x", cpu: 2)}
...   capacity cpu: s.cpu ≤ n.cpu
...   minimize peak
... }''')
>>> problem, diags = lower(spec, "P")
>>> [s.name for s in problem.services], problem.nodes[0].cap, diags
(['a', 'b'], (Fraction(2, 1),), [])
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..diagnostics import Diagnostic, Span, source_text, suggest
from ..machines.evaluate import compile_expr
from ..model import nodes as m
from ..model.types import STRING, RecordT, Type, format_number
from .display import attrs, differs, dim, name as elem_name, term_text, text
from .problem import (Affinity, CostTerm, Dim, Linear, Loc, Node, Placement, Problem, Requirement,
                      Service, Term)

__all__ = ["lower", "lower_all", "lower_property", "check_spec", "PropertyTask"]


def lower(spec: m.Spec, name: str) -> tuple[Problem | None, list[Diagnostic]]:
    """The :class:`Problem` of schedule ``name`` of ``spec``, or None with the diagnostics that
    say why. Never raises on a spec that compiled (an unknown ``name`` is a KeyError)."""
    low = _Lowering(spec, spec.schedules[name])
    return low.run(), low.diags


def lower_all(spec: m.Spec) -> tuple[dict[str, Problem], list[Diagnostic]]:
    """Every schedule of ``spec`` (its imports' included), by name; the diagnostics of all."""
    problems: dict[str, Problem] = {}
    diags: list[Diagnostic] = []
    for name in spec.schedules:
        p, d = lower(spec, name)
        diags.extend(d)
        if p is not None:
            problems[name] = p
    return problems, diags


def check_spec(spec: m.Spec) -> list[Diagnostic]:
    """The diagnostics of lowering every schedule of ``spec`` and the arguments of every
    schedule property among its checks (what ``formalc check`` reports as errors of the spec).
    Each schedule is lowered once."""
    diags: list[Diagnostic] = []
    props: dict[str, list[m.ScheduleProp]] = {}
    for c in spec.checks:
        if isinstance(c.formula, m.ScheduleProp):
            props.setdefault(c.formula.schedule, []).append(c.formula)
    for name, sched in spec.schedules.items():
        low = _Lowering(spec, sched)
        problem = low.run()
        if problem is not None:
            for prop in props.get(name, ()):
                low.prop(prop, problem)
        diags.extend(low.diags)
    return diags


@dataclass(frozen=True)
class PropertyTask:
    """A schedule property (`S ⊨ …`) with its arguments as plain values, ready for a checker:

    * ``feasible``: some placement of ``problem`` satisfies every hard constraint;
    * ``failover``: for every set of ``k`` nodes, ``problem.without_nodes(them)`` is feasible;
    * ``scale``: ``problem.with_replicas({service: replicas})`` is feasible;
    * ``placed_by``: :func:`~formalc.schedule.evaluate.evaluate` finds ``placement`` valid.
    """
    kind: str
    problem: Problem
    k: int | None = None
    service: int | None = None
    replicas: int | None = None
    placement: Placement | None = None
    loc: Loc = Loc()


def lower_property(spec: m.Spec, prop: m.ScheduleProp) -> tuple[PropertyTask | None,
                                                                  list[Diagnostic]]:
    """The schedule of ``prop`` lowered, with the property's arguments evaluated."""
    low = _Lowering(spec, spec.schedules[prop.schedule])
    problem = low.run()
    if problem is None:
        return None, low.diags
    task = low.prop(prop, problem)
    return task, low.diags


# ------------------------------------------------------------------------------ the work
class _Failed(Exception):
    """Lowering stops: the diagnostic is already recorded."""


class _Lowering:
    def __init__(self, spec: m.Spec, sched: m.Schedule):
        self.spec, self.sched = spec, sched
        self.diags: list[Diagnostic] = []

    def error(self, code, msg, span, hint=None, notes=()):
        self.diags.append(Diagnostic(code, msg, span, hint=hint, notes=tuple(notes)))

    def loc(self, span: Span | None, text_span: Span | None = None,
            written: str | None = None) -> Loc:
        """Where ``span`` starts, with the source text of ``text_span`` (or ``written``)."""
        if written is None and text_span is not None:
            written = source_text(self.spec.sources, text_span)
        if span is None:
            return Loc(text=written)
        return Loc(span.file, span.line, span.column, written)

    def value(self, e, env: dict, what: str, span):
        """``e`` evaluated in ``env``; FC710 (and _Failed) when it cannot be."""
        return self.call(self.compiled(e, what, span), env, what, span)

    def compiled(self, e, what: str, span):
        try:
            return compile_expr(e, self.spec)
        except Exception as x:
            self._unevaluable(x, what, span)

    def call(self, f, env: dict, what: str, span):
        """A compiled expression ``f`` applied to ``env``; FC710 (and _Failed) when it fails."""
        try:
            return f(env)
        except Exception as x:  # NotApplicable, or anything else: never a traceback
            self._unevaluable(x, what, span)

    def _unevaluable(self, x: Exception, what: str, span):
        reason = str(x).replace("the explicit engine", "a schedule") or type(x).__name__
        self.error("FC710", f"{what} cannot be evaluated: {reason}", span,
                   hint="a schedule is computed from constants: give every value it uses "
                        "a definition (`x := …`) and every function a table row")
        raise _Failed from None

    # ------------------------------------------------------------------ the whole problem
    def run(self) -> Problem | None:
        try:
            return self._run()
        except _Failed:
            return None

    def _run(self) -> Problem:
        sc = self.sched
        self.svc_values, svc_names = self._elements(sc.services, "service")
        self.node_values, node_names = self._elements(sc.nodes, "node")
        svcs, nodes = self.svc_values, self.node_values
        s, n = sc.services.var, sc.nodes.var
        replicas = self._replicas(svcs, svc_names)
        dims: list[Dim] = []
        demands: list[list[Fraction]] = [[] for _ in svcs]
        caps: list[list[Fraction]] = [[] for _ in nodes]
        for c in sc.capacities:
            col = [self._number(c.demand, {s: v}, f"the demand of capacity `{c.name}` for "
                                f"service `{svc_names[i]}`", c.span) for i, v in enumerate(svcs)]
            row = [self._number(c.capacity, {n: v}, f"capacity `{c.name}` of node "
                                f"`{node_names[j]}`", c.span) for j, v in enumerate(nodes)]
            for i, x in enumerate(col):
                demands[i].append(x)
            for j, x in enumerate(row):
                caps[j].append(x)
            written = _between(c.demand.span, c.capacity.span)
            dims.append(dim(c, row, self.loc(c.span, written)))
        svc_origin = self._origins(sc.services)
        node_origin = self._origins(sc.nodes)
        services = [Service(svc_names[i], tuple(demands[i]), replicas[i], True,
                            attrs(v, sc.services.elem), svc_origin.get(v, Loc()))
                    for i, v in enumerate(svcs)]
        node_list = [Node(node_names[j], tuple(caps[j]), attrs(v, sc.nodes.elem),
                          node_origin.get(v, Loc()))
                     for j, v in enumerate(nodes)]
        requirements = [Requirement(r.name, self.loc(r.span, r.predicate.span))
                        for r in sc.requires]
        blocked = self._blocked(svcs, nodes, svc_names, node_names)
        affinities = [self._affinity(rule, svcs, svc_names) for rule in sc.pairs]
        costs = {c.name: self._cost(c, svcs, nodes, svc_names, node_names, blocked)
                 for c in sc.costs}
        placements = sum(replicas)
        objective = [self._level(o, placements, dims) for o in sc.objectives]
        return Problem(sc.name, dims, node_list, services, requirements, blocked, affinities,
                       costs, objective, self.loc(sc.span, written=f"schedule {sc.name}"))

    # ------------------------------------------------------------------ the two sets
    def _elements(self, dom: m.ScheduleSet, what: str) -> tuple[list, list[str]]:
        kind = what + "s"
        values = self.value(dom.set, {}, f"the {what} set of schedule `{self.sched.name}`",
                            dom.set.span)
        if not isinstance(values, frozenset):  # pragma: no cover - the type says set
            self.error("FC710", f"the {what} set of `{self.sched.name}` is not a set",
                       dom.set.span)
            raise _Failed
        if not values:
            shown = source_text(self.spec.sources, dom.set.span) or "the set"
            self.error("FC709", f"schedule `{self.sched.name}` has no {kind}: `{shown}` is empty",
                       dom.span, hint=f"a schedule places at least one service on at least one "
                                      f"node; give `{dom.var}` a set with elements")
            raise _Failed
        named = [(elem_name(v, dom.elem), v) for v in values]
        named.sort(key=lambda nv: (nv[0], text(nv[1], dom.elem)))
        for (a, va), (b, vb) in zip(named, named[1:]):
            if a == b:
                diff = differs(va, vb, dom.elem)
                self.error("FC711", f"two {kind} of schedule `{self.sched.name}` are named `{a}`",
                           dom.span, hint=f"give each {what} a distinct `name`"
                           + (f" (these two differ in `{diff}`)" if diff else ""))
                raise _Failed
        return [v for _, v in named], [nm for nm, _ in named]

    def _origins(self, dom: m.ScheduleSet) -> dict:
        """Where each element of a set is written, when the set lists named values or tuples
        (best effort: for explanations only)."""
        out: dict = {}
        defs = self.spec.definitions
        stack = [(dom.set, 0)]
        while stack:
            e, depth = stack.pop()
            if depth > 50:
                continue
            if e.type == dom.elem:
                try:
                    v = compile_expr(e, self.spec)({})
                except Exception:
                    continue
                if isinstance(e, m.Apply) and not e.args and e.name in defs:
                    d = defs[e.name]
                    out.setdefault(v, self.loc(d.span, written=e.name))
                else:
                    out.setdefault(v, self.loc(e.span, e.span))
            elif isinstance(e, m.Apply) and not e.args and e.name in defs:
                stack.append((defs[e.name].body, depth + 1))
            elif isinstance(e, m.SetLit):
                stack.extend((x, depth) for x in reversed(e.elems))
            elif isinstance(e, m.SetOp):
                stack.extend((x, depth) for x in reversed(e.operands))
        return out

    # ------------------------------------------------------------------ per service, per pair
    def _replicas(self, svcs, names) -> list[int]:
        r = self.sched.replicas
        if r is None:
            return [1] * len(svcs)
        out = []
        s = self.sched.services.var
        for i, v in enumerate(svcs):
            k = self.value(r, {s: v}, f"the replicas of service `{names[i]}`", r.span)
            if isinstance(k, bool) or not isinstance(k, int) or k < 0:
                self.error("FC708", f"service `{names[i]}` would have {text(k)} replicas",
                           r.span, hint="a number of replicas is a whole number ≥ 0 (0 places "
                                        "nothing)")
                raise _Failed
            out.append(k)
        return out

    def _number(self, e, env, what: str, span) -> Fraction:
        x = self.value(e, env, what, span)
        if isinstance(x, bool) or not isinstance(x, (int, Fraction)):  # pragma: no cover
            self.error("FC710", f"{what} is not a number ({text(x)})", span)
            raise _Failed
        return Fraction(x)

    def _blocked(self, svcs, nodes, svc_names, node_names) -> list[list[frozenset]]:
        s, n = self.sched.services.var, self.sched.nodes.var
        preds = [(k, self.compiled(r.predicate, f"requirement `{r.name}`", r.span), r)
                 for k, r in enumerate(self.sched.requires)]
        out: list[list[frozenset]] = []
        for i, sv in enumerate(svcs):
            row = []
            for j, nv in enumerate(nodes):
                env = {s: sv, n: nv}
                bad = set()
                for k, f, r in preds:
                    if not self.call(f, env, f"requirement `{r.name}` for service "
                                     f"`{svc_names[i]}` on node `{node_names[j]}`", r.span):
                        bad.add(k)
                row.append(frozenset(bad))
            out.append(row)
        return out

    def _affinity(self, rule: m.PairRule, svcs, names) -> Affinity:
        f = self.compiled(rule.predicate, f"rule `{rule.name}`", rule.span)
        pairs: set[tuple[int, int]] = set()
        for i, a in enumerate(svcs):
            for j, b in enumerate(svcs):
                if i == j:
                    continue
                if self.call(f, {rule.a: a, rule.b: b}, f"rule `{rule.name}` for services "
                             f"`{names[i]}` and `{names[j]}`", rule.span):  # `apart` is symmetric: each unordered pair once, as (low, high)
                    pairs.add((min(i, j), max(i, j)) if rule.kind == "apart" else (i, j))
        return Affinity(rule.kind, rule.name, tuple(sorted(pairs)),
                        self.loc(rule.span, rule.predicate.span))

    def _cost(self, c: m.Cost, svcs, nodes, svc_names, node_names, blocked) -> CostTerm:
        s, n = self.sched.services.var, self.sched.nodes.var
        f = self.compiled(c.body, f"cost `{c.name}`", c.span)
        table = []
        for i, sv in enumerate(svcs):
            row = []
            for j, nv in enumerate(nodes):
                env = {s: sv, n: nv}
                if blocked[i][j]:  # never placed there: a value it cannot have does not matter
                    try:
                        x = f(env)
                    except Exception:
                        x = 0
                else:
                    x = self.call(f, env, f"cost `{c.name}` of service `{svc_names[i]}` on "
                                  f"node `{node_names[j]}`", c.span)
                row.append(Fraction(x))
            table.append(tuple(row))
        return CostTerm(c.name, tuple(table), self.loc(c.span, c.body.span))

    # ------------------------------------------------------------------ the objective
    def _level(self, o: m.Objective, placements: int, dims: list[Dim]) -> Linear:
        env = {m.PLACEMENTS: placements}
        index = {d.name: k for k, d in enumerate(dims)}
        coefs: dict[Term, Fraction] = {}
        for t, w in o.terms:
            term = (Term("cost", t.name) if t.kind == "cost" else
                    Term("peak", dims=tuple(index[d] for d in t.dims)) if t.kind == "peak" else
                    Term("nodes"))
            weight = self.value(w, env, f"the weight of `{term_text(t)}`", w.span or o.span)
            if weight < 0:
                shown = source_text(self.spec.sources, w.span)
                how = (f" (`{shown}` with placements = {placements})"
                       if shown and m.PLACEMENTS in shown else "")
                self.error("FC706", f"the weight of `{term_text(t)}` is "
                           f"{format_number(Fraction(weight))}{how}; weights are never negative",
                           w.span or o.span,
                           hint="minimising a negative weight maximises its term; to prefer "
                                "larger values, minimise a cost that decreases with them "
                                "(e.g. `1 - …`)")
                raise _Failed
            coefs[term] = coefs.get(term, Fraction(0)) + Fraction(weight)
        const = Fraction(self.value(o.const, env, "the objective's constant", o.span))
        written = source_text(self.spec.sources, o.span) or ""
        if written.startswith("minimize"):
            written = written[len("minimize"):].strip()
        return Linear(tuple((t, c) for t, c in coefs.items() if c != 0), const, written)

    # ------------------------------------------------------------------ properties
    def prop(self, prop: m.ScheduleProp, problem: Problem) -> PropertyTask | None:
        loc = self.loc(prop.span, prop.span)
        try:
            if prop.kind == "feasible":
                return PropertyTask("feasible", problem, loc=loc)
            if prop.kind == "failover":
                (arg,) = prop.args
                k = self.value(arg, {}, "the number of failing nodes", arg.span)
                if k < 0:
                    self.error("FC712", f"`failover({k})`: the number of failing nodes cannot "
                               "be negative", arg.span, hint="e.g. `failover(1)`")
                    return None
                return PropertyTask("failover", problem, k=k, loc=loc)
            if prop.kind == "scale":
                return self._scale(prop, problem, loc)
            if prop.kind == "placed_by":
                return self._placed_by(prop, problem, loc)
        except _Failed:
            return None
        raise ValueError(f"unknown schedule property {prop.kind!r}")

    def _scale(self, prop, problem: Problem, loc: Loc) -> PropertyTask | None:
        who, count = prop.args
        v = self.value(who, {}, "the service to scale", who.span)
        names = [s.name for s in problem.services]
        if isinstance(v, str) and prop.args[0].type == STRING:
            index = names.index(v) if v in names else None
        else:
            index = self.svc_values.index(v) if v in self.svc_values else None
        if index is None:
            shown = v if isinstance(v, str) else source_text(self.spec.sources, who.span) or "it"
            self.error("FC712", f"`{shown}` is not a service of schedule `{self.sched.name}`",
                       who.span, hint=suggest(str(shown), names) or
                       "its services: " + ", ".join(f"`{x}`" for x in names[:8]))
            return None
        k = self.value(count, {}, "the new number of replicas", count.span)
        if k < 0:
            self.error("FC708", f"`scale` to {k} replicas: a number of replicas is ≥ 0",
                       count.span, hint="0 removes the service from the placement")
            return None
        return PropertyTask("scale", problem, service=index, replicas=k, loc=loc)

    def _placed_by(self, prop, problem: Problem, loc: Loc) -> PropertyTask | None:
        (arg,) = prop.args
        bindings = self.value(arg, {}, "the placement", arg.span)
        rec: RecordT = arg.type.elem  # type: ignore[union-attr]
        sf = next(f for f, t in rec.fields if t == self.sched.services.elem)
        nf = next(f for f, t in rec.fields if t == self.sched.nodes.elem)
        where: list[list[int]] = [[] for _ in problem.services]
        svc_index = {v: i for i, v in enumerate(self.svc_values)}
        node_index = {v: j for j, v in enumerate(self.node_values)}
        for b in sorted(bindings, key=lambda b: text(b, rec)):
            for field, values, what in ((sf, svc_index, "service"), (nf, node_index, "node")):
                if b[field] not in values:
                    self.error("FC712", f"the placement binds {what} "
                               f"`{elem_name(b[field], self._elem(what))}`, which is not a {what} of "
                               f"schedule `{self.sched.name}`", arg.span,
                               hint=f"a placement binds the schedule's own {what}s")
                    return None
            where[svc_index[b[sf]]].append(node_index[b[nf]])
        placement = tuple(tuple(sorted(js)) for js in where)
        return PropertyTask("placed_by", problem, placement=placement, loc=loc)

    def _elem(self, what: str) -> Type:
        return self.sched.services.elem if what == "service" else self.sched.nodes.elem


def _between(a: Span | None, b: Span | None) -> Span | None:
    """The span from the earlier of two spans to the later one."""
    if a is None or b is None:
        return a or b
    if a.start_pos > b.start_pos:
        a, b = b, a
    return a.to(b)
