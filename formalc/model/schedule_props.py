"""Schedule properties: `check name: S ⊨ p` with `S` a schedule, to
:class:`~formalc.model.nodes.ScheduleProp` (see :data:`~formalc.model.nodes.SCHEDULE_PROPS`).

Their arguments are type-checked here (FC712, FC708); their values are computed when the
schedule is lowered (:func:`formalc.schedule.lower.lower_property`).
"""
from __future__ import annotations

from ..diagnostics import suggest
from ..syntax import ast
from . import nodes as m
from .scope import Scope
from .types import INT, STRING, RecordT, SetT

#: How each schedule property is written, with example arguments.
EXAMPLES = {"feasible": "feasible", "failover": "failover(1)", "scale": "scale(service, 3)",
            "placed_by": "placed_by(plan)"}


def schedule_property(sb, e: ast.Models, kind: str) -> m.ScheduleProp | None:
    """Type-check ``S ⊨ p`` (``kind``: the check's, "valid" or "sat") for the
    :class:`~formalc.model.schedules.ScheduleBuilder` ``sb``; None after a diagnostic."""
    return _Props(sb).property(e, kind)


class _Props:
    def __init__(self, sb) -> None:
        self.sb, self.b = sb, sb.b

    def error(self, *a, **k):
        self.sb.error(*a, **k)

    def property(self, e: ast.Models, kind: str) -> m.ScheduleProp | None:
        """Type-check ``S ⊨ p`` written as a check, with ``S`` a schedule's name."""
        name = e.machine.name  # type: ignore[union-attr]
        n_errors = sum(d.is_error for d in self.b.diags)
        sched = self.sb.schedule(name)
        if sched is None:
            if sum(d.is_error for d in self.b.diags) == n_errors and \
                    not any(d.is_error for d in self.b.diags):
                self.error("FC702", f"schedule `{name}` could not be built", e.span)
            return None
        prop = e.prop
        if isinstance(prop, ast.Name):
            pname, args, pspan = prop.name, None, prop.span
        elif isinstance(prop, ast.Call) and isinstance(prop.func, ast.Name):
            pname, args, pspan = prop.func.name, prop.args, prop.func.span
        else:
            self.error("FC712", f"the right side of `{name} ⊨` must be a schedule property",
                       prop.span, hint=_props_hint(name))
            return None
        if pname not in m.SCHEDULE_PROPS:
            self.error("FC712", f"`{pname}` is not a schedule property", pspan,
                       hint=suggest(pname, list(m.SCHEDULE_PROPS)) or _props_hint(name))
            return None
        params = m.SCHEDULE_PROPS[pname][0]
        usage = f"{name} ⊨ {EXAMPLES[pname]}"
        if kind == "sat":
            self.error("FC712", f"`{pname}` is a property of the schedule as a whole; "
                       "`check sat` asks for a witness", e.span,
                       hint=f"write `check name: {usage}`")
            return None
        given = len(args) if args is not None else 0
        if (args is None and params) or given != len(params):
            self.error("FC712", f"`{pname}` takes {len(params)} argument"
                       f"{'s' if len(params) != 1 else ''} ({', '.join(params) or 'none'}), "
                       f"{given} given", prop.span, hint=f"e.g. `{usage}`")
            return None
        for a in args or ():
            if a.name is not None:
                self.error("FC712", f"`{pname}` takes positional arguments; drop `{a.name}:`",
                           a.span, hint=f"e.g. `{usage}`")
                return None
        values = [a.value for a in args or ()]
        out = getattr(self, "_prop_" + pname)(sched, values, usage)
        if out is None:
            return None
        return m.ScheduleProp(sched.name, pname, tuple(out), span=e.span)

    def _prop_feasible(self, sched, values, usage):
        return []

    def _prop_failover(self, sched, values, usage):
        k = self.b.checker.check(values[0], Scope())
        if k is None:
            return None
        if k.type != INT:
            self.error("FC712", f"`failover(k)` takes the number of failing nodes, an Int; this "
                       f"is {k.type}", values[0].span, hint="e.g. `failover(1)`")
            return None
        if isinstance(k, m.Neg) and isinstance(k.operand, m.Lit):
            self.error("FC712", "the number of failing nodes cannot be negative", values[0].span,
                       hint="e.g. `failover(1)`")
            return None
        return [k]

    def _prop_scale(self, sched, values, usage):
        svc_t = sched.services.elem
        x = self.b.checker.check(values[0], Scope())
        if x is None:
            return None
        named = isinstance(svc_t, RecordT) and svc_t.field_type("name") == STRING
        if x.type != svc_t and not (named and x.type == STRING):
            want = f"a service ({svc_t})" + (" or its name (a String)" if named else "")
            self.error("FC712", f"the first argument of `scale` must be {want}; this is "
                       f"{x.type}", values[0].span, hint=f"e.g. `{usage}`")
            return None
        count = self.b.checker.check(values[1], Scope())
        if count is None:
            return None
        if count.type != INT:
            self.error("FC708", f"a number of replicas is an Int; this is {count.type}",
                       values[1].span, hint="e.g. `scale(broker, 3)`")
            return None
        return [x, count]

    def _prop_placed_by(self, sched, values, usage):
        x = self.b.checker.check(values[0], Scope())
        if x is None:
            return None
        svc_t, node_t = sched.services.elem, sched.nodes.elem
        t = x.type
        rec = t.elem if isinstance(t, SetT) else None
        fields = rec.fields if isinstance(rec, RecordT) else ()
        s_fields = [f for f, ft in fields if ft == svc_t]
        n_fields = [f for f, ft in fields if ft == node_t]
        if not isinstance(rec, RecordT) or len(s_fields) != 1 or len(n_fields) != 1 \
                or svc_t == node_t:
            self.error("FC712", "`placed_by` takes a set of bindings: tuples with one field of "
                       f"type {svc_t} and one of type {node_t}; this is {t}", values[0].span,
                       hint=f"e.g. `Binding = (service: {svc_t}, node: {node_t})` and a set of "
                            "`Binding(service: …, node: …)`")
            return None
        return [x]


def _props_hint(name: str) -> str:
    return ("a schedule property is one of " + ", ".join(
        f"`{name} ⊨ {p}" + (f"({', '.join(ps)})`" if ps else "`")
        for p, (ps, _) in m.SCHEDULE_PROPS.items()))
