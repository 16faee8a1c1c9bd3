"""Why a predicate is false on concrete values: the failing parts, down to the fields.

:func:`why_false` walks a predicate's expression with the evaluator of
:mod:`formalc.machines.evaluate` and returns the *atoms* (comparisons, memberships, Boolean
fields …) that make it false, each with the record fields it reads, as paths into the value
the predicate was applied to. An audit maps those paths back to lines of the artifact.

Conjunctions report their false conjuncts; disjunctions report every (false) branch, grouped,
so an OR of sufficient conditions reads "none of these holds"; ∀ reports the failing members;
definitions are followed by name, so a finding names the control it violates
(``PSS_Baseline_HostNamespaces``) before the field.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import source_text
from ..machines.evaluate import compile_expr
from ..model import nodes as m

#: How deep a chain of definitions is followed (definitions are not recursive; this bounds
#: the size of an explanation, not the correctness of the verdict).
MAX_DEPTH = 12


@dataclass
class Failure:
    """A false part of a predicate. ``kind`` is "atom" (a leaf), "definition" (a named
    predicate, with its own failures in ``parts``), "all" (a conjunction or ∀: every part
    listed is false) or "any" (a disjunction: every branch is false; fixing one suffices)."""
    kind: str
    text: str
    fields: list[tuple] = field(default_factory=list)  # paths into the audited value
    parts: list["Failure"] = field(default_factory=list)
    name: str | None = None  # the definition's name for kind "definition"
    values: list[tuple[str, str]] = field(default_factory=list)  # (sub-expression, value)
    expr: object = None  # the atom's model expression

    def atoms(self):
        """Every atom below this failure, depth first."""
        if self.kind == "atom":
            yield self
        for p in self.parts:
            yield from p.atoms()


class _Walker:
    def __init__(self, spec: m.Spec, paths: dict):
        self.spec = spec
        self.paths = paths  # id(value) -> path, for records inside the audited value

    def value(self, e, env):
        return compile_expr(e, self.spec)(env)

    def text(self, e) -> str:
        return source_text(self.spec.sources, getattr(e, "span", None)) or type(e).__name__

    # the paths of the fields an expression reads
    def fields(self, e, env, vpaths) -> list[tuple]:
        out: list[tuple] = []
        todo = [e]
        while todo:
            x = todo.pop()
            if isinstance(x, m.FieldGet):
                base = self._path_of(x.obj, env, vpaths)
                if base is not None:
                    out.append(base + (x.field,))
                    continue
            todo.extend(m.children(x))
        return sorted(set(out), key=str)

    def _path_of(self, e, env, vpaths):
        if isinstance(e, m.Var):
            return vpaths.get(e.name)
        if isinstance(e, m.FieldGet):
            base = self._path_of(e.obj, env, vpaths)
            return base + (e.field,) if base is not None else None
        return None

    def walk(self, e, env, vpaths, depth=0) -> Failure | None:
        """The failure explaining why ``e`` (Boolean) is false, or None if it is true."""
        if self.value(e, env):
            return None
        if depth > MAX_DEPTH:
            return self._atom(e, env, vpaths)
        if isinstance(e, m.BoolOp) and e.op in ("∧", "∨"):
            parts = [f for x in e.operands if (f := self.walk(x, env, vpaths, depth + 1))]
            return Failure("all" if e.op == "∧" else "any", self.text(e), parts=parts)
        if isinstance(e, m.Implies):
            return self.walk(e.right, env, vpaths, depth + 1) or self._atom(e, env, vpaths)
        if isinstance(e, m.Apply) and e.args:
            d = self.spec.definitions.get(e.name)
            if d is None or d.type != e.type:
                return self._atom(e, env, vpaths)
            inner_env, inner_paths = {}, {}
            for (pname, _), arg in zip(d.params, e.args):
                inner_env[pname] = self.value(arg, env)
                p = self._path_of(arg, env, vpaths)
                if p is None and isinstance(arg, m.Var):
                    p = vpaths.get(arg.name)
                if p is not None:
                    inner_paths[pname] = p
            sub = self.walk(d.body, inner_env, inner_paths, depth + 1)
            f = Failure("definition", self.text(e), name=e.name,
                        parts=[sub] if sub is not None else [])
            f.fields = sorted({p for a in f.atoms() for p in a.fields}, key=str)
            return f
        if isinstance(e, m.Quant) and e.kind == "∀" and len(e.items) == 1 \
                and isinstance(e.items[0], m.Binder) and e.items[0].domain is not None:
            b = e.items[0]
            dom = self.value(b.domain, env)
            base = self._path_of(b.domain, env, vpaths)
            parts = []
            for x in sorted(dom, key=_key):
                inner = dict(env)
                inner[b.name] = x
                ipaths = dict(vpaths)
                p = self.paths.get(id(x)) or (base + ("*",) if base is not None else None)
                if p is not None:
                    ipaths[b.name] = p
                f = self.walk(e.body, inner, ipaths, depth + 1)
                if f is not None:
                    parts.append(f)
            return Failure("all", self.text(e), parts=parts)
        return self._atom(e, env, vpaths)

    def _atom(self, e, env, vpaths) -> Failure:
        vals = []
        if isinstance(e, (m.Cmp, m.Member, m.Subset)):
            for side in (e.left, e.right) if not isinstance(e, m.Member) else (e.elem, e.set):
                if not isinstance(side, (m.Lit, m.EnumConst, m.SetLit)):
                    try:
                        vals.append((self.text(side), _show(self.value(side, env))))
                    except Exception:  # an explanation may be partial, never wrong
                        pass
        return Failure("atom", self.text(e), self.fields(e, env, vpaths), values=vals, expr=e)


def why_false(spec: m.Spec, predicate: str, value, path: tuple = (), paths: dict | None = None):
    """Why ``predicate(value)`` is false (a :class:`Failure`), or None when it holds.

    ``paths`` maps ``id(record)`` of records nested in ``value`` (e.g. the containers of a
    pod) to their path, so atoms about a member of a set name the member's own fields.
    """
    d = spec.definitions[predicate]
    (pname, _), = d.params
    w = _Walker(spec, paths or {})
    sub = w.walk(d.body, {pname: value}, {pname: path})
    if sub is None:
        return None
    f = Failure("definition", predicate, name=predicate, parts=[sub])
    f.fields = sorted({p for a in f.atoms() for p in a.fields}, key=str)
    return f


def _key(v):
    if isinstance(v, dict):
        return str(v.get("name", sorted(v.items(), key=lambda kv: kv[0])))
    return str(v)


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (frozenset, set)):
        return "{" + ", ".join(sorted(map(str, v))) + "}"
    if isinstance(v, dict):
        return str(v.get("name", "(…)"))
    return str(v)
