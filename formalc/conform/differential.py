"""Differential conformance: two implementations of one spec on the same generated traces.

The spec supplies the vocabulary (its command events, its state names, through each
adapter's aliases) and the tour; it is not the oracle here. Each event is applied to both
implementations and each divergence is reported: one accepts what the other refuses
(``outcome``), or both answer alike but end in different states (``state``), or they start in
different states (``initial``). Like :func:`~formalc.conform.engine.conform`, a divergence
found is then known (both runs simply go on) so the next search finds the next one, each on a
shortest (tour) or shrunk (Hypothesis) trace.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace

from .adapter import Outcome, adapter_events, adapter_name, instantiate
from .engine import _load, _round, _runtime_seconds, tour_cases
from .results import Finding, Mismatch, Options, Step
from .spec_side import ConformError, SpecMachine


class _Side:
    """One implementation's view: resolving its observed names to spec states."""

    def __init__(self, sm: SpecMachine, adapter, opts: Options):
        self.sm = sm
        self.adapter = adapter
        self.aliases = getattr(adapter, "aliases", None) or {}
        t = opts.poll_timeout
        self.timeout = float(getattr(adapter, "poll_timeout", 0.0) or 0.0) if t is None else t

    def resolve(self, raw: str) -> str:
        if raw in self.sm.states:
            return raw
        for s in self.sm.states:
            if s.casefold() == raw.casefold():
                return s
        for c in self.aliases.get(raw, ()):
            if c in self.sm.states:
                return c
        return raw

    def observe(self) -> str:
        t = self.adapter.observe()
        return self.resolve(str(t["state"]) if isinstance(t, dict) else str(t))

    def settle(self) -> str:
        """Observe until two observations in a row agree (or the timeout passes): the two
        sides' states are compared with each other, so there is no expectation to wait for,
        only an asynchronous change to let finish."""
        if self.timeout <= 0:
            return self.observe()
        deadline = time.monotonic() + self.timeout
        last = self.observe()
        while True:
            got = self.observe()
            if got == last or time.monotonic() >= deadline:
                return got
            last = got


class DiffRun:
    """One trace applied to both implementations."""

    def __init__(self, sm: SpecMachine, a, b, opts: Options, known: frozenset, stats: dict,
                 generated: bool = True):
        self.sm = sm
        self.sides = (_Side(sm, a, opts), _Side(sm, b, opts))
        self.known = known
        self.stats = stats
        self.steps: list[Step] = []
        self.dead = False  # the sides diverged (a known divergence): nothing more to compare
        counter = "examples" if generated else "tour_runs"
        stats[counter] = stats.get(counter, 0) + 1
        try:
            for s in self.sides:
                s.adapter.reset()
            sa = self.sides[0].settle()
            sb = self.sides[1].settle()
        except Exception as e:  # noqa: BLE001 - an adapter failure is a finding
            self._crash(None, f"reset: {type(e).__name__}: {e}")
            return
        self.current = (sa, sb)
        self.steps.append(Step(None, "", sb, None, sa))
        if sa != sb:
            self._diverge("initial", None, sb, sa, "")

    def enables(self, event: str) -> bool:
        """Whether the spec accepts ``event`` in some state named like A's (a bias for the
        generator only: both sides get every event)."""
        if self.dead:
            return False
        sm = self.sm
        return any(sm.successors(s, event) for s in sm.reachable_named(self.current[0]))

    def check_belief(self) -> None:
        pass

    def step(self, event: str) -> None:
        if self.dead:
            return
        self.stats["steps"] = self.stats.get("steps", 0) + 1
        a, b = self.sides
        before = self.current
        try:
            oa = a.adapter.apply(event)
            ob = b.adapter.apply(event)
            for o in (oa, ob):
                if not isinstance(o, Outcome):
                    raise TypeError(f"apply({event!r}) returned {o!r}, not an Outcome")
            sa = a.settle()
            sb = b.settle()
        except Exception as e:  # noqa: BLE001
            self._crash(event, f"{type(e).__name__}: {e}", before)
            return
        self.current = (sa, sb)
        # Step fields: before = A's state, expected = B's outcome and state, observed = A's
        self.steps.append(Step(event, _pair(before), f"{_word(ob)} → {sb}", oa, sa))
        if oa.accepted != ob.accepted:
            self._diverge("outcome", event, f"{_brief(ob)} → {sb}", f"{_brief(oa)} → {sa}",
                          (oa.detail or ob.detail), before)
        elif sa != sb:
            self._diverge("state", event, sb, sa, "", before)

    def _crash(self, event, detail, before=None):
        """An adapter raised: a divergence of kind ``crash`` (known ones end the run)."""
        self._diverge("crash", event, "", "raised", detail, before)

    def _diverge(self, kind, event, b_text, a_text, detail, before=None):
        """Report the first divergence of a run; a known one ends the comparison (the sides
        are no longer in the same state, so what follows would only be its consequences)."""
        key = (kind, before, event, a_text, b_text)
        if key in self.known:
            self.dead = True
            self.stats["dead_runs"] = self.stats.get("dead_runs", 0) + 1
            return
        f = Finding(kind, event, _pair(before) if before else "", b_text, a_text, detail,
                    tuple(self.steps), key)
        self.stats.setdefault("seen", []).append(f)
        raise Mismatch(f)


