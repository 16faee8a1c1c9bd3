"""The conformance engine: Hypothesis drives an implementation through a spec's machine.

From a basic machine, :func:`machine_class` builds a Hypothesis ``RuleBasedStateMachine``:
one rule per command event (internal events are the implementation's to take), an invariant
per ``check n: M ⊨ always φ`` of the spec. Each rule applies its event to the adapter and
compares, in both directions, what happened with what δ allows:

- the implementation **accepted** an event the spec refuses in every state it may be in;
- the implementation **refused** an event the spec accepts in every state it may be in;
- after an accepted event, the observed **state** is not one δ leads to;
- after a refused event the state **changed** (a refusal must leave the state as it was);
- an observed state breaks an **invariant**; the adapter **crashed** (raised something that is
  not a refusal).

*Beliefs.* The engine tracks the set of the machine's states the implementation may be in:
internal events (a process exiting on its own) may happen unseen at any time, so before an
event and after it the belief is closed under internal moves; parameters and unobserved
variables are kept as alternatives, and each observation narrows the belief. An observation of
an asynchronous system polls with a bounded timeout until it shows a state the spec allows
(or the timeout passes), never sleeping a fixed time.

*Findings.* A mismatch raises :class:`Mismatch`; Hypothesis shrinks the event trace and the
final, minimal run's finding is reported with the whole trace, each step's expected and
observed outcome, a Python transcript that replays it, and the seed. To name *every*
difference rather than the first, :func:`conform` runs again with the differences found so far
marked as known: a known difference resynchronises the belief with what was observed and the
run goes on, so the next round finds (and shrinks) the next difference.
"""
from __future__ import annotations

import random
import time
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, Phase, settings as Settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky
from hypothesis.reporting import with_reporter
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from .adapter import Outcome, adapter_events, adapter_name
from .spec_side import ConformError, SpecMachine

#: The kinds of findings, with what each one means.
KINDS = {
    "initial": "after reset, the implementation is not in an initial state of the spec",
    "accepted": "the implementation accepted an event the spec refuses",
    "refused": "the implementation refused an event the spec accepts",
    "state": "after an accepted event, the implementation is in a state δ does not lead to",
    "unchanged": "the implementation refused an event but its state changed",
    "invariant": "an observed state breaks an invariant of the spec",
    "crash": "the adapter raised an error that is not a refusal",
}


@dataclass(frozen=True)
class Options:
    """How one conformance run is generated and observed."""
    examples: int = 100
    steps: int = 20
    poll_timeout: float | None = None  # None: the adapter's own, else 0 (observe once)
    poll_interval: float = 0.002
    max_findings: int = 20
    all_differences: bool = True
    shrink_seconds: float = 60.0  # time Hypothesis may spend shrinking one finding
    events: tuple[str, ...] | None = None  # restrict the events exercised


@dataclass(frozen=True)
class Step:
    """One step of a run: the initial observation (``event`` None) or an event."""
    event: str | None
    before: str                 # the observed state before (the spec's name)
    expected: str               # "accepted → Running", "refused", "Created"
    outcome: Outcome | None     # what the implementation said
    observed: str               # the observed state after (raw name if not a spec state)
    polls: int = 1

    def line(self) -> str:
        if self.event is None:
            return f"reset → {self.observed} (spec: {self.expected})"
        return (f"{self.event} in {self.before}: {self.outcome} → {self.observed} "
                f"(spec: {self.expected})")


