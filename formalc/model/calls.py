"""Applications: calls of definitions and functions, tuple constructors, built-ins."""
from __future__ import annotations

from ..diagnostics import suggest
from ..syntax import ast
from . import nodes as m
from .scope import Scope
from .typecheck import ExprChecker

BUILTIN_FUNCS = {"total"}


def m_set(t):
    from .types import SetT
    return SetT(t)


def _describe(kind: str) -> str:
    return {"enum": "an enumeration type", "record": "a tuple type", "set": "a named set",
            "func": "a function", "const": "a constant", "def": "a definition",
            "member": "an enumeration member", "machine": "a machine",
            "schedule": "a schedule"}.get(kind, kind)


class CallMixin:
    """Resolution of applications `f(…)` for the Builder (a mixin): definitions, functions,
    tuple constructors and built-ins."""

    def resolve_call(self, e: ast.Call, scope: Scope, chk: ExprChecker):
        name = e.func.name  # type: ignore[union-attr]
        if name == "count" and scope.ctx is not None and scope.ctx.components \
                and name not in self.entries:
            return self._count(e, scope, chk)
        if name in BUILTIN_FUNCS:
            return self._builtin(name, e)
        if name == "count" and name not in self.entries:
            self.error("FC501", "`count(c, S)` counts the instances of a composition's component "
                       "`c` in state `S`; there are no components here", e.span,
                       hint="use it in a composition's rules and properties: "
                            "`check cap: Node ⊨ always count(c, Running) ≤ K`")
            return None
        entry = self.entries.get(name)
        if entry is None:
            if name in scope.vars:
                self.error("FC304", f"`{name}` is a variable; it cannot be applied", e.span)
            else:
                self.error("FC201", f"unknown name `{name}`", e.func.span,
                           hint=suggest(name, list(self.entries) + sorted(BUILTIN_FUNCS)))
            return None
        if entry.kind in ("def",):
            d = self.definition(name)
            if d is None:
                return None
            if not d.params:
                self.error("FC304", f"`{name}` is a value, not a predicate or metric; "
                           f"drop the parentheses", e.span)
                return None
            args = chk.check_args(e, scope, [t for _, t in d.params], d.kind)
            return m.Apply(name, args, d.type, span=e.span) if args is not None else None
        if entry.kind == "func":
            f = self.function(name)
            if f is None:
                return None
            args = chk.check_args(e, scope, list(f.domain), "function")
            return m.FuncApp(name, args, f.codomain, span=e.span) if args is not None else None
        if entry.kind == "record":
            return self._construct(name, e, scope, chk)
        self.error("FC304", f"`{name}` is {_describe(entry.kind)}; it cannot be applied", e.span)
        return None

    def _count(self, e: ast.Call, scope: Scope, chk: ExprChecker):
        """``count(c, S)``: how many instances of component c are in state(s) S;
        ``count(c)``: how many instances c has."""
        from .machines import count_expr, ground_states
        comps = scope.ctx.components
        first = e.args[0].value if e.args else None
        if not (1 <= len(e.args) <= 2) or not isinstance(first, ast.Name) or first.name not in comps:
            self.error("FC501", "`count` takes a component and a state or set of states: "
                       "`count(c, Running)`", e.span,
                       hint=f"components here: {', '.join(sorted(comps))}")
            return None
        sub, names = comps[first.name]
        if len(e.args) == 1:
            return count_expr(comps, first.name, list(names), e.span)
        arg = e.args[1].value
        x = chk.check(arg, scope)
        if x is None:
            return None
        states = ground_states(x, self) if x.type in (sub.state_type, m_set(sub.state_type)) else None
        if states is None:
            self.error("FC301", f"the second argument of `count` must be a state of `{sub.name}` "
                       f"or a constant set of them", arg.span,
                       hint=f"e.g. `count({first.name}, {sub.state_type.members[0]})`")
            return None
        return count_expr(comps, first.name, states, e.span)

    def _builtin(self, name, e: ast.Call):
        if name == "total":
            if len(e.args) != 1 or not isinstance(e.args[0].value, ast.Name) or \
                    self.lookup_kind(e.args[0].value.name) != "func":
                self.error("FC301", "`total` takes the name of a function: `total(δ)`", e.span)
                return None
            fname = e.args[0].value.name
            f = self.function(fname)
            if f is None:
                return None
            return m.Total(fname, span=e.span)
        return None

    def _construct(self, name, e: ast.Call, scope, chk: ExprChecker):
        t = self._record(name)
        if t is None:
            return None
        fields = t.fields
        given: dict[str, object] = {}
        positional = [a for a in e.args if a.name is None]
        named = [a for a in e.args if a.name is not None]
        if positional and named:
            self.error("FC311", f"`{name}(…)`: give all fields by name or all by position", e.span)
            return None
        if positional:
            if len(positional) != len(fields):
                self.error("FC311", f"`{name}` has {len(fields)} fields, {len(positional)} given",
                           e.span, hint="fields: " + ", ".join(f"{n}: {ft}" for n, ft in fields))
                return None
            for (fname, _), a in zip(fields, positional):
                given[fname] = a
        else:
            for a in named:
                if t.field_type(a.name) is None:
                    self.error("FC205", f"{name} has no field `{a.name}`", a.span,
                               hint=suggest(a.name, [n for n, _ in fields]))
                    return None
                if a.name in given:
                    self.error("FC311", f"field `{a.name}` given twice", a.span)
                    return None
                given[a.name] = a
            missing = [n for n, _ in fields if n not in given]
            if missing:
                self.error("FC311", f"`{name}(…)` misses field{'s' if len(missing) > 1 else ''} "
                           f"{', '.join('`' + x + '`' for x in missing)}", e.span)
                return None
        args = []
        for fname, ft in fields:
            a = given[fname]
            x = chk.check(a.value, scope)  # type: ignore[attr-defined]
            if x is None:
                return None
            x = chk.coerce(x, ft, a.value.span, f"for field `{fname}` of {name}")  # type: ignore[attr-defined]
            if x is None:
                return None
            args.append(x)
        return m.Construct(name, tuple(args), t, span=e.span)