def _brief(o: Outcome) -> str:
    return "accepted" if o.accepted else "refused"


def _word(o: Outcome) -> str:
    return "accepted" if o.accepted else f"refused ({o.detail})" if o.detail else "refused"


def _pair(p) -> str:
    if p is None:
        return ""
    return p[0] if p[0] == p[1] else f"{p[0]} / {p[1]}"


@dataclass
class DifferentialReport:
    """Divergences between implementation ``a`` and ``b`` (each a shortest/shrunk trace)."""
    spec_file: str
    machine: str
    a: str
    b: str
    seed: int
    findings: list[Finding]
    events: tuple[str, ...]
    examples: int = 0
    steps: int = 0
    tour_cases: int = 0
    seconds: float = 0.0
    runtime_seconds: float | None = None
    complete: bool = True
    options: Options = field(default_factory=Options)

    @property
    def ok(self) -> bool:
        return self.verdict == "agreed"

    dead_runs: int = 0
    tour_runs: int = 0

    @property
    def verdict(self) -> str:
        """``diverged``, ``unknown`` (no step was compared: see :attr:`reason`) or
        ``agreed``."""
        if self.findings:
            return "diverged"
        return "unknown" if self.reason else "agreed"

    @property
    def reason(self) -> str | None:
        runs = self.examples + self.tour_runs
        if runs == 0 or self.steps == 0:
            return "no step was compared"
        if self.dead_runs >= runs:
            return "every run ended at a known divergence"
        return None

    def describe(self, f: Finding) -> str:
        if f.kind == "initial":
            return f"after reset {self.a} is in {f.observed}, {self.b} in {f.expected}"
        if f.kind == "outcome":
            return (f"`{f.event}` in {f.before}: {self.a} {f.observed}, {self.b} {f.expected}")
        return (f"`{f.event}` in {f.before}: {self.a} ends in {f.observed}, {self.b} in "
                f"{f.expected}")

    def to_json(self) -> dict:
        return {"spec": self.spec_file, "machine": self.machine, "a": self.a, "b": self.b,
                "verdict": self.verdict, "reason": self.reason, "dead_runs": self.dead_runs, "seed": self.seed, "examples": self.examples,
                "steps": self.steps, "tour_cases": self.tour_cases, "complete": self.complete,
                "events": list(self.events), "seconds": round(self.seconds, 3),
                "divergences": [dict(f.to_json(), summary=self.describe(f))
                                for f in self.findings]}

    def to_text(self) -> str:
        head = {"agreed": "no divergence", "unknown": f"unknown: {self.reason}"}.get(
            self.verdict, f"{len(self.findings)} divergence(s)")
        out = [f"{self.machine} ({self.spec_file}): {self.a} vs {self.b}: {head}",
               f"  tried: a tour of {self.tour_cases} cases, then {self.examples} generated "
               f"traces; {self.steps} events; seed {self.seed}; {self.seconds:.2f} s"]
        if self.dead_runs:
            out.append(f"  {self.dead_runs} run(s) ended at a known divergence")
        if not self.complete:
            out.append(f"  (stopped after {len(self.findings)}; more may exist)")
        for i, f in enumerate(self.findings, 1):
            how = "shortest trace" if f.found_by == "tour" else "shrunk trace"
            out.append("")
            out.append(f"divergence {i} ({f.kind}): {self.describe(f)}")
            out.append(f"  {how} ({len(f.trace)} events): "
                       f"{' → '.join(f.trace) if f.trace else '(reset only)'}")
            for j, s in enumerate(f.steps):
                if s.event is None:
                    out.append(f"    {j}. reset: {self.a} {s.observed}, {self.b} {s.expected}")
                else:
                    out.append(f"    {j}. {s.event} in {s.before}: {self.a} {_word(s.outcome)}"
                               f" → {s.observed}; {self.b} {s.expected}")
        return "\n".join(out) + "\n"