@dataclass(frozen=True)
class Finding:
    """One difference between the spec and the implementation, on a shortest trace."""
    kind: str
    event: str | None
    before: str
    expected: str
    observed: str
    detail: str
    steps: tuple[Step, ...]
    key: tuple = field(compare=False, default=())
    seed: int | None = None
    flaky: bool = False
    found_by: str = "hypothesis"  # or "tour": a shortest spec path, then the event

    @property
    def trace(self) -> tuple[str, ...]:
        """The events from reset up to and including the failing one."""
        return tuple(s.event for s in self.steps if s.event is not None)

    def summary(self) -> str:
        ev = f"`{self.event}`" if self.event else ""
        if self.kind == "initial":
            return f"starts in {self.observed}; the spec starts in {self.expected}"
        if self.kind == "accepted":
            return (f"accepts {ev} in {self.before} (→ {self.observed}); the spec refuses it "
                    "there")
        if self.kind == "refused":
            why = f" ({self.detail})" if self.detail else ""
            return f"refuses {ev} in {self.before}{why}; the spec accepts it ({self.expected})"
        if self.kind == "state":
            return (f"{ev} in {self.before} leads to {self.observed}; the spec leads to "
                    f"{self.expected}")
        if self.kind == "unchanged":
            return (f"refuses {ev} in {self.before} but moves to {self.observed}; a refusal "
                    "must leave the state unchanged")
        if self.kind == "invariant":
            return f"in {self.observed}: {self.detail}"
        return f"{ev} in {self.before} raised {self.detail}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "event": self.event, "before": self.before,
                "expected": self.expected, "observed": self.observed, "detail": self.detail,
                "summary": self.summary(), "trace": list(self.trace), "seed": self.seed,
                "flaky": self.flaky, "found_by": self.found_by,
                "steps": [{"event": s.event, "before": s.before, "expected": s.expected,
                           "accepted": None if s.outcome is None else s.outcome.accepted,
                           "detail": None if s.outcome is None else s.outcome.detail,
                           "observed": s.observed} for s in self.steps]}


class Mismatch(AssertionError):
    """Raised inside a generated run; carries the :class:`Finding`."""

    def __init__(self, finding: Finding):
        super().__init__(f"{finding.kind}: {finding.summary()}")
        self.finding = finding


