"""Checking `M ⊨ φ`: choosing an engine, and turning its :class:`Outcome` into a Result.

Engines: ``explicit`` enumerates the reachable states (exact for every property, limited by
the number of states); ``symbolic`` uses Z3 (k-induction and BMC for invariants and bounded
properties, lasso search for counterexamples of other temporal properties). ``auto`` decides
invariants, bounded and structural-invariant properties with the explicit engine when the
machine has at most 5,000 reachable states (exact, in milliseconds), else with the symbolic
engine (whose cost does not grow with the state space), and falls back to the explicit engine
with 50,000 states; liveness, `reachable` and `no_trap` go to the explicit engine first.
"""
from __future__ import annotations

import time

from ..checks.results import Binding, Result, Verdict
from ..diagnostics import source_text
from ..model import nodes as m
from .outcome import NotApplicable, Outcome, TooLarge
from .ts import TransitionSystem, lower, make_trace

ENGINES = ("auto", "explicit", "symbolic")

#: The explicit engine stores at most this many states. In auto mode it first tries a small
#: budget (a small machine is decided exactly in milliseconds), then the symbolic engine, then
#: a larger budget.
EXPLICIT_LIMIT = 200_000
AUTO_EXPLICIT_LIMIT = 50_000
SMALL_EXPLICIT_LIMIT = 5_000

_INVARIANT_STRUCTURAL = {"deterministic", "total", "deadlock_free", "final_absorbing"}


class MachineSession:
    """Per spec: the transition systems of its machines and explored state graphs, built once
    and shared by the checks of one run."""

    def __init__(self, spec: m.Spec):
        self.spec = spec
        self._ts: dict[str, TransitionSystem] = {}
        self._graphs: dict[tuple[str, int], object] = {}
        self._coverage: dict[str, tuple[str, ...]] = {}
        self._initial: dict[str, bool] = {}

    def ts(self, name: str) -> TransitionSystem:
        if name not in self._ts:
            self._ts[name] = lower(self.spec, self.spec.machines[name])
        return self._ts[name]

    def graph(self, ts: TransitionSystem, limit: int, deadline: float):
        """The explored state graph, or the exception that stopped exploring (kept, so a
        machine too large for one check is not explored again for the next)."""
        key = (ts.machine.name, limit)
        if key not in self._graphs:
            from .explicit import ExploreTimeout, explore
            try:
                self._graphs[key] = explore(ts, max_states=limit, deadline=deadline)
            except ExploreTimeout:
                raise  # another check, with time of its own, may finish exploring
            except (TooLarge, NotApplicable) as e:
                self._graphs[key] = e
        g = self._graphs[key]
        if isinstance(g, Exception):
            raise g
        return g

    def has_initial_state(self, ts: TransitionSystem, timeout_ms: int) -> bool:
        """False only when it is decided that no initial state exists."""
        name = ts.machine.name
        if name not in self._initial:
            from ..encode.machine import initial_states_exist
            self._initial[name] = initial_states_exist(ts, timeout_ms) is not False
        return self._initial[name]

    def coverage(self, ts: TransitionSystem, timeout_ms: int, engine: str) -> tuple[str, ...]:
        name = ts.machine.name
        if name not in self._coverage:
            warnings: list[str] = []
            deadline = time.monotonic() + timeout_ms / 1000
            try:
                if engine == "symbolic":
                    raise NotApplicable("symbolic engine chosen")
                from .explicit import coverage_explicit
                g = self.graph(ts, EXPLICIT_LIMIT if engine == "explicit" else AUTO_EXPLICIT_LIMIT,
                               deadline)
                warnings = coverage_explicit(ts, g)
            except (TooLarge, NotApplicable):
                if engine != "explicit":
                    from ..encode.machine import coverage_symbolic
                    warnings = coverage_symbolic(ts, timeout_ms)
            self._coverage[name] = tuple(warnings)
        return self._coverage[name]


def classify(prop) -> str:
    """"structural", "state" (no temporal operator), "safety" (`always φ` with only `next`
    inside φ), "bounded" (`within k`) or "temporal"."""
    if isinstance(prop, m.Structural):
        return "structural"
    if not _temporal_ops(prop):
        return "state"
    if isinstance(prop, m.Temporal) and prop.bound is not None:
        return "bounded"
    if isinstance(prop, m.Temporal) and prop.op == "always" and \
            _temporal_ops(prop.operands[0]) <= {"next"}:
        return "safety"
    if isinstance(prop, m.BoolOp) and prop.op == "∧" and all(classify(x) in ("safety", "state")
                                                             for x in prop.operands):
        return "safety"
    return "temporal"


def _temporal_ops(e) -> set[str]:
    out: set[str] = set()
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, m.Temporal):
            out.add(x.op)
        if isinstance(x, (m.Temporal, m.Structural)):
            todo.extend(getattr(x, "operands", ()))
            continue
        todo.extend(m.children(x))
    return out


def _order(kind: str, prop, engine: str) -> list[str]:
    if engine != "auto":
        return [engine]
    if kind in ("state", "safety", "bounded") or (
            kind == "structural" and prop.name in _INVARIANT_STRUCTURAL):
        return ["explicit-small", "symbolic", "explicit"]
    return ["explicit", "symbolic"]


