"""Conformance reports as text, and replay transcripts as runnable Python."""
from __future__ import annotations

from .results import ConformanceReport, Finding


def _expected_names(step_expected: str) -> list[str]:
    """The state names in an expectation such as "accepted → Running or Stopped"."""
    tail = step_expected.split("→", 1)[1] if "→" in step_expected else step_expected
    if tail.strip() == "refused":
        return []
    return [w.strip() for w in tail.split(" or ") if w.strip()]


def transcript(report: ConformanceReport, f: Finding) -> str:
    """A Python script that replays finding ``f`` step by step against a fresh adapter,
    printing what the implementation does beside what the spec expects."""
    cmd = report.command or (f"formalc conform {report.spec_file} --machine {report.machine} "
                             f"--adapter … --examples {report.options.examples} --steps "
                             f"{report.options.steps} --seed {report.seed}")
    lines = [f'"""Replays a conformance finding of `{report.machine}` against '
             f'{report.adapter}:',
             f"{f.summary()}.",
             f"Found by: {cmd} ("
             + ("the tour" if f.found_by == "tour" else f"Hypothesis seed {f.seed}") + ").",
             '"""',
             "from formalc.conform import settle"]
    setup = report.setup
    if setup:
        lines.append(setup)
    else:
        lines.append("adapter = ...  # build the adapter under test here (not importable by "
                     "name)")
    timeout = report.options.poll_timeout
    targ = "" if timeout is None else f", timeout={timeout:g}"
    lines += ["try:", "    adapter.reset()"]
    prev_state = None
    for i, s in enumerate(f.steps):
        last = i == len(f.steps) - 1
        mark = "   # <- the difference" if last else ""
        if s.event is None:
            names = [n for n in s.expected.split(" or ")]
            lines.append(f"    print('reset ->', settle(adapter, {names!r}{targ}))"
                         f"  # spec: {s.expected}{mark if last else ''}")
            prev_state = s.observed
            continue
        lines.append(f"    print({s.event + ':'!r}, adapter.apply({s.event!r}))"
                     f"  # spec: {s.expected.split(' →')[0]}")
        names = _expected_names(s.expected) or [s.before or prev_state]
        lines.append(f"    print('  now', settle(adapter, {names!r}{targ}))"
                     f"  # spec: {s.expected}; formalc saw {s.outcome}, {s.observed}{mark}")
        prev_state = s.observed
    lines += ["finally:", "    adapter.close()"]
    return "\n".join(lines) + "\n"


def render_text(r: ConformanceReport, transcripts: bool = True) -> str:
    out = []
    state = {"passed": "no difference", "partial": "no difference (partial)",
             "unknown": f"unknown: {r.reason}"}.get(r.verdict,
                                                     f"{len(r.findings)} difference(s)")
    head = f"{r.machine} ({r.spec_file}) against {r.adapter}: {state}"
    out.append(head)
    tour = f"a tour of {r.tour_cases} cases (every event in every state the spec reaches)" \
        if r.tour_cases else "no tour"
    if r.tour_cases and not r.tour_complete:
        tour += " [cut short: too many states]"
    out.append(f"  tried: {tour}, then {r.examples} generated traces; {r.steps} events in all; "
               f"seed {r.seed}")
    if r.tour_cases and r.tour_reached < r.tour_cases:
        out.append(f"  tour: {r.tour_reached} of {r.tour_cases} cases reached the state they aim "
                   "at (the implementation left the spec's path on the way)")
    if r.dead_runs:
        out.append(f"  {r.dead_runs} run(s) ended early at a known difference the spec cannot "
                   "follow")
    out.append(f"  events exercised: {', '.join(r.events)}")
    if r.internal_moves:
        out.append(f"  internal events seen: {r.internal_moves} observation(s) explained only by "
                   "the implementation's own moves (e.g. a process exiting)")
    if r.not_exercised:
        out.append(f"  not exercised (the adapter has no such operation): "
                   f"{', '.join(r.not_exercised)}")
    rt = ""
    if r.runtime_seconds is not None:
        rt = (f"; inside the implementation {r.runtime_seconds:.2f} s, engine overhead "
              f"{100 * (r.overhead or 0):.1f}%")
    out.append(f"  time {r.seconds:.2f} s{rt}")
    for name, why in r.unchecked:
        out.append(f"  not checked at run time: `{name}` ({why}; `formalc check` proves it on "
                   "the spec)")
    if r.verdict == "unknown":
        out.append(f"  verdict: unknown — {r.reason}")
        return "\n".join(out) + "\n"
    if r.verdict == "partial":
        out.append("  verdict: partial — no trace disagreed, but the events above marked not "
                   "exercised were never tried")
        return "\n".join(out) + "\n"
    if r.verdict == "passed":
        out.append("  verdict: passed — tested, not proved: every generated trace agreed with "
                   "the spec")
        return "\n".join(out) + "\n"
    out.append("  verdict: violated")
    if not r.complete:
        out.append(f"  (stopped after {len(r.findings)} finding(s); more may exist)")
    for i, f in enumerate(r.findings, 1):
        out.append("")
        flaky = " [flaky: did not fail again on replay]" if f.flaky else ""
        out.append(f"difference {i} ({f.kind}): {r.adapter} {f.summary()}{flaky}")
        how = "shortest trace" if f.found_by == "tour" else "shrunk trace"
        out.append(f"  {how} ({len(f.trace)} events): "
                   f"{' → '.join(f.trace) if f.trace else '(reset only)'}")
        for j, s in enumerate(f.steps):
            out.append(f"    {j}. {s.line()}")
        if f.detail and f.kind not in ("refused",):
            out.append(f"  detail: {f.detail}")
        out.append("  found by the tour (no randomness)" if f.found_by == "tour" else
                   f"  found by Hypothesis, seed {f.seed}")
        if transcripts:
            out.append("  replay:")
            out += ["    " + ln for ln in transcript(r, f).splitlines()]
    return "\n".join(out) + "\n"