# ------------------------------------------------------------------------------ one run
class Run:
    """One generated trace against the adapter: reset, then events, tracking the belief."""

    def __init__(self, sm: SpecMachine, adapter, opts: Options, known: frozenset,
                 stats: dict, generated: bool = True):
        self.sm = sm
        self.adapter = adapter
        self.opts = opts
        self.known = known
        self.stats = stats
        self.steps: list[Step] = []
        self.dead = False
        self._enabled_cache: dict = {}
        counter = "examples" if generated else "tour_runs"
        stats[counter] = stats.get(counter, 0) + 1
        timeout = opts.poll_timeout
        if timeout is None:
            timeout = float(getattr(adapter, "poll_timeout", 0.0) or 0.0)
        self.timeout = timeout
        self.aliases: Mapping[str, Iterable[str]] = getattr(adapter, "aliases", None) or {}
        try:
            adapter.reset()
        except Exception as e:  # noqa: BLE001 - an adapter failure is a finding, not a crash
            self._raise("crash", None, "", "a fresh instance", "", f"reset: {_exc(e)}")
        expected = sm.closure(sm.initial)
        self.current = "?"
        raw, vals, matching, polls = self._observe_until(expected)
        self.steps.append(Step(None, "", sm.states_text(expected), None,
                               self.resolve(raw) or raw, polls))
        if not matching:
            self._raise("initial", None, "", sm.states_text(expected), raw, "")
        self.current = sm.state_of(next(iter(matching)))
        self.belief = matching
        self._check_invariants(matching, raw)

    # ---------------------------------------------------------------- observing
    def resolve(self, raw: str) -> str | None:
        """The spec state an observed name stands for, or None."""
        sm = self.sm
        if raw in sm.states:
            return raw
        folded = {s.casefold(): s for s in sm.states}
        if raw.casefold() in folded:
            return folded[raw.casefold()]
        for cand in self.aliases.get(raw, ()) or self.aliases.get(raw.casefold(), ()):
            if cand in sm.states:
                return cand
        return None

    def _observe(self):
        t = self.adapter.observe()
        if isinstance(t, Mapping):
            vals = dict(t)
            raw = str(vals.pop("state"))
        else:
            raw, vals = str(t), {}
        return raw, vals

    def _match(self, candidates, raw, vals) -> frozenset:
        name = self.resolve(raw)
        if name is None:
            return frozenset()
        sm = self.sm
        idx = [(sm.names.index(k), v) for k, v in vals.items() if k in sm.names]
        return frozenset(s for s in candidates if sm.state_of(s) == name
                         and all(s[i] == v for i, v in idx))

    def _observe_until(self, candidates: frozenset, known_prefix: tuple | None = None):
        """Observe until the observation matches a candidate or the timeout passes (or it
        shows a difference already known for this step: ``known_prefix`` + observed state)."""
        deadline = time.monotonic() + self.timeout
        interval = self.opts.poll_interval
        polls = 0
        while True:
            try:
                raw, vals = self._observe()
            except Exception as e:  # noqa: BLE001
                self._raise("crash", self.steps[-1].event if self.steps else None,
                            self.current, "an observation", "", f"observe: {_exc(e)}")
            polls += 1
            matching = self._match(candidates, raw, vals)
            known = known_prefix is not None and \
                (*known_prefix, self.resolve(raw) or raw) in self.known
            if matching or known or time.monotonic() >= deadline:
                self.stats["polls"] = self.stats.get("polls", 0) + polls
                return raw, vals, matching, polls
            time.sleep(interval)
            interval = min(interval * 2, 0.05)

    # ---------------------------------------------------------------- one event
    def enables(self, event: str) -> bool:
        """Whether the spec accepts ``event`` in some state the implementation may be in."""
        if self.dead:
            return False
        key = (self.belief, event)
        hit = self._enabled_cache.get(key)
        if hit is None:
            hit = any(self.sm.successors(s, event) for s in self.sm.closure(self.belief))
            self._enabled_cache[key] = hit
        return hit

    def step(self, event: str) -> None:
        if self.dead:
            return
        sm = self.sm
        self.stats["steps"] = self.stats.get("steps", 0) + 1
        before = self.current
        pre = sm.closure(self.belief)
        targets: set = set()
        refusing = []
        for s in pre:
            nxt = sm.successors(s, event)
            if nxt:
                targets.update(nxt)
            else:
                refusing.append(s)
        after_accept = sm.closure(targets)
        after_refuse = sm.closure(refusing)
        try:
            out = self.adapter.apply(event)
        except Exception as e:  # noqa: BLE001
            self._record(event, before, "accepted or refused", None, "?")
            self._raise("crash", event, before, "accepted or refused", "?", _exc(e))
        if not isinstance(out, Outcome):
            out = Outcome(bool(out))
        if out.accepted:
            expected = (f"accepted → {sm.states_text(after_accept)}" if targets
                        else "refused")
            allowed = after_accept
        else:
            expected = ("refused" if refusing else
                        f"accepted → {sm.states_text(after_accept)}")
            allowed = after_refuse
        prefix = ("state" if out.accepted else "unchanged", before, event)
        raw, vals, matching, polls = self._observe_until(allowed, prefix) if allowed else \
            (*self._observe(), frozenset(), 1)
        if vals and allowed:
            expected += _described(sm, allowed, out.accepted)
        self._record(event, before, expected, out, raw, polls, vals)
        if out.accepted and not targets:
            self._mismatch("accepted", event, before, "refused", raw, vals, out.detail, pre)
        elif not out.accepted and not refusing:
            self._mismatch("refused", event, before, expected, raw, vals, out.detail, pre,
                           after_accept)
        elif not matching:
            kind = "state" if out.accepted else "unchanged"
            exp = sm.states_text(allowed) + (_described(sm, allowed, True) if vals else "")
            self._mismatch(kind, event, before, exp, raw, vals, out.detail, pre, allowed)
        else:
            self.belief = matching
            self.current = sm.state_of(next(iter(matching)))
        self._check_invariants(self.belief, raw)

    def _shown(self, raw, vals) -> str:
        """An observation as text: the state, and the observed variables if any."""
        name = self.resolve(raw) or raw
        if not vals:
            return name
        return name + " (" + ", ".join(f"{k}={_val(v)}" for k, v in vals.items()) + ")"

    def _record(self, event, before, expected, out, raw, polls=1, vals=None):
        self.steps.append(Step(event, before, expected, out, self._shown(raw, vals), polls))

    def _mismatch(self, kind, event, before, expected, raw, vals, detail, pre, basis=None):
        """Raise the finding, or, when this difference is already known, resynchronise the
        belief with what was observed and go on."""
        name = self.resolve(raw)
        key = (kind, before, event, name or raw)
        if key in self.known:
            base = basis if basis else pre
            resync = self._match(frozenset(self.sm.with_state(s, name) for s in base), raw, vals) \
                if name else frozenset()
            if not resync:
                self.dead = True  # nothing the spec knows matches: end this run quietly
                return
            self.belief = resync
            self.current = name
            return
        self._raise(kind, event, before, expected, raw, detail, key, vals)

    def _check_invariants(self, belief, raw):
        sm = self.sm
        if not sm.invariants or self.dead:
            return
        for s in belief:
            for inv in sm.violated(s):
                key = ("invariant", self.current, inv.name, raw)
                if key not in self.known:
                    self._raise("invariant", self.steps[-1].event, self.current,
                                f"`{inv.name}` holds", sm.describe(s),
                                f"`{inv.name}` is false: {inv.text}", key)

    def check_belief(self) -> None:
        """The Hypothesis invariant: every state the implementation may be in keeps the
        spec's invariants."""
        self._check_invariants(self.belief, self.current)

    def _raise(self, kind, event, before, expected, observed, detail, key=None, vals=None):
        observed = self._shown(observed, vals) if vals else self.resolve(observed) or observed
        f = Finding(kind, event, before, expected, observed, detail, tuple(self.steps),
                    key or (kind, before, event, observed))
        self.stats.setdefault("seen", []).append(f)
        raise Mismatch(f)


