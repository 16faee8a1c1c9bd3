"""The symbolic engine's building blocks: a transition system unrolled in Z3.

A :class:`Sys` holds one Z3 context and encoder for a :class:`~formalc.machines.ts.
TransitionSystem`; a :class:`Path` is a solver with frames ``s0, s1, …`` of the state variables
(parameters are one constant shared by every frame: they never change) joined by the transition
relation. Step ``i`` (into frame ``i``) has an Int selector: ``j`` for the j-th transition, or
``len(transitions)`` for the stutter of a deadlocked state, so the model names what fired.

The transition relation, exactly as the semantics of :mod:`formalc.machines.ts` says:
``T(s, s') = ∨_t (guard_t(s) ∧ s' = updates_t(s)) ∨ (∧_t ¬guard_t(s) ∧ s' = s)``, with variables
not updated keeping their values. The axioms (bounds of parameters, counts ≥ 0, Σ counts = N)
and the range facts of each variable's type hold in every frame.
"""
from __future__ import annotations

import time

import z3

from . import decode
from .z3expr import Encoder, Unsupported


class Clock:
    """A deadline for one whole call."""

    def __init__(self, timeout_ms: int):
        self.timeout_ms = timeout_ms
        self.start = time.perf_counter()
        self.end = self.start + max(0, timeout_ms) / 1000

    def left_ms(self) -> int:
        return int((self.end - time.perf_counter()) * 1000)

    def used(self) -> float:
        """The fraction of this clock's time spent."""
        span = self.end - self.start
        return 1.0 if span <= 0 else (time.perf_counter() - self.start) / span

    def expired(self) -> bool:
        return self.left_ms() <= 0

    def part(self, fraction: float) -> Clock:
        """A clock with ``fraction`` of the time left (never beyond this one's deadline)."""
        c = Clock(0)
        c.timeout_ms = self.timeout_ms
        c.start = time.perf_counter()
        c.end = min(self.end, time.perf_counter() + max(0.0, self.left_ms() / 1000) * fraction)
        return c

    @property
    def seconds(self) -> str:
        return f"{self.timeout_ms / 1000:g} s"


class Sys:
    """A transition system encoded in its own Z3 context."""

    def __init__(self, ts):
        self.ts = ts
        self.ctx = z3.Context()
        self.enc = Encoder(ts.spec, self.ctx)
        enc = self.enc
        self.params = {v.name: z3.Const(f"{v.name}", enc.sort(v.type)) for v in ts.vars if v.rigid}
        self.flex = [v for v in ts.vars if not v.rigid]
        self.stutter = len(ts.transitions)
        # The spec's assumptions constrain its constants (a guard may read them). One that
        # cannot be encoded is left out, and any verdict that rests on a run becomes unknown.
        self.assumptions: list = []
        self.skipped: list[str] = []
        for a in ts.spec.assumptions:
            try:
                self.assumptions.append(self.enc.expr(a.formula, {}))
            except (Unsupported, z3.Z3Exception):
                self.skipped.append(a.name)

    # ------------------------------------------------------------------ frames
    def frame(self, tag: str, i: int) -> dict:
        env = {}
        for v in self.ts.vars:
            t = self.params[v.name] if v.rigid else z3.Const(f"{v.name}@{tag}{i}",
                                                              self.enc.sort(v.type))
            env[v.name] = (t, v.name)
        return env

    def facts(self, env) -> list:
        enc = self.enc
        out = [enc.expr(a, env) for a in self.ts.axioms]
        # Type ranges (quantities are non-negative) bind parameters only: a variable that an
        # update takes out of its range must show in a run, as in the explicit engine, not
        # silently block the step.
        for v in self.ts.vars:
            if v.rigid:
                out.extend(enc.ranges(env[v.name][0], v.type))
        return out

    def init(self, env) -> list:
        return [self.enc.expr(e, env) for e in self.ts.init]

    def guards(self, env) -> list:
        return [self.enc.expr(t.guard, env) for t in self.ts.transitions]

    def post(self, t, env) -> dict:
        """The state after ``t`` fires in ``env`` (as an env of terms)."""
        upd = dict(t.updates)
        out = dict(env)
        for name, e in upd.items():
            out[name] = (self.enc.term(e, env), name)
        return out

    def same(self, env, env2) -> list:
        return [env2[v.name][0] == env[v.name][0] for v in self.flex]

    def differ(self, env, env2):
        if not self.flex:
            return self.enc.false
        return z3.Or([env2[v.name][0] != env[v.name][0] for v in self.flex])

    def step(self, env, guards, env2, sel) -> list:
        """``T(env, env2)`` with ``sel`` naming the transition taken."""
        enc = self.enc
        out = [sel >= 0, sel <= self.stutter]
        for j, t in enumerate(self.ts.transitions):
            upd = dict(t.updates)
            eqs = [guards[j]]
            for v in self.flex:
                nxt = env2[v.name][0]
                eqs.append(nxt == (enc.term(upd[v.name], env) if v.name in upd else env[v.name][0]))
            out.append(z3.Implies(sel == j, enc.and_(eqs)))
        out.append(z3.Implies(sel == self.stutter,
                              enc.and_([enc.not_(g) for g in guards] + self.same(env, env2))))
        return out

    def enabled(self, guards, pred) -> object:
        """Whether some transition satisfying ``pred`` is enabled."""
        return self.enc.or_([g for g, t in zip(guards, self.ts.transitions) if pred(t)])

    # ------------------------------------------------------------------ decoding
    def decode_state(self, model, env) -> dict:
        return {v.name: decode.value(self.enc, model, env[v.name][0], v.type) for v in self.ts.vars}

    def decode_taken(self, model, sel):
        if sel is None:
            return None
        k = model.eval(sel, model_completion=True)
        j = k.as_long() if z3.is_int_value(k) else self.stutter
        return self.ts.transitions[j] if 0 <= j < self.stutter else None