def differential(spec, machine: str, a, b, *, examples: int = 100, steps: int = 20,
                 seed: int | None = None, max_findings: int = 20,
                 poll_timeout: float | None = None, tour: bool = True) -> DifferentialReport:
    """Run implementations ``a`` and ``b`` (adapters, or factories of adapters) of machine
    ``machine`` of ``spec`` on the same traces and report every divergence."""
    spec_obj = _load(spec)
    sm = SpecMachine(spec_obj, machine)
    a, b = instantiate(a), instantiate(b)
    for name, v in (("examples", examples), ("steps", steps), ("max_findings", max_findings)):
        if int(v) < 1:
            raise ValueError(f"{name} must be at least 1 (got {v})")
    opts = Options(examples=examples, steps=steps, poll_timeout=poll_timeout,
                   max_findings=max_findings)
    ea, eb = adapter_events(a), adapter_events(b)
    events = tuple(e for e in sm.commands if (ea is None or e in ea) and (eb is None or e in eb))
    if not events:
        raise ConformError("FC806", f"`{adapter_name(a)}` and `{adapter_name(b)}` share none of "
                           f"the events of `{machine}`", "map both to the spec's events")
    for x in (a, b):
        bind = getattr(x, "bind", None)
        if callable(bind):
            bind(sm)
    seed = random.randrange(2 ** 32) if seed is None else int(seed)
    stats: dict = {}
    findings: list[Finding] = []
    known: set = set()
    t0 = time.perf_counter()
    r0 = [_runtime_seconds(x) for x in (a, b)]
    complete = True
    try:
        if tour:
            cases, _ = tour_cases(sm, events)
            stats["tour_cases"] = len(cases)
            for case in cases:
                if len(findings) >= max_findings:
                    complete = False
                    break
                try:
                    run = DiffRun(sm, a, b, opts, frozenset(known), stats, generated=False)
                    for e in case:
                        run.step(e)
                except Mismatch as m:
                    if m.finding.key not in known:
                        known.add(m.finding.key)
                        findings.append(replace(m.finding, found_by="tour"))
        rounds = 0
        while complete and len(findings) < max_findings:
            rounds += 1

            def make_run():
                return DiffRun(sm, a, b, opts, frozenset(known), stats)
            f = _round(sm, None, opts, frozenset(known), seed + rounds - 1, stats,
                       make_run=make_run, events=events)
            if f is None:
                break
            known.add(f.key)
            findings.append(f)
        else:
            complete = complete and len(findings) < max_findings
    finally:
        seconds = time.perf_counter() - t0
        r1 = [_runtime_seconds(x) for x in (a, b)]
        for x in (a, b):
            try:
                x.close()
            except Exception:  # noqa: BLE001
                pass
    rt = None if None in r0 or None in r1 else (r1[0] - r0[0]) + (r1[1] - r0[1])
    return DifferentialReport(spec_obj.file, machine, adapter_name(a), adapter_name(b), seed,
                              findings, events, stats.get("examples", 0),
                              stats.get("steps", 0), stats.get("tour_cases", 0), seconds, rt,
                              complete, opts, dead_runs=stats.get("dead_runs", 0),
                              tour_runs=stats.get("tour_runs", 0))