def _val(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _described(sm: SpecMachine, states, accepted: bool, limit: int = 3) -> str:
    """" [Deployed (replicas=2), …]": the states with their variables, for a mismatch that
    may lie in a variable rather than the control state."""
    texts = sorted(sm.describe(s) for s in states)
    more = f", … {len(texts) - limit} more" if len(texts) > limit else ""
    return " [" + "; ".join(texts[:limit]) + more + "]"


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


# ------------------------------------------------------------------------------ Hypothesis
def machine_class(sm: SpecMachine, adapter, opts: Options = Options(),
                  known: frozenset = frozenset(), stats: dict | None = None,
                  make_run: Callable[[], object] | None = None,
                  events: tuple[str, ...] | None = None) -> type[RuleBasedStateMachine]:
    """A ``RuleBasedStateMachine`` checking ``adapter`` against ``sm``: one rule per event
    (``opts.events``, or every command event the adapter supports), the spec's invariants as
    an invariant. Usable directly in pytest: ``TestX = machine_class(...).TestCase``.
    (``make_run``/``events``: another kind of run, e.g. differential.)"""
    stats = {} if stats is None else stats
    if events is None:
        events = exercised_events(sm, adapter, opts)[0]
    if make_run is None:
        def make_run():
            return Run(sm, adapter, opts, known, stats)
    ns: dict = {}

    def __init__(self):
        RuleBasedStateMachine.__init__(self)
        self.run = make_run()

    ns["__init__"] = __init__
    for ev in events:
        def apply_event(self, _ev=ev):
            self.run.step(_ev)

        def enabled(self, _ev=ev):
            return self.run.enables(_ev)
        apply_event.__name__ = f"event_{ev}"
        ns[apply_event.__name__] = rule()(apply_event)
        # the same event again, only where the spec accepts it: accepted events are drawn
        # twice as often, so runs go deep instead of piling up refusals
        again = precondition(enabled)(rule()(lambda self, _ev=ev: self.run.step(_ev)))
        ns[f"enabled_{ev}"] = again
    if sm.invariants:
        ns["spec_invariants"] = invariant()(lambda self: self.run.check_belief())
    return type(f"Conform{sm.name}", (RuleBasedStateMachine,), ns)


def exercised_events(sm: SpecMachine, adapter, opts: Options) -> tuple[tuple[str, ...],
                                                                       tuple[str, ...]]:
    """(events the runs use, command events of the machine the adapter cannot perform)."""
    supported = adapter_events(adapter)
    wanted = opts.events if opts.events is not None else sm.commands
    unknown = [e for e in wanted if e not in sm.commands]
    if unknown:
        raise ConformError("FC805", f"`{unknown[0]}` is not a command event of `{sm.name}`",
                           "its command events: " + ", ".join(sm.commands))
    used = tuple(e for e in wanted if supported is None or e in supported)
    skipped = tuple(e for e in wanted if supported is not None and e not in supported)
    if not used:
        raise ConformError("FC806", f"the adapter `{adapter_name(adapter)}` performs none of "
                           f"the events of `{sm.name}` ({', '.join(wanted)})",
                           "map the spec's events to the implementation's operations")
    return used, skipped


def _settings(opts: Options) -> Settings:
    return Settings(max_examples=opts.examples, stateful_step_count=opts.steps,
                    deadline=None, database=None, derandomize=False, print_blob=False,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck),
                    phases=(Phase.generate, Phase.shrink))


