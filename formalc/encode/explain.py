"""Why a formula is false under a counterexample (or true under a witness).

The explanation descends from the check's formula to the sub-formula responsible: the false
conjunct, the true premise and false conclusion of an implication, the element for which a
universal fails, the body of a predicate applied — until an atom, whose operands' values are
shown. Each step is shown with its own source text, so an inlined definition is explained in
the words of its definition.
"""
from __future__ import annotations

import z3

from ..checks.results import Blame
from ..diagnostics import source_text
from ..model import nodes as m
from ..model.types import BOOL, RecordT
from . import decode
from .z3expr import Encoder, EnumSet, ListSet, Unsupported, label

MAX_DEPTH = 12
MAX_STEPS = 40


class Explainer:
    def __init__(self, enc: Encoder, model: z3.ModelRef, sources: dict[str, str]):
        self.enc, self.model, self.sources = enc, model, sources
        self.steps: list[Blame] = []

    def truth(self, e, env) -> bool | None:
        try:
            return z3.is_true(self.model.eval(self.enc.expr(e, env), model_completion=True))
        except (Unsupported, z3.Z3Exception):
            return None

    def show(self, e, env) -> str:
        try:
            x = self.enc.expr(e, env)
            if isinstance(x, (EnumSet, ListSet)):
                x = self.enc.as_array(x)
            return decode.text(decode.value(self.enc, self.model, x, e.type), e.type)
        except (Unsupported, z3.Z3Exception, KeyError, AttributeError):
            return "?"

    def source(self, e) -> str:
        return source_text(self.sources, getattr(e, "span", None)) or type(e).__name__

    def where(self, e) -> str | None:
        s = getattr(e, "span", None)
        return f"{s.file}:{s.line}" if s is not None else None

    # ------------------------------------------------------------------------------
    def explain(self, e, env, depth: int = 0, detail: str | None = None) -> None:
        if depth > MAX_DEPTH or len(self.steps) >= MAX_STEPS:
            return
        val = self.truth(e, env)
        if val is None:
            return
        self.steps.append(Blame(depth, self.source(e), "true" if val else "false", detail,
                                self.where(e)))
        self._descend(e, env, val, depth + 1)

    def _descend(self, e, env, val: bool, depth: int) -> None:
        if isinstance(e, m.Apply) and e.type == BOOL:
            d = self.enc.spec.definitions[e.name]
            inner = {p: (self.enc.expr(a, env), label(a, env)) for (p, _), a in zip(d.params, e.args)}
            binding = ", ".join(f"{p} = {label(a, env)}" for (p, _), a in zip(d.params, e.args)
                                if label(a, env) != p)
            self.explain(d.body, inner, depth, f"where {binding}" if binding else None)
        elif isinstance(e, m.Not):
            self.explain(e.operand, env, depth)
        elif isinstance(e, m.BoolOp) and e.op in ("∧", "∨"):
            decisive = (e.op == "∧") != val  # ∧ false / ∨ true: one operand decides
            ops = [x for x in e.operands if self.truth(x, env) == val]
            for x in (ops[:1] if decisive else ops[:4]):
                self.explain(x, env, depth)
        elif isinstance(e, m.Implies):
            if not val:
                self.explain(e.left, env, depth)
                self.explain(e.right, env, depth)
            elif self.truth(e.left, env) is False:
                self.explain(e.left, env, depth)
            else:
                self.explain(e.right, env, depth)
        elif isinstance(e, m.Quant):
            decisive = (e.kind == "∀") != val  # ∀ false / ∃ true: one element decides
            if decisive:
                self._find_element(e, env, depth, want=val)
        else:
            self._atom_detail(e, env)

    def _missing_rows(self, e: m.Total) -> str:
        import itertools
        from .z3expr import finite_members
        f = self.enc.spec.functions[e.func]
        listed = {k for k, _ in f.table}
        doms = [finite_members(t) or [] for t in f.domain]
        missing = [k for k in itertools.product(*doms) if k not in listed]
        shown = ", ".join(f"{e.func}({', '.join(map(str, k))})" for k in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return f"{len(missing)} of {len(listed) + len(missing)} rows are missing: {shown}{more}"

    def _find_element(self, q: m.Quant, env, depth: int, want: bool) -> None:
        """The first element (of finite domains) for which the body has the decisive value."""
        binders = [b for b in q.items if isinstance(b, m.Binder)]
        conds = [c for c in q.items if not isinstance(c, m.Binder)]

        def search(i, env2, chosen):
            if i == len(binders):
                if all(self.truth(c, env2) for c in conds) and self.truth(q.body, env2) == want:
                    return env2, chosen
                return None
            cands = self.enc.domain(binders[i], env2)
            if cands is None:
                return None
            for t, g, lab in cands:
                if not z3.is_true(self.model.eval(g, model_completion=True)):
                    continue
                env3 = dict(env2)
                env3[binders[i].name] = (t, lab)
                r = search(i + 1, env3, chosen + [f"{binders[i].name} = {lab}"])
                if r:
                    return r
            return None

        try:
            found = search(0, env, [])
        except (Unsupported, z3.Z3Exception):
            found = None
        if found:
            env2, chosen = found
            self.explain(q.body, env2, depth, "for " + ", ".join(chosen))

    def _atom_detail(self, e, env) -> None:
        if isinstance(e, m.Total):
            parts = [self._missing_rows(e)]
        else:
            parts = []
            for sub in m.children(e):
                if _constant(sub) or isinstance(sub, m.Binder) or isinstance(sub.type, RecordT):
                    continue  # whole tuples are in the counterexample table already
                src, shown = self.source(sub), self.show(sub, env)
                if src != shown:
                    parts.append(f"{src} = {shown}")
        if parts and self.steps:
            last = self.steps[-1]
            detail = "; ".join(parts[:4])
            if last.detail:
                detail = last.detail + "; " + detail
            self.steps[-1] = Blame(last.depth, last.formula, last.value, detail, last.location)


def _constant(e) -> bool:
    if isinstance(e, (m.Lit, m.EnumConst, m.AllOf)):
        return True
    if isinstance(e, m.SetLit):
        return all(_constant(x) for x in e.elems)
    return False
