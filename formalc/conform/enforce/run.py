"""Running probes: one in a fresh container (:class:`ProbeRunner`, an :class:`Observation`),
and the driver that runs many under a policy and compares each with the verdict Z3 proves
(:func:`check_enforcement`).

>>> report = check_enforcement("specs/enforcement.iot", "strict", examples=20,  # doctest: +SKIP
...                            seed=1)
>>> report.ok, len(report.results), report.findings                       # doctest: +SKIP
(True, 20, [])
"""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..bundle import Runtime, probe_runtime
from .catalogue import CATALOGUE, WRITES, classify
from .compile import compile_policy, grantable_caps, oci_cap, probe_config
from .facts import Outcome, Policy, Probe, SpecFacts, SpecShapeError
from .oracle import VerdictOracle
from .report import EnforcementReport, Finding, ProbeResult, replay_probe, replay_run
from .strategies import probe_strategy

__all__ = ["Observation", "ProbeRunner", "check_enforcement"]


@dataclass(frozen=True)
class Observation:
    """What one probe did in its container: the classified outcome, why it was classified so,
    and the raw facts (exit status as ``runc run`` returns it, 128 + n for signal n)."""
    outcome: Outcome
    detail: str
    exit_code: int
    stdout: str
    stderr: str
    command: str
    seconds: float
    config: dict = field(default_factory=dict, compare=False, repr=False)


class ProbeRunner:
    """Runs probes under one policy, each in a fresh container of runtime ``rt``.

    ``transform`` (optional) is applied to every compiled config before it runs: a hook to
    inject a compiler fault, or to try another compiler's output, in tests.
    """

    def __init__(self, rt: Runtime, facts: SpecFacts, policy: Policy,
                 transform: Callable[[dict], dict | None] | None = None,
                 timeout: float = 20.0):
        self.rt, self.facts, self.policy = rt, facts, policy
        self.transform, self.timeout = transform, timeout
        self.grantable = grantable_caps()
        self.count = 0

    def run(self, probe: Probe) -> Observation:
        cfg, denials = probe_config(self.policy, self.facts, probe, self.transform,
                                    grantable=self.grantable)
        self.count += 1
        bundle = self.rt.bundle(cfg["process"]["args"], cfg)
        t0 = time.perf_counter()
        p = self.rt.run_once(f"formalc-probe-{self.count}", bundle, timeout=self.timeout)
        dt = time.perf_counter() - t0
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        outcome, detail = classify(p.returncode, out, err, denials)
        return Observation(outcome, detail, p.returncode, out, err, cfg["process"]["args"][2], dt,
                           cfg)