@contextmanager
def _shrink_limit(seconds: float):
    """Bound the time Hypothesis spends shrinking (each candidate drives the implementation,
    which for a real runtime costs ~10 ms per event). Hypothesis reads this module constant
    when shrinking starts; without it (another version) its own 300 s limit applies."""
    from hypothesis.internal.conjecture import engine as hyp_engine
    old = getattr(hyp_engine, "MAX_SHRINKING_SECONDS", None)
    if old is None:
        yield
        return
    hyp_engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        hyp_engine.MAX_SHRINKING_SECONDS = old


def _round(sm, adapter, opts, known, seed, stats, make_run=None, events=None):
    """One Hypothesis search; the shrunk finding, or None."""
    from hypothesis.stateful import get_state_machine_test
    cls = machine_class(sm, adapter, opts, known, stats, make_run, events)
    test = hypothesis_seed(seed)(get_state_machine_test(cls, settings=_settings(opts)))
    stats["seen"] = []
    try:
        with with_reporter(lambda _msg: None), _shrink_limit(opts.shrink_seconds):
            test()
    except Mismatch as e:
        return replace(e.finding, seed=seed)
    except Flaky:
        seen = stats["seen"]
        if seen:  # the chosen trace did not fail again on replay: report the shortest failure
            best = min(seen, key=lambda f: len(f.steps))
            return replace(best, seed=seed, flaky=True)
        raise
    return None


# ------------------------------------------------------------------------------ the tour
#: At most this many beliefs are toured (each with every event).
MAX_TOUR_BELIEFS = 200


def tour_cases(sm: SpecMachine, events: tuple[str, ...]) -> tuple[list[tuple[str, ...]], bool]:
    """Event sequences that try every event once in every belief the spec reaches, each
    after a shortest path to that belief (breadth first over the spec's command events,
    beliefs split by control state as an observation would). Returns (cases, complete)."""
    start = sm.closure(sm.initial)
    paths = {start: ()}
    queue = [start]
    cases = []
    i = 0
    while i < len(queue):
        b = queue[i]
        i += 1
        for e in events:
            cases.append(paths[b] + (e,))
            targets = set()
            for s in b:
                targets.update(sm.successors(s, e))
            if not targets:
                continue
            by_state: dict = {}
            for s in sm.closure(targets):
                by_state.setdefault(sm.state_of(s), set()).add(s)
            for part in by_state.values():
                nb = frozenset(part)
                if nb not in paths:
                    if len(paths) >= MAX_TOUR_BELIEFS:
                        return cases, False
                    paths[nb] = paths[b] + (e,)
                    queue.append(nb)
    return cases, True