class Path:
    """One solver over frames ``0, 1, …`` of ``sys`` joined by the transition relation; the
    first frame is initial when ``init``."""

    def __init__(self, sys: Sys, tag: str, init: bool):
        self.sys, self.tag, self.init = sys, tag, init
        self.solver = z3.Solver(ctx=sys.ctx)
        self.solver.set("random_seed", 0)
        self.envs: list[dict] = []
        self.guards: list[list] = []
        self.sels: list = []
        self._side = 0
        self.last_unknown = ""
        for a in sys.assumptions:
            self.add(a)

    def __len__(self):
        return len(self.envs)

    def extend(self):
        sys = self.sys
        i = len(self.envs)
        env = sys.frame(self.tag, i)
        cs = sys.facts(env)
        if i == 0 and self.init:
            cs += sys.init(env)
        g = sys.guards(env)
        sel = None
        if i > 0:
            sel = z3.Int(f"sel@{self.tag}{i}", sys.ctx)
            cs += sys.step(self.envs[-1], self.guards[-1], env, sel)
        self.envs.append(env)
        self.guards.append(g)
        self.sels.append(sel)
        for c in cs:
            self.add(c)

    def ensure(self, n: int):
        """Frames ``0..n`` exist."""
        while len(self.envs) <= n:
            self.extend()

    def add(self, c):
        if not self.sys.enc.is_t(c):
            self.solver.add(c)

    def _sync(self):
        side = self.sys.enc.side
        while self._side < len(side):
            self.solver.add(side[self._side])
            self._side += 1

    def check(self, clock: Clock, *extra):
        """``(answer, model)`` with ``extra`` assumed for this call only."""
        self._sync()
        left = clock.left_ms()
        if left <= 0:
            self.last_unknown = "timeout"
            return z3.unknown, None
        s = self.solver
        s.set("timeout", max(1, left))
        s.push()
        for c in extra:
            s.add(c)
        r = s.check()
        model = s.model() if r == z3.sat else None
        if r == z3.unknown:
            self.last_unknown = s.reason_unknown()
        s.pop()
        return r, model

    def run(self, model, n: int | None = None):
        """``(states, taken)`` of frames ``0..n-1`` (all frames by default)."""
        n = len(self.envs) if n is None else n
        states = [self.sys.decode_state(model, self.envs[i]) for i in range(n)]
        taken = [self.sys.decode_taken(model, self.sels[i]) for i in range(n)]
        return states, taken
