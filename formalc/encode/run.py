"""Discharging one check with Z3: the obligation, the solver call, and the plain result.

Each check gets its own Z3 context and solver, with a timeout and a fixed seed, so results do
not depend on the order checks run in. Leading quantifiers of the check (∀ for validity, ∃ for
satisfiability) become free constants, so the counterexample or witness names their values.
"""
from __future__ import annotations

import time
from fractions import Fraction

import z3

from ..checks.results import Binding, Result, Verdict
from ..diagnostics import source_text
from ..model import nodes as m
from . import decode
from .explain import Explainer
from .z3expr import Encoder, ListSet, Unsupported


def _peel(enc: Encoder, formula, kind: str):
    """Strip leading ∀ (validity) or ∃ (satisfiability): returns (env, hyps, body, names)."""
    env: dict = {}
    hyps: list = []
    names: list[tuple[str, object, object]] = []  # (name, term, type)
    want = "∀" if kind == "valid" else "∃"
    body = formula
    while isinstance(body, m.Quant) and body.kind == want:
        for it in body.items:
            if isinstance(it, m.Binder):
                name = it.name
                while any(n == name for n, *_ in names):  # shadowing: a fresh name for each
                    name += "'"                           # (v, v', v'' …), never a shared one
                dom = enc.expr(it.domain, env) if it.domain is not None else None
                dom = enc.to_set(dom, it.domain.type) if dom is not None else None
                choice = None
                if isinstance(dom, ListSet):
                    # An element of a set given by its elements (instances): choose it by index,
                    # so the solver picks among known values instead of reasoning about an
                    # unknown tuple, and the model can name the instance chosen.
                    k, choice = _choose(enc, name, dom, hyps)
                else:
                    # internal name: a spec constant of the same name is another variable
                    k = z3.Const(f"{name}!peeled{len(names)}", enc.sort(it.var_type))
                    hyps.extend(enc.ranges(k, it.var_type))
                    if dom is not None:
                        hyps.append(enc.member(k, dom))
                env = dict(env)
                env[it.name] = (k, it.name)
                names.append((name, k, it.var_type, choice))
            else:
                hyps.append(enc.expr(it, env))
        body = body.body
    return env, hyps, body, names


def _choose(enc: Encoder, name: str, dom: ListSet, hyps: list):
    items = [(t, g) for t, g in dom.items if not enc.is_f(g)]
    index = z3.Int(f"{name}!index", enc.ctx)
    if not items:
        hyps.append(enc.false)
        return z3.Const(name, enc.sort(dom.elem)), None
    term = items[-1][0]
    for i in range(len(items) - 2, -1, -1):
        term = z3.If(index == i, items[i][0], term)
    hyps.append(z3.Or([z3.And(index == i, g) for i, (_, g) in enumerate(items)]))
    labels = [enc.name_of(t) for t, _ in items]
    return term, (index, labels)


def _measured(enc: Encoder, body, env, sources) -> tuple[Binding, ...]:
    """For a proved closed comparison (or conjunction of them) such as a metric threshold
    ``IsolationLevel(k) ≥ 7/9``: the exact value of each side that is not a literal."""
    cmps = [body] if isinstance(body, m.Cmp) else (
        [x for x in body.operands if isinstance(x, m.Cmp)]
        if isinstance(body, m.BoolOp) and body.op == "∧" else [])
    out: list[Binding] = []
    seen: set[str] = set()
    for c in cmps[:4]:
        for side in (c.left, c.right):
            if _literal(side) or not side.type.is_numeric:
                continue
            try:
                v = z3.simplify(enc.term(side, env))
            except (Unsupported, z3.Z3Exception):
                continue
            if not (z3.is_int_value(v) or z3.is_rational_value(v)):
                continue
            text = source_text(sources, side.span) or ""
            val = (v.as_long() if z3.is_int_value(v)
                   else Fraction(v.numerator_as_long(), v.denominator_as_long()))
            if text not in seen:
                seen.add(text)
                out.append(Binding(text or "value", val, decode.text(val, side.type)))
    return tuple(out)


def _literal(e) -> bool:
    """A number written out (`7/9`, `-2`, `512MiB`): nothing to measure."""
    if isinstance(e, (m.Lit, m.EnumConst)):
        return True
    if isinstance(e, (m.Arith, m.Neg, m.ToReal)):
        return all(_literal(x) for x in m.children(e))
    return False


def _core_names(solver: z3.Solver) -> tuple[str, ...]:
    return tuple(sorted(str(x)[len("assume:"):] for x in solver.unsat_core()
                        if str(x).startswith("assume:")))


class Session:
    """One Z3 context and encoder for the checks of one spec: sorts, definitions and named
    values are encoded once. Each check still gets a fresh solver, so checks stay independent."""

    def __init__(self, spec: m.Spec):
        self.spec = spec
        self.ctx = z3.Context()
        self.enc = Encoder(spec, self.ctx)
        self._assumptions = None
        self._consistent: bool | None = None  # None: undecided (or not asked yet)
        self._asked = False

    def assumptions_consistent(self, timeout_ms: int) -> bool | None:
        """Whether the spec's assumptions can all hold at once: True, False, or None when Z3
        cannot tell within the time limit. Asked once per spec (the answer belongs to this
        session, never to a cache that could outlive the spec)."""
        if not self.spec.assumptions:
            return True
        if not self._asked:
            self._asked = True
            s = z3.Solver(ctx=self.ctx)
            s.set("timeout", max(1, int(timeout_ms)))
            for _, term in self.assumptions():
                s.add(term)
            answer = s.check()
            self._consistent = True if answer == z3.sat else (False if answer == z3.unsat else None)
        return self._consistent

    def assumptions(self):
        if self._assumptions is None:
            self._assumptions = [(a.name, self.enc.expr(a.formula, {})) for a in self.spec.assumptions]
        return self._assumptions