def _tour(sm, adapter, opts, known: set, stats, findings: list) -> None:
    """Run every tour case; a new difference becomes a finding (its trace is the shortest
    path the spec knows to where it happened) and is known from then on."""
    events = exercised_events(sm, adapter, opts)[0]
    cases, complete = tour_cases(sm, events)
    stats["tour_cases"] = len(cases)
    stats["tour_complete"] = complete
    for case in cases:
        if len(findings) >= opts.max_findings:
            return
        try:
            run = Run(sm, adapter, opts, frozenset(known), stats, generated=False)
            for e in case:
                run.step(e)
        except Mismatch as e:
            f = replace(e.finding, found_by="tour")
            if f.key not in known:
                known.add(f.key)
                findings.append(f)


# ------------------------------------------------------------------------------ the front end
@dataclass
class ConformanceReport:
    """The outcome of :func:`conform`: findings (each a shortest trace) and figures."""
    spec_file: str
    machine: str
    adapter: str
    seed: int
    options: Options
    findings: list[Finding]
    events: tuple[str, ...]
    not_exercised: tuple[str, ...]
    examples: int = 0
    steps: int = 0
    polls: int = 0
    rounds: int = 0
    seconds: float = 0.0
    runtime_seconds: float | None = None
    setup: str | None = None
    complete: bool = True  # False: stopped at max_findings, more may exist
    tour_cases: int = 0
    tour_complete: bool = True

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def verdict(self) -> str:
        return "violated" if self.findings else "passed"

    @property
    def overhead(self) -> float | None:
        """The engine's own time as a fraction of the implementation's."""
        if not self.runtime_seconds:
            return None
        return max(self.seconds - self.runtime_seconds, 0.0) / self.runtime_seconds

    def to_json(self) -> dict:
        from .report import transcript
        return {"spec": self.spec_file, "machine": self.machine, "adapter": self.adapter,
                "verdict": self.verdict, "seed": self.seed,
                "examples": self.examples, "steps": self.steps, "polls": self.polls,
                "rounds": self.rounds, "complete": self.complete,
                "tour_cases": self.tour_cases, "tour_complete": self.tour_complete,
                "events": list(self.events), "not_exercised": list(self.not_exercised),
                "seconds": round(self.seconds, 3),
                "runtime_seconds": None if self.runtime_seconds is None
                else round(self.runtime_seconds, 3),
                "overhead": None if self.overhead is None else round(self.overhead, 4),
                "findings": [dict(f.to_json(), transcript=transcript(self, f))
                             for f in self.findings]}

    def to_text(self) -> str:
        from .report import render_text
        return render_text(self)