def check_machine(spec: m.Spec, check: m.Check, timeout_ms: int, text: str,
                  engine: str = "auto", session: MachineSession | None = None) -> Result:
    start = time.perf_counter()
    if not isinstance(session, MachineSession):  # e.g. the pytest plugin's solver session
        session = MachineSession(spec)
    models: m.Models = check.formula  # type: ignore[assignment]
    ts = session.ts(models.machine)
    prop = models.prop
    kind = classify(prop)
    deadline = time.monotonic() + timeout_ms / 1000
    if not session.has_initial_state(ts, timeout_ms):
        return _result(spec, check, text, ts, Outcome(
            Verdict.UNKNOWN, "none", reason="the machine has no initial state (its parameters' "
            "bounds, initial values, instance counts or the spec's assumptions contradict each "
            "other), so every property would hold vacuously"), [], start)
    tried: list[str] = []
    outcome: Outcome | None = None
    order = _order(kind, prop, engine)
    for i, eng in enumerate(order):
        left = max(1, int((deadline - time.monotonic()) * 1000))
        if eng == "symbolic" and i + 1 < len(order):
            left = max(1, int(left * 0.7))  # leave the explicit engine a share of the time
        try:
            outcome = _run(session, ts, prop, check.kind, left, eng, engine == "auto")
        except (TooLarge, NotApplicable) as e:
            if eng != "explicit-small":
                tried.append(f"{eng}: {e}")
            continue
        if outcome.verdict is not Verdict.UNKNOWN:
            break
        tried.append(f"{eng.split('-')[0]}: {outcome.reason}")
    if outcome is None or outcome.verdict is Verdict.UNKNOWN:
        reason = "; ".join(tried) if tried else "no engine could decide this property"
        outcome = Outcome(Verdict.UNKNOWN, outcome.method if outcome else "none", reason=reason,
                          depth=outcome.depth if outcome else None)
    warnings = list(outcome.warnings)
    if kind == "structural":
        left = max(1, int((deadline - time.monotonic()) * 1000))
        try:
            warnings += [w for w in session.coverage(ts, left, engine) if w not in warnings]
        except Exception as e:  # coverage is advice; its failure must not change the verdict
            warnings.append(f"coverage not computed: {type(e).__name__}: {e}")
    if outcome.verdict is Verdict.PROVED and check.kind == "valid":
        warnings += _vacuity(session, ts, prop, deadline, engine)
    return _result(spec, check, text, ts, outcome, warnings, start)


def _run(session, ts, prop, kind, timeout_ms, eng, auto) -> Outcome:
    if eng.startswith("explicit"):
        from .explicit import check_explicit
        limit = (SMALL_EXPLICIT_LIMIT if eng == "explicit-small" else
                 AUTO_EXPLICIT_LIMIT if auto else EXPLICIT_LIMIT)
        deadline = time.monotonic() + timeout_ms / 1000
        g = session.graph(ts, limit, deadline)
        left = max(1, int((deadline - time.monotonic()) * 1000))  # one time limit for both
        return check_explicit(ts, prop, kind, left, max_states=limit, graph=g)
    from ..encode.machine import check_symbolic
    return check_symbolic(ts, prop, kind, timeout_ms)


def _vacuity(session, ts, prop, deadline, engine) -> list[str]:
    """A proved `always (P ⇒ Q)` or `P ~> Q` whose P never holds proves nothing: say so."""
    ante = None
    if isinstance(prop, m.Temporal) and prop.op == "~>":
        ante = prop.operands[0]
    elif isinstance(prop, m.Temporal) and prop.op == "always" and prop.bound is None and \
            isinstance(prop.operands[0], m.Implies) and not _temporal_ops(prop.operands[0].left):
        ante = prop.operands[0].left
    if ante is None:
        return []
    never = m.Temporal("always", (m.Not(ante),))
    for eng in _order("safety", never, engine):
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0:
            break
        try:
            o = _run(session, ts, never, "valid", left, eng, engine == "auto")
        except (TooLarge, NotApplicable):
            continue
        if o.verdict is Verdict.PROVED:
            text = source_text(session.spec.sources, ante.span) or "the antecedent"
            return [f"vacuous: `{text}` is false in every reachable state, so the property "
                    "holds without saying anything"]
        if o.verdict is Verdict.VIOLATED:
            return []
    return []


def _result(spec, check, text, ts, o: Outcome, warnings, start) -> Result:
    trace = None
    formula_text = None
    reason = o.reason
    if isinstance(o.formula, str):
        # a description of what went wrong (structural properties), not a sub-formula
        if not reason or o.formula not in reason:
            where = f"at step {o.failed_at}: " if o.failed_at is not None else ""
            reason = (reason + "; " if reason else "") + where + o.formula
    elif o.formula is not None:
        formula_text = source_text(spec.sources, getattr(o.formula, "span", None)) or None
    if o.states:
        trace = make_trace(ts, o.states, o.taken or [None] * len(o.states), loop=o.loop,
                           failed_at=o.failed_at, formula=formula_text)
    values = tuple(Binding(k, list(v), " → ".join(v) if v else "(initial state)")
                   for k, v in o.paths.items())
    method = o.method
    return Result(check=check.name, file=check.span.file if check.span else spec.file,
                  line=check.span.line if check.span else 0, kind=check.kind, formula=text,
                  verdict=o.verdict, time_ms=(time.perf_counter() - start) * 1000,
                  reason=reason, definitions=check.annotations.defs, trace=trace,
                  method=method, warnings=tuple(warnings), values=values)