def solve(spec: m.Spec, check: m.Check, timeout_ms: int, formula_text: str,
          session: Session | None = None) -> Result:
    start = time.perf_counter()
    base = dict(check=check.name, file=check.span.file if check.span else spec.file,
                line=check.span.line if check.span else 0, kind=check.kind,
                formula=formula_text, definitions=check.annotations.defs)

    def done(verdict, **kw) -> Result:
        return Result(verdict=verdict, time_ms=(time.perf_counter() - start) * 1000, **base, **kw)

    session = session or Session(spec)
    ctx, enc = session.ctx, session.enc
    try:
        solver = z3.Solver(ctx=ctx)
        solver.set("timeout", max(1, int(timeout_ms)))
        solver.set("random_seed", 0)
        own = []  # what this check says (not the range facts): its model rows come from here
        for name, term in session.assumptions():
            solver.assert_and_track(term, z3.Bool(f"assume:{name}", ctx))
            own.append(term)
        env, hyps, body, names = _peel(enc, check.formula, check.kind)
        for h in hyps:
            solver.add(h)
            own.append(h)
        goal = enc.expr(body, env)
        own.append(goal)
        solver.add(z3.Not(goal) if check.kind == "valid" else goal)
        for fact in enc.side:
            solver.add(fact)
        answer = solver.check()
    except Unsupported as e:
        return done(Verdict.UNKNOWN, reason=f"unsupported [FC401]: {e}")
    except z3.Z3Exception as e:
        return done(Verdict.UNKNOWN, reason=f"solver error: {e}")

    if answer == z3.unknown:
        why = solver.reason_unknown()
        if why in ("timeout", "canceled"):
            why = f"timeout: no answer within {timeout_ms / 1000:g} s (raise it with --timeout)"
        elif "quantifiers" in why:
            why = (f"the solver gave up on quantifiers ({why}); quantify over finite sets or "
                   f"enumerations where you can")
        return done(Verdict.UNKNOWN, reason=why)

    if answer == z3.unsat:
        used = _core_names(solver)
        if check.kind == "valid":
            consistent = session.assumptions_consistent(timeout_ms) if used else True
            if consistent is False:
                return done(Verdict.UNKNOWN, reason="the assumptions contradict each other, so "
                            "every formula follows from them; the proof says nothing",
                            assumptions=used)
            note = None if consistent else (
                "proved from the assumptions, but whether they can all hold at once was not "
                "decided within the time limit")
            return done(Verdict.PROVED, assumptions=used, reason=note,
                        values=_measured(enc, body, env, spec.sources) if not names else ())
        reason = "no value satisfies the formula"
        if used:
            reason += " together with the assumptions " + ", ".join(used)
        return done(Verdict.VIOLATED, reason=reason, assumptions=used)

    model = solver.model()
    bindings: list[Binding] = []
    for name, term, t, choice in names:
        if choice is not None:
            index, labels = choice
            i = model.eval(index, model_completion=True).as_long()
            if 0 <= i < len(labels) and labels[i]:
                bindings.append(Binding(name, labels[i], labels[i]))
        val = decode.value(enc, model, term, t)
        for row, v, txt, _ in decode.flatten(name, val, t):
            bindings.append(Binding(row, v, txt))
    for label_text, term, t in _uninterpreted(enc, own):
        try:
            val = decode.value(enc, model, term, t)
        except z3.Z3Exception:
            continue
        bindings.append(Binding(label_text, val, decode.text(val, t)))
    verdict = Verdict.VIOLATED if check.kind == "valid" else Verdict.SATISFIED
    if verdict is Verdict.SATISFIED:  # a witness speaks through its values; only a violation
        return done(verdict, model=tuple(bindings))  # is explained formula by formula
    ex = Explainer(enc, model, spec.sources)
    try:
        ex.explain(body, env)
    except Exception as e:  # the verdict stands; only its explanation is lost, and we say so
        from ..checks.results import Blame
        ex.steps.append(Blame(0, "(explanation unavailable)", "?",
                              f"internal error: {type(e).__name__}: {e}", None))
    return done(verdict, model=tuple(bindings), blame=tuple(ex.steps))


def _uninterpreted(enc: Encoder, terms: list):
    """The uninterpreted constants and function applications that ``terms`` mention, with their
    labels, sorted by label."""
    seen: set[int] = set()
    found: dict[str, tuple] = {}
    todo = list(terms)
    while todo:
        t = todo.pop()
        i = t.get_id()
        if i in seen:
            continue
        seen.add(i)
        hit = enc.labels.get(i)
        if hit is not None:
            found.setdefault(hit[0], (hit[0], t, hit[1]))
        if isinstance(t, z3.QuantifierRef):  # quantifiers and lambdas
            todo.append(t.body())
        elif z3.is_app(t):
            todo.extend(t.children())
    return [found[k] for k in sorted(found)]