def conform(spec, machine: str, adapter, *, examples: int = 100, steps: int = 20,
            seed: int | None = None, all_differences: bool = True, max_findings: int = 20,
            poll_timeout: float | None = None, events: Iterable[str] | None = None,
            known: Iterable[tuple] = (), tour: bool = True,
            shrink_seconds: float = 60.0) -> ConformanceReport:
    """Check ``adapter`` (an :class:`~formalc.conform.adapter.Adapter`, or a zero-argument
    callable returning one) against machine ``machine`` of ``spec`` (a path or a loaded
    :class:`~formalc.model.nodes.Spec`).

    First a *tour* (``tour``): every event in every state the spec reaches, each after a
    shortest path there, so every transition and every refusal of the spec is tried once and
    a difference found there comes with a shortest trace. Then ``examples`` generated traces
    of ``steps`` events each (Hypothesis shrinks failures). With ``all_differences`` it goes on after a finding, with
    the findings so far known, until a round finds nothing new or ``max_findings`` are found.
    Shrinking one finding stops after ``shrink_seconds`` (the smallest failure so far is
    reported).
    Raises :class:`~formalc.conform.spec_side.ConformError` when the question cannot be asked.
    The adapter is closed at the end.
    """
    spec_obj = _load(spec)
    sm = SpecMachine(spec_obj, machine)
    if callable(adapter) and not hasattr(adapter, "apply"):
        adapter = adapter()
    opts = Options(examples=examples, steps=steps, poll_timeout=poll_timeout,
                   max_findings=max_findings, all_differences=all_differences,
                   events=tuple(events) if events is not None else None,
                   shrink_seconds=shrink_seconds)
    seed = random.randrange(2 ** 32) if seed is None else int(seed)
    used, skipped = exercised_events(sm, adapter, opts)
    bind = getattr(adapter, "bind", None)
    if callable(bind):
        bind(sm)
    rt0 = _runtime_seconds(adapter)
    stats: dict = {}
    findings: list[Finding] = []
    known_keys = set(known)
    t0 = time.perf_counter()
    rounds = 0
    complete = True
    try:
        if tour:
            _tour(sm, adapter, opts if all_differences else replace(opts, max_findings=1),
                  known_keys, stats, findings)
            if findings and (not all_differences or len(findings) >= max_findings):
                complete = False
        while complete and len(findings) < max_findings:
            rounds += 1
            f = _round(sm, adapter, opts, frozenset(known_keys), seed + rounds - 1, stats)
            if f is None:
                break
            findings.append(f)
            known_keys.add(f.key)
            if not all_differences:
                complete = False
                break
            if len(findings) >= max_findings:
                complete = False
                break
    finally:
        seconds = time.perf_counter() - t0
        rt1 = _runtime_seconds(adapter)
        try:
            adapter.close()
        except Exception:  # noqa: BLE001 - closing must not hide the report
            pass
    setup_fn = getattr(adapter, "transcript_setup", None)
    return ConformanceReport(
        spec_file=spec_obj.file, machine=machine, adapter=adapter_name(adapter), seed=seed,
        options=opts, findings=findings, events=used, not_exercised=skipped,
        examples=stats.get("examples", 0), steps=stats.get("steps", 0),
        polls=stats.get("polls", 0), rounds=rounds, seconds=seconds,
        runtime_seconds=None if rt0 is None or rt1 is None else rt1 - rt0,
        setup=setup_fn() if callable(setup_fn) else None, complete=complete,
        tour_cases=stats.get("tour_cases", 0), tour_complete=stats.get("tour_complete", True))


def _runtime_seconds(adapter) -> float | None:
    v = getattr(adapter, "seconds", None)
    return float(v) if isinstance(v, (int, float)) else None


def _load(spec):
    from ..model import nodes as m
    if isinstance(spec, m.Spec):
        return spec
    from ..api import load
    return load(spec)


def settle(adapter, expected: Iterable[str], timeout: float | None = None,
           interval: float = 0.002) -> str:
    """Observe ``adapter`` until it shows one of the ``expected`` state names (through its
    aliases) or ``timeout`` seconds pass (default: the adapter's ``poll_timeout``, else 0);
    return the last observed name. Transcripts use it to replay asynchronous observations the
    way the engine made them."""
    if timeout is None:
        timeout = float(getattr(adapter, "poll_timeout", 0.0) or 0.0)
    want = set(expected)
    aliases = getattr(adapter, "aliases", None) or {}
    deadline = time.monotonic() + timeout
    while True:
        t = adapter.observe()
        raw = str(t["state"]) if isinstance(t, Mapping) else str(t)
        names = {raw, *aliases.get(raw, ())}
        if names & want or time.monotonic() >= deadline:
            return raw
        time.sleep(interval)
        interval = min(interval * 2, 0.05)


Factory = Callable[[], object]
