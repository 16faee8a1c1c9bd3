"""The report of an enforcement run: one :class:`ProbeResult` per probe, a :class:`Finding` per
disagreement, and :class:`EnforcementReport` with its text and JSON forms (schema
``formalc-enforcement/1``) and the Python transcripts that replay a run or one probe.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import excerpt
from .facts import Outcome, Probe

__all__ = ["EnforcementReport", "Finding", "ProbeResult", "replay_probe", "replay_run"]


@dataclass(frozen=True)
class ProbeResult:
    """One probe: the verdict Z3 proved from the spec, the outcome observed, the raw facts."""
    probe: Probe
    expected: Outcome
    observed: Outcome
    exit_code: int
    stderr: str
    detail: str
    reason: str | None
    command: str
    seconds: float

    @property
    def agrees(self) -> bool:
        return self.expected.definite and self.expected == self.observed

    def to_json(self) -> dict:
        return {"probe": str(self.probe), "kind": self.probe.kind,
                "expected": self.expected.value, "observed": self.observed.value,
                "agrees": self.agrees, "exit_code": self.exit_code, "detail": self.detail,
                "stderr": excerpt(self.stderr), "reason": self.reason,
                "command": self.command, "seconds": round(self.seconds, 4)}


@dataclass(frozen=True)
class Finding:
    """A disagreement: the spec forces ``expected``, the container did ``observed``."""
    probe: Probe
    expected: Outcome
    observed: Outcome
    detail: str
    command: str
    config: dict
    check_text: str
    replay: str

    def to_json(self) -> dict:
        return {"probe": str(self.probe), "expected": self.expected.value,
                "observed": self.observed.value, "detail": self.detail,
                "command": self.command, "config": self.config,
                "check_text": self.check_text, "replay": self.replay}


@dataclass
class EnforcementReport:
    """The outcome of :func:`check_enforcement`.

    ``results``: one per probe run, in order. ``findings``: the disagreements (both verdicts
    definite and different). ``undecided``: results where Z3 answered unknown or the
    observation matched no rule — never a pass. ``unprobed``: operations the policy refuses
    that no probe performs (so their enforcement was not observed). ``notes``: what this
    machine changed, e.g. capabilities the policy keeps that this process cannot grant.
    ``replay``: Python that runs the same probes again (the same seed draws the same probes).
    """
    spec: str
    policy: str
    runtime: str
    seed: int | None
    replay: str = ""
    results: list[ProbeResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unprobed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    runtime_seconds: float = 0.0
    solver_seconds: float = 0.0

    @property
    def undecided(self) -> list[ProbeResult]:
        return [r for r in self.results
                if not r.expected.definite or not r.observed.definite]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.findings and not self.undecided

    @property
    def exit_code(self) -> int:
        """0 every probe agrees; 1 a finding; 3 no finding but something undecided."""
        return 1 if self.findings else (0 if self.ok else 3)

    def counts(self) -> dict[str, int]:
        return {"probes": len(self.results),
                "agree": sum(r.agrees for r in self.results),
                "findings": len(self.findings), "undecided": len(self.undecided)}

    @property
    def probes_per_second(self) -> float:
        return len(self.results) / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        return {"schema": "formalc-enforcement/1", "spec": self.spec, "policy": self.policy,
                "runtime": self.runtime, "seed": self.seed, "replay": self.replay,
                "ok": self.ok,
                "counts": self.counts(), "unprobed": self.unprobed, "notes": self.notes,
                "seconds": round(self.seconds, 3),
                "runtime_seconds": round(self.runtime_seconds, 3),
                "solver_seconds": round(self.solver_seconds, 3),
                "results": [r.to_json() for r in self.results],
                "findings": [f.to_json() for f in self.findings]}

    def to_text(self) -> str:
        c = self.counts()
        out = [f"enforcement of policy `{self.policy}` ({self.spec}) under {self.runtime}"
               + (f", seed {self.seed}" if self.seed is not None else "")]
        w = max([len(str(r.probe)) for r in self.results] + [5])
        out.append(f"  {'probe':<{w}}  {'spec (Z3)':<9}  {'observed':<12}  exit  detail")
        for r in self.results:
            mark = " " if r.agrees else "✘"
            out.append(f"{mark} {r.probe!s:<{w}}  {r.expected.value:<9}  "
                       f"{r.observed.value:<12}  {r.exit_code:>4}  {r.reason or r.detail}")
        for i, f in enumerate(self.findings, 1):
            runtime = self.runtime.split()[0]
            out += ["", (f"finding {i}: {f.probe}: the spec forces {f.expected.value}, "
                         f"{runtime} observed {f.observed.value} ({f.detail})"),
                    f"  command: /bin/sh -c {shlex.quote(f.command)}",
                    "  decided by (save beside the spec, run `formalc check` on it):",
                    *("    " + ln for ln in f.check_text.splitlines()),
                    "  config.json, the parts the policy sets (to_json() has all of it):",
                    *("    " + ln for ln in _config_lines(f.config)),
                    "  replay:", *("    " + ln for ln in f.replay.splitlines())]
        out.append("")
        if self.unprobed:
            out.append("refused by the policy but performed by no probe (not observed): "
                       + ", ".join(self.unprobed))
        out += [f"note: {n}" for n in self.notes]
        if not self.ok and self.replay:
            out += ["replay the run:", *("  " + ln for ln in self.replay.splitlines())]
        out.append(f"{c['probes']} probes: {c['agree']} agree, {c['findings']} "
                   f"finding{'' if c['findings'] == 1 else 's'}, "
                   f"{c['undecided']} undecided ({self.seconds:.1f} s: runtime "
                   f"{self.runtime_seconds:.1f} s, Z3 {self.solver_seconds:.1f} s; "
                   f"{self.probes_per_second:.1f} probes/s)")
        return "\n".join(out)


def _config_lines(cfg: dict) -> list[str]:
    """One line per part of a config that a policy sets."""
    proc, linux = cfg.get("process", {}), cfg.get("linux", {})
    parts = [("process.args", proc.get("args")),
             ("process.capabilities.bounding", proc.get("capabilities", {}).get("bounding"))]
    parts += [(f"linux.{k}", v) for k, v in linux.items()]
    return [f"{k}: {json.dumps(v)}" for k, v in parts if v is not None]


# ------------------------------------------------------------------------------ replays
def _call(file: Path, policy: str, probes: str, transformed: bool, names: str) -> str:
    extra = ", transform=...)  # pass the transform this run used" if transformed else ")"
    return (f"from formalc.conform.enforce import {names}\n"
            f"report = check_enforcement({str(file)!r}, {policy}, {probes}{extra}\n"
            "print(report.to_text())")


def replay_run(file: Path, policy: str, how: str | None, transformed: bool) -> str:
    """Python that runs a drawn run again (``how``: its probes argument), or "" for an
    explicit list of probes, whose findings each carry their own replay."""
    if how is None:  # an explicit list: each finding has its own replay
        return ""
    return _call(file, policy, how, transformed, "Policy, check_enforcement")


def replay_probe(file: Path, policy: str, probe: Probe, transformed: bool) -> str:
    """Python that runs the one probe ``probe`` again under ``policy``."""
    return _call(file, policy, f"[{probe!r}]", transformed, "Policy, Probe, check_enforcement")