# ------------------------------------------------------------------------------ the driver
def check_enforcement(spec, policy: str | Policy, probes=None, *, examples: int = 40,
                      seed: int | None = 0, runtime: str = "runc",
                      transform: Callable[[dict], dict | None] | None = None,
                      timeout: float = 10.0) -> EnforcementReport:
    """Run probes under ``policy`` and compare each observed outcome with the verdict Z3
    proves from ``spec``.

    ``spec``: the path of the enforcement spec (or a ``Spec`` loaded from one, or its
    :class:`SpecFacts`). ``policy``: the name of a ``Policy`` value of the spec (``"strict"``),
    or a :class:`Policy` (e.g. drawn by :func:`policy_strategy`). ``probes``:
    ``None`` draws ``examples`` probes with :func:`probe_strategy` (Hypothesis, ``seed``); a
    Hypothesis strategy draws ``examples`` probes from it; an iterable of :class:`Probe` runs
    each once, in order. A probe drawn twice runs once. ``transform``: applied to every
    compiled config before it runs (fault injection in tests). ``timeout``: seconds per Z3
    check.

    Raises :class:`RuntimeUnavailable` when the runtime cannot be used here (the caller skips
    or fails), ``SpecShapeError`` / ``PolicyError`` for a spec or policy it cannot handle.
    """
    facts = spec if isinstance(spec, SpecFacts) else SpecFacts.of(spec)
    if isinstance(policy, Policy):
        policy_name, policy_text, replay_arg = policy.name, policy.spec_text(), repr(policy)
    else:
        policy_name, policy_text, replay_arg = policy, policy, repr(policy)
        policy = facts.policy(policy)
    compile_policy(policy, facts, ["true"])  # refuse a policy we cannot run before starting
    unwritable = [p for p in facts.write_paths if facts.path_of[p] not in WRITES]
    if unwritable:
        raise SpecShapeError(f"WritePaths holds {', '.join(unwritable)}, for which there is no "
                             f"write command; the writable targets are {', '.join(WRITES)}")
    probe_runtime(runtime)
    oracle = VerdictOracle(facts, policy_text, timeout)
    t0 = time.perf_counter()
    with Runtime(runtime) as rt:
        how = (f"examples={examples}, seed={seed}" if probes is None else
               f"<the strategy>, examples={examples}, seed={seed}" if _is_strategy(probes)
               else None)
        report = EnforcementReport(spec=_display(facts.file), policy=policy_name,
                                   runtime=_version(rt), seed=seed if how else None,
                                   replay=replay_run(facts.file, replay_arg, how,
                                                     transform is not None))
        runner = ProbeRunner(rt, facts, policy, transform)
        withheld = sorted({oci_cap(c) for c in policy.caps} - (runner.grantable or set())
                          if runner.grantable is not None else ())
        commandless = [k for k in facts.kinds if k not in CATALOGUE]
        if commandless:
            report.notes.append("probe kinds without a command, never drawn: "
                                + ", ".join(commandless))
        if withheld:
            report.notes.append(f"not granted, as this process does not hold them (runc could "
                                f"not start the container otherwise): {', '.join(withheld)}; "
                                "a probe that needs one is a finding")
        seen: set[Probe] = set()

        def one(probe: Probe) -> None:
            if probe in seen:
                return
            seen.add(probe)
            exp = oracle.expected(probe)
            obs = runner.run(probe)
            report.results.append(ProbeResult(probe, exp.outcome, obs.outcome, obs.exit_code,
                                              obs.stderr, obs.detail, exp.reason, obs.command,
                                              obs.seconds))
            if exp.outcome.definite and obs.outcome.definite and exp.outcome != obs.outcome:
                report.findings.append(Finding(probe, exp.outcome, obs.outcome, obs.detail,
                                               obs.command, obs.config, exp.check_text,
                                               replay_probe(facts.file, replay_arg, probe,
                                                            transform is not None)))

        if probes is None or _is_strategy(probes):
            _draw(probe_strategy(facts, policy) if probes is None else probes, one,
                  examples, seed)
        else:
            probes = list(probes)
            oracle.prefetch(probes)
            for p in probes:
                one(p)
        report.runtime_seconds = rt.seconds
    report.seconds = time.perf_counter() - t0
    report.solver_seconds = oracle.seconds
    performed = {s for k in facts.kinds if k in CATALOGUE for s in facts.uses.get(k, ())}
    report.unprobed = sorted((policy.errno | policy.kill) - performed)
    return report


def _draw(strategy, one: Callable[[Probe], None], examples: int, seed: int | None) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fix_seed

    # Every drawn probe is recorded, agreeing or not, so nothing is raised and nothing shrunk:
    # a probe is already minimal, and a finding is replayed from its own transcript.
    @settings(max_examples=examples, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(probe):
        one(probe)

    (fix_seed(seed)(draw) if seed is not None else draw)()


def _is_strategy(x) -> bool:
    from hypothesis.strategies import SearchStrategy
    return isinstance(x, SearchStrategy)


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else str(path)
    except ValueError:
        return str(path)


def _version(rt: Runtime) -> str:
    try:
        p = subprocess.run([rt.binary, "--version"], capture_output=True, text=True,
                           timeout=10, check=False)
        first = p.stdout.splitlines()[0] if p.stdout else rt.name
        return first.replace(" version", "")
    except (OSError, subprocess.SubprocessError):
        return rt.name
