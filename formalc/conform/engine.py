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
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import replace

from hypothesis import HealthCheck, Phase, settings as Settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky
from hypothesis.reporting import with_reporter
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from .adapter import adapter_events, adapter_name, instantiate
from .results import KINDS, ConformanceReport, Finding, Mismatch, Options, Step
from .run import Run, settle
from .spec_side import ConformError, SpecMachine

__all__ = ["KINDS", "ConformanceReport", "Finding", "Mismatch", "Options", "Run", "Step",
           "conform", "exercised_events", "machine_class", "settle", "tour_cases"]

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
    plan, complete = tour_plan(sm, events)
    return [case for case, _ in plan], complete


def tour_plan(sm: SpecMachine, events: tuple[str, ...]):
    """:func:`tour_cases` with, for each case, the belief its last event is meant to be tried
    in: ``([(case, belief)], complete)``."""
    start = sm.closure(sm.initial)
    paths = {start: ()}
    queue = [start]
    cases = []
    i = 0
    while i < len(queue):
        b = queue[i]
        i += 1
        for e in events:
            cases.append((paths[b] + (e,), b))
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
    cases, complete = tour_plan(sm, events)
    stats["tour_cases"] = len(cases)
    stats["tour_complete"] = complete
    for case, target in cases:
        if len(findings) >= opts.max_findings:
            return
        try:
            run = Run(sm, adapter, opts, frozenset(known), stats, generated=False)
            for e in case[:-1]:
                run.step(e)
            # the implementation may not follow the spec's internal moves on the way: count
            # only the cases that really try their event where they aim to
            if not run.dead and run.belief & target:
                stats["tour_reached"] = stats.get("tour_reached", 0) + 1
            run.step(case[-1])
        except Mismatch as e:
            f = replace(e.finding, found_by="tour")
            if f.key not in known:
                known.add(f.key)
                findings.append(f)



# ------------------------------------------------------------------------------ the front end
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
    for name, v in (("examples", examples), ("steps", steps), ("max_findings", max_findings)):
        if int(v) < 1:
            raise ValueError(f"{name} must be at least 1 (got {v})")
    spec_obj = _load(spec)
    sm = SpecMachine(spec_obj, machine)
    adapter = instantiate(adapter)
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
        tour_cases=stats.get("tour_cases", 0), tour_complete=stats.get("tour_complete", True),
        internal_moves=stats.get("internal_moves", 0), tour_runs=stats.get("tour_runs", 0),
        tour_reached=stats.get("tour_reached", 0), dead_runs=stats.get("dead_runs", 0),
        unevaluated=tuple(sorted(sm.unevaluated)), unchecked=tuple(sm.unchecked),
        events_chosen=events is not None)


def _runtime_seconds(adapter) -> float | None:
    v = getattr(adapter, "seconds", None)
    return float(v) if isinstance(v, (int, float)) else None


def _load(spec):
    from ..model import nodes as m
    if isinstance(spec, m.Spec):
        return spec
    from ..api import load
    return load(spec)


