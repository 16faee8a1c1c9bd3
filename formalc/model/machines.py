"""Machines (Definition 3.1): from `machine` blocks to typed :class:`~formalc.model.nodes.Machine`
nodes, and machine properties (`check name: M ⊨ φ`) to :class:`~formalc.model.nodes.Models`.

A basic machine has δ's signature `δ: S × E → S`, an initial state and rows; a composition has
components `c[1..N]: M` (instances of a basic machine, interleaved), rules `c.e when g do u`
and shared variables. Inside a machine, expressions see its variables and parameters (and
`state` in a basic machine; `count(c, S)` in a composition).
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Severity, suggest
from ..syntax import ast
from . import nodes as m
from .scope import MachineCtx, Scope
from .types import INT, EnumT

#: The name of a basic machine's control state in its properties and guards.
STATE = "state"


def count_var(component: str, state: str) -> str:
    """The name of the variable counting the instances of ``component`` in ``state``."""
    return f"{component}#{state}"


class MachineBuilder:
    """Builds every machine of a spec for the :class:`~formalc.model.build.Builder`."""

    def __init__(self, builder) -> None:
        self.b = builder
        self.decls: dict[str, tuple[ast.MachineDecl, str]] = {}
        self.machines: dict[str, m.Machine] = {}
        self._failed: set[str] = set()
        self._in_progress: list[str] = []

    def error(self, code, msg, span, hint=None, notes=()):
        self.b.error(code, msg, span, hint=hint, notes=notes)

    # ------------------------------------------------------------------ entry points
    def build_all(self) -> dict[str, m.Machine]:
        for name in self.decls:
            self.machine(name)
        return self.machines

    def machine(self, name: str) -> m.Machine | None:
        if name in self.machines:
            return self.machines[name]
        if name in self._failed or name not in self.decls:
            return None
        decl, module = self.decls[name]
        if name in self._in_progress:
            self.error("FC206", f"machine `{name}` contains itself", decl.span,
                       hint="a composition's components are basic machines")
            self._failed.add(name)
            return None
        self._in_progress.append(name)
        n_errors = sum(d.is_error for d in self.b.diags)
        try:
            mach = _One(self, decl, module).build()
        finally:
            self._in_progress.pop()
        if mach is None or sum(d.is_error for d in self.b.diags) > n_errors:
            self._failed.add(name)
            return None
        self.machines[name] = mach
        return mach

    def property(self, e: ast.Models, kind: str) -> m.Models | None:
        """Type-check ``M ⊨ φ`` written as a check."""
        if not isinstance(e.machine, ast.Name) or e.machine.name not in self.decls:
            what = e.machine.name if isinstance(e.machine, ast.Name) else None
            schedules = list(self.b.sb.decls)
            either = " or a schedule" if schedules else ""
            self.error("FC507", (f"`{what}` is not a machine{either}" if what else
                                 f"the left side of `⊨` must name a machine{either}"),
                       e.machine.span,
                       hint=suggest(what, list(self.decls) + schedules) if what else
                       "write `check name: M ⊨ φ` with M a machine declared with `machine M { … }`")
            return None
        n_errors = sum(d.is_error for d in self.b.diags)
        mach = self.machine(e.machine.name)
        if mach is None:
            if sum(d.is_error for d in self.b.diags) == n_errors and \
                    not any(d.is_error for d in self.b.diags):
                # the machine failed without saying why: never drop the check silently
                self.error("FC503", f"machine `{e.machine.name}` could not be built", e.span)
            return None
        scope = machine_scope(self, mach, temporal=True)
        if isinstance(e.prop, ast.Name) and e.prop.name in m.STRUCTURAL \
                and e.prop.name not in scope.vars:
            if kind == "sat":
                self.error("FC509", f"`{e.prop.name}` is a property of all of `{mach.name}`'s "
                           "runs; `check sat` asks for one run", e.span,
                           hint=f"write `check name: {mach.name} ⊨ {e.prop.name}`")
                return None
            return m.Models(mach.name, m.Structural(e.prop.name, span=e.prop.span), span=e.span)
        if isinstance(e.prop, ast.Name) and e.prop.name not in scope.vars \
                and self.b.lookup_kind(e.prop.name) is None:
            self.error("FC201", f"unknown name `{e.prop.name}`", e.prop.span,
                       hint=suggest(e.prop.name, list(m.STRUCTURAL) + list(scope.vars)) or
                       "a structural property is one of " + ", ".join(m.STRUCTURAL))
            return None
        prop = self.b.checker.check_bool(e.prop, scope, "a machine property")
        if prop is None:
            return None
        return m.Models(mach.name, prop, span=e.span)


def machine_scope(mb: MachineBuilder, mach: m.Machine, temporal: bool = False) -> Scope:
    """The names an expression about ``mach`` sees: `state`, variables, parameters, counts."""
    vars_: dict[str, object] = {}
    comps: dict = {}
    if mach.is_composition:
        for c in mach.components:
            sub = mb.machines[c.machine]
            comps[c.name] = (sub, {s: count_var(c.name, s) for s in sub.state_type.members})
    else:
        vars_[STATE] = mach.state_type
    for p in mach.params:
        vars_[p.name] = INT
    for v in mach.vars:
        vars_[v.name] = v.type
    return Scope(vars_, MachineCtx(mach.name, temporal, comps))


class _One:
    """Building one machine declaration."""

    def __init__(self, mb: MachineBuilder, decl: ast.MachineDecl, module: str):
        self.mb, self.b, self.decl, self.module = mb, mb.b, decl, module
        self.items = decl.items

    def error(self, *a, **k):
        self.mb.error(*a, **k)

    def _of(self, cls, kind=None):
        return [x for x in self.items if isinstance(x, cls) and (kind is None or x.kind == kind)]

    # ------------------------------------------------------------------ the whole machine
    def build(self) -> m.Machine | None:
        d = self.decl
        sigs, comps = self._of(ast.MSig), self._of(ast.MComponent)
        if comps and (sigs or self._of(ast.MRow)):
            self.error("FC503", f"machine `{d.name}` has both δ rows and components",
                       (sigs or self._of(ast.MRow))[0].span,
                       hint="a machine is either basic (δ and its rows) or a composition of "
                            "components (`c[1..N]: M`); put the rows in a machine of their own")
            return None
        if not comps and not sigs:
            self.error("FC503", f"machine `{d.name}` has no δ signature", d.span,
                       hint="declare its states and events: `δ: States × Events → States`")
            return None
        params = self._params()
        if params is None:
            return None
        if comps:
            return self._composition(params, comps)
        return self._basic(params, sigs)

    def _params(self):
        out: list[m.Param] = []
        scope = Scope({}, MachineCtx(self.decl.name))
        for p in self._of(ast.MParam):
            lo = self.b.checker.check(p.lo, scope, INT)
            hi = self.b.checker.check(p.hi, scope, INT)
            if lo is None or hi is None:
                return None
            out.append(m.Param(p.name, lo, hi, span=p.span))
            scope = Scope({**scope.vars, p.name: INT}, scope.ctx)
        return out

    def _names(self, kind: str, members, what: str):
        out = []
        for group in self._of(ast.MStates, kind):
            for r in group.names:
                if r.component is not None:
                    self.error("FC501", f"`{r.component}.{r.event}`: `{self.decl.name}` has no "
                               "components", r.span)
                    continue
                if r.event not in members:
                    self.error("FC501", f"`{r.event}` is not {what} of `{self.decl.name}`",
                               r.span, hint=suggest(r.event, list(members)))
                    continue
                out.append(r.event)
        return out

    def _vars(self, scope: Scope):
        out: list[m.MachineVar] = []
        seen = set(scope.vars)
        for v in self._of(ast.MVar):
            if v.name in seen:
                self.error("FC202", f"`{v.name}` is declared twice in machine `{self.decl.name}`",
                           v.span)
                return None
            seen.add(v.name)
            t = self.b.resolve_type(v.type)
            if t is None:
                return None
            init = None
            if v.init is not None:
                init = self.b.checker.check(v.init, scope, t)
                if init is None:
                    return None
            out.append(m.MachineVar(v.name, t, init, span=v.span))
        return out

    def _basic(self, params, sigs) -> m.Machine | None:
        d = self.decl
        if len(sigs) > 1:
            self.error("FC503", f"machine `{d.name}` has two δ signatures", sigs[1].span,
                       notes=[("first here", sigs[0].span)])
            return None
        sig = sigs[0]
        types = [self.b.resolve_type(t) for t in sig.domain] + (
            [self.b.resolve_type(sig.codomain)] if sig.codomain is not None else [])
        if any(t is None for t in types):
            return None
        if len(sig.domain) != 2 or types[0] != types[2] or not isinstance(types[0], EnumT) \
                or not isinstance(types[1], EnumT):
            self.error("FC503", f"`{sig.name}` must have the signature `States × Events → "
                       "States`, with both enumerations", sig.span,
                       hint="e.g. `δ: States × Events → States` where "
                            "`States = {Created, Running, …}` and `Events = {start, …}`")
            return None
        S, E = types[0], types[1]
        initial = self._names("initial", S.members, "a state")
        groups = self._of(ast.MStates, "initial")
        if len(groups) > 1:
            self.error("FC503", f"machine `{d.name}` has two initial states", groups[1].span,
                       notes=[("first here", groups[0].span)], hint="keep one `initial`")
            return None
        if len(groups) != 1 or len(initial) != 1:
            if not any(x.code == "FC501" for x in self.b.diags[-1:]):
                self.error("FC503", f"machine `{d.name}` needs exactly one initial state",
                           d.span, hint=f"write `initial {S.members[0]}`")
            return None
        finals = self._names("final", S.members, "a state")
        internal = self._names("internal", E.members, "an event")
        fair = [(None, e) for e in self._names("fair", E.members, "an event")]
        scope = Scope({STATE: S, **{p.name: INT for p in params}}, MachineCtx(d.name))
        vars_ = self._vars(scope)
        if vars_ is None:
            return None
        scope = Scope({**scope.vars, **{v.name: v.type for v in vars_}}, scope.ctx)
        effects = self._effects(scope, {v.name: v.type for v in vars_})
        if effects is None:
            return None
        rows = []
        for r in self._of(ast.MRow):
            row = self._row(r, sig.name, S, E, scope, {v.name: v.type for v in vars_}, effects)
            if row is not None:
                rows.append(row)
        if not self._of(ast.MRow):
            rows = self._table_rows(sig, S, E)
            if rows is None:
                return None
        self._conflicts(rows)
        return m.Machine(d.name, S, E, initial[0], tuple(finals), tuple(internal), tuple(fair),
                         tuple(vars_), tuple(params), tuple(rows), (), (),
                         self.b.annotations_of(d), self.module, span=d.span)

    def _table_rows(self, sig, S, E):
        """A machine without rows of its own takes them from the spec's function of the same
        name and signature (the seed's δ as a table): `machine L { δ: S × E → S … }`."""
        f = self.b.functions.get(sig.name)
        if f is None or f.domain != (S, E) or f.codomain != S:
            self.error("FC503", f"machine `{self.decl.name}` has no rows", sig.span,
                       hint=f"list its transitions, `{sig.name}({S.members[0]}, {E.members[0]}) = …`, "
                            f"or declare a table `{sig.name}: {S.name} × {E.name} → {S.name}` "
                            "outside the machine to use as its rows")
            return None
        rows = []
        for (src, ev), value in f.table:
            dst = ground_states(value, self.b)
            if dst is None or len(dst) != 1:
                self.error("FC503", f"`{sig.name}({src}, {ev})` is not a state the machine "
                           "can use as a row's target", value.span or sig.span,
                           hint="a table used as δ gives each row a state of "
                                f"`{S.name}` (a member, or a named value that is one)")
                return None
            rows.append(m.Row(src, ev, dst[0], None, (), (), span=value.span))
        return rows

    def _effects(self, scope, assignable):
        out: dict[str, tuple] = {}
        for eff in self._of(ast.MEffect):
            if eff.name in out:
                self.error("FC202", f"effect `{eff.name}` is declared twice", eff.span)
                return None
            done = self._do(eff.items, scope, assignable, out)
            if done is None:
                return None
            out[eff.name] = done
        return out

    def _do(self, items, scope, assignable, effects):
        """A `do` list: (updates, actions), effects inlined."""
        updates: list[tuple[str, m.Expr]] = []
        actions: list[str] = []
        spans: dict[str, object] = {}
        for it in items:
            if isinstance(it, ast.ActionRef):
                if it.name in effects:
                    ups, acts = effects[it.name]
                    for name, value in ups:
                        if name in spans:
                            self.error("FC506", f"`{name}` is assigned twice in one step (also "
                                       f"by effect `{it.name}`)", it.span)
                            return None
                        spans[name] = it.span
                        updates.append((name, value))
                    actions.extend(acts)
                elif self.b.lookup_kind(it.name) == "member":
                    actions.append(it.name)
                else:
                    self.error("FC501", f"`{it.name}` is neither an effect of `{self.decl.name}` "
                               "nor an action (a member of an enumeration such as `Actions`)",
                               it.span, hint=suggest(it.name, list(effects)) or
                               (f"to assign, write `{it.name} := …`" if it.name in assignable else None))
                    return None
                continue
            if it.name not in assignable:
                what = ("a parameter: it never changes" if scope.vars.get(it.name) == INT and
                        it.name not in assignable and it.name in scope.vars and it.name != STATE
                        else "the control state: δ's row sets it" if it.name == STATE
                        else "not a variable of the machine")
                hint = (suggest(it.name, list(assignable)) or f"declare it: `var {it.name}: T = …`"
                        if what == "not a variable of the machine" else
                        "a `param` keeps its value for the whole run; for a value that changes, "
                        "declare a `var`" if what.startswith("a parameter") else
                        "the row's target (`= State`) is the next state")
                self.error("FC506", f"cannot assign `{it.name}`: it is {what}", it.span, hint=hint)
                return None
            if it.name in spans:
                self.error("FC506", f"`{it.name}` is assigned twice in one step", it.span,
                           notes=[("first assigned here", spans[it.name])])
                return None
            value = self.b.checker.check(it.value, scope, assignable[it.name])
            if value is None:
                return None
            spans[it.name] = it.span
            updates.append((it.name, value))
        return tuple(updates), tuple(actions)

    def _row(self, r: ast.MRow, sig: str, S: EnumT, E: EnumT, scope, assignable, effects):
        if r.func != sig:
            self.error("FC501", f"`{r.func}` is not this machine's transition function",
                       r.span, hint=f"rows are written `{sig}(state, event) = state`")
            return None
        ok = True
        for name, members, what in ((r.src, S.members, "a state"), (r.event, E.members, "an event"),
                                    (r.dst, S.members, "a state")):
            if name.name not in members:
                where = S.name if members is S.members else E.name
                self.error("FC501", f"`{name.name}` is not {what} of `{self.decl.name}` "
                           f"(not a member of `{where}`)", name.span,
                           hint=suggest(name.name, list(members)))
                ok = False
        if not ok:
            return None
        step = self._guarded(r, scope, assignable, effects)
        if step is None:
            return None
        guard, (updates, actions) = step
        return m.Row(r.src.name, r.event.name, r.dst.name, guard, updates, actions, span=r.span)

    def _guarded(self, item, scope, assignable, effects):
        """The guard (or None) and the `do` list (updates, actions) of a row or a rule;
        None when either has an error."""
        guard = None
        if item.guard is not None:
            guard = self.b.checker.check_bool(item.guard, scope, "a guard")
            if guard is None:
                return None
        done = self._do(item.effects, scope, assignable, effects)
        return None if done is None else (guard, done)

    def _conflicts(self, rows):
        first: dict[tuple, m.Row] = {}
        for row in rows:
            key = (row.src, row.event)
            prev = first.get(key)
            if prev is None:
                first[key] = row
                continue
            if prev.guard is None and row.guard is None:
                if prev == row:
                    self.b.diags.append(Diagnostic(
                        "FC209", f"row `δ({row.src}, {row.event}) = {row.dst}` is listed twice",
                        row.span, severity=Severity.WARNING, notes=(("first listed here", prev.span),)))
                else:
                    self.error("FC502", f"`δ({row.src}, {row.event})` is given two targets, "
                               f"{prev.dst} and {row.dst}, and neither row has a guard",
                               row.span, notes=[("first row here", prev.span)],
                               hint="δ is a function: keep one row, or guard both with "
                                    "conditions that exclude each other (`when …`)")

    # ------------------------------------------------------------------ compositions
    def _composition(self, params, comps) -> m.Machine | None:
        d = self.decl
        for kind in ("initial", "internal"):
            for x in self._of(ast.MStates, kind):
                self.error("FC503", f"a composition has no `{kind}` of its own", x.span,
                           hint=f"declare `{kind}` in the component machine")
                return None
        for x in self._of(ast.MStates, "final"):
            self.error("FC503", "a composition has no `final` of its own: it is final when "
                       "every instance is in a final state of its machine", x.span)
            return None
        pscope = Scope({p.name: INT for p in params}, MachineCtx(d.name))
        components: list[m.Component] = []
        counts: dict = {}
        for c in comps:
            if c.name in counts or c.name in pscope.vars:
                self.error("FC202", f"`{c.name}` is declared twice in machine `{d.name}`", c.span)
                return None
            sub = self.mb.machine(c.machine.name) if c.machine.name in self.mb.decls else None
            if sub is None:
                if c.machine.name not in self.mb.decls:
                    self.error("FC501", f"`{c.machine.name}` is not a machine", c.machine.span,
                               hint=suggest(c.machine.name, list(self.mb.decls)))
                return None
            if sub.is_composition:
                self.error("FC503", f"component `{c.name}` is a composition; components are basic "
                           "machines", c.machine.span)
                return None
            if sub.vars or sub.params:
                self.error("FC508", f"`{sub.name}` has variables or parameters, so its instances "
                           "cannot be counted", c.machine.span,
                           hint="formalc verifies N instances by counting how many are in each "
                                "state, which needs components without variables; move the "
                                "variables to the composition (shared `var`s updated by rules)")
                return None
            lo, hi = self._bound(c.lo, pscope), self._bound(c.hi, pscope)
            if lo is None or hi is None:
                return None
            components.append(m.Component(c.name, sub.name, lo, hi, span=c.span))
            counts[c.name] = (sub, {s: count_var(c.name, s) for s in sub.state_type.members})
        scope = Scope(dict(pscope.vars), MachineCtx(d.name, False, counts))
        vars_ = self._vars(scope)
        if vars_ is None:
            return None
        scope = Scope({**scope.vars, **{v.name: v.type for v in vars_}}, scope.ctx)
        assignable = {v.name: v.type for v in vars_}
        effects = self._effects(scope, assignable)
        if effects is None:
            return None
        syncs = []
        for s in self._of(ast.MSync):
            evs = []
            for r in s.events:
                if r.component not in counts:
                    self.error("FC501", f"`{r.component}` is not a component of `{d.name}`", r.span,
                               hint=suggest(r.component, list(counts)))
                    return None
                sub = counts[r.component][0]
                if r.event not in sub.event_type.members:
                    self.error("FC501", f"`{r.event}` is not an event of `{sub.name}`", r.span,
                               hint=suggest(r.event, list(sub.event_type.members)))
                    return None
                evs.append((r.component, r.event))
            step = self._guarded(s, scope, assignable, effects)
            if step is None:
                return None
            guard, (updates, actions) = step
            sync = m.Sync(tuple(evs), guard, updates, actions, span=s.span)
            for prev in syncs:
                both = set(prev.events) & set(sync.events)
                clash = {n for n, _ in prev.updates} & {n for n, _ in sync.updates}
                if both and clash:
                    c, e = sorted(both)[0]
                    self.error("FC506", f"`{sorted(clash)[0]}` is assigned twice when `{c}.{e}` "
                               "happens (by two rules)", s.span, notes=[("other rule", prev.span)],
                               hint="merge the two rules' assignments into one")
                    return None
            syncs.append(sync)
        fair = []
        for group in self._of(ast.MStates, "fair"):
            for r in group.names:
                if r.component is None or r.component not in counts:
                    self.error("FC501", f"`{r.event}`: name the component's event, e.g. "
                               f"`{next(iter(counts))}.{r.event}`" if r.component is None else
                               f"`{r.component}` is not a component of `{d.name}`", r.span)
                    return None
                if r.event not in counts[r.component][0].event_type.members:
                    self.error("FC501", f"`{r.event}` is not an event of "
                               f"`{counts[r.component][0].name}`", r.span)
                    return None
                fair.append((r.component, r.event))
        return m.Machine(d.name, None, None, None, (), (), tuple(fair), tuple(vars_),
                         tuple(params), (), tuple(components), tuple(syncs),
                         self.b.annotations_of(d), self.module, span=d.span)

    def _bound(self, e, scope):
        """An instance bound: an Int that is a literal, a named value or a parameter."""
        x = self.b.checker.check(e, scope, INT)
        if x is None:
            return None
        if _ground_int(x, self.b) is not None or isinstance(x, m.Var):
            return x
        self.error("FC505", "the number of instances must be a literal, a named value or a "
                   "`param` with bounds", e.span,
                   hint="declare it in the machine: `param N ∈ 1..200`, then write `c[1..N]`")
        return None


def _ground_int(x, b) -> int | None:
    """The value of an Int expression made of literals and named values, else None."""
    if isinstance(x, m.Lit) and isinstance(x.value, int) and not isinstance(x.value, bool):
        return x.value
    if isinstance(x, m.Apply) and not x.args:
        d = b.definitions.get(x.name)
        return _ground_int(d.body, b) if d is not None else None
    if isinstance(x, m.Neg):
        v = _ground_int(x.operand, b)
        return -v if v is not None else None
    if isinstance(x, m.Arith) and x.type == INT:
        vals = [_ground_int(o, b) for o in x.operands]
        if any(v is None for v in vals):
            return None
        acc = vals[0]
        for op, v in zip(x.ops, vals[1:]):
            acc = acc + v if op == "+" else acc - v if op == "-" else acc * v if op == "×" else None
            if acc is None:
                return None
        return acc
    return None


def count_expr(components: dict, comp: str, states, span) -> m.Expr:
    """``count(c, S)``: the sum of the count variables of ``comp`` for ``states``."""
    names = components[comp][1]
    terms = [m.Var(names[s], INT, span=span) for s in states]
    if not terms:
        return m.Lit(0, INT, span=span)
    if len(terms) == 1:
        return terms[0]
    return m.Arith(("+",) * (len(terms) - 1), tuple(terms), INT, span=span)


def ground_states(x, b) -> list[str] | None:
    """The members named by a constant state or set of states, else None."""
    if isinstance(x, m.EnumConst):
        return [x.member]
    if isinstance(x, m.AllOf):
        return list(x.type.elem.members)
    if isinstance(x, m.SetLit):
        out = []
        for e in x.elems:
            g = ground_states(e, b)
            if g is None:
                return None
            out.extend(s for s in g if s not in out)
        return out
    if isinstance(x, m.Apply) and not x.args:
        d = b.definitions.get(x.name)
        return ground_states(d.body, b) if d is not None else None
    return None

