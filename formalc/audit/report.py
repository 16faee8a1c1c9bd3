"""Audit findings and their three renderings: text, JSON and SARIF 2.1.0.

A finding is one false part of a policy predicate on one artifact: the artifact's file, line
and column of the field that made it false, the field's path as the document writes it, the
policy and the control (the innermost named predicate) it violates, the failing condition
with the values that made it false, and how to fix it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    column: int
    artifact: str  # "Deployment/camera-analytics", "config.json", …
    policy: str  # the predicate asked for, e.g. Restricted
    control: str  # the innermost named predicate that is false, e.g. PSS_Restricted_Seccomp
    condition: str  # the false atom, as the spec writes it
    field: str  # the document path of the field, e.g. spec.template.spec.hostNetwork
    values: tuple[tuple[str, str], ...] = ()
    fix: str | None = None
    doc: str | None = None  # the control's documentation (its @doc annotation)
    statement: bool = False  # ``condition`` states the problem (not a formula that is false)

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "artifact": self.artifact, "policy": self.policy, "control": self.control,
                "condition": self.condition, "field": self.field,
                "values": [{"expr": e, "value": v} for e, v in self.values],
                "fix": self.fix}


@dataclass
class Verdict:
    """One policy on one artifact: holds or not, with the findings and the cheapest fixes."""
    file: str
    artifact: str
    policy: str
    holds: bool
    findings: list[Finding] = field(default_factory=list)
    fixes: list[list[tuple[str, str, str]]] = field(default_factory=list)  # (field, value, text)
    reason: str | None = None  # set when the policy could not be evaluated (unknown)
    notes: list[str] = field(default_factory=list)  # information that is not a finding

    def to_json(self) -> dict:
        return {"file": self.file, "artifact": self.artifact, "policy": self.policy,
                "holds": self.holds, "reason": self.reason, "notes": list(self.notes),
                "findings": [f.to_json() for f in self.findings],
                "fixes": [[{"field": f, "value": v, "text": t} for f, v, t in fix]
                          for fix in self.fixes]}


@dataclass
class AuditReport:
    verdicts: list[Verdict] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def findings(self) -> list[Finding]:
        return [f for v in self.verdicts for f in v.findings]

    @property
    def exit_code(self) -> int:
        """As for `check`: 2 bad input, 1 a policy is violated, 3 one is undecided, else 0."""
        if any(d.is_error for d in self.diagnostics):
            return 2
        if any(not v.holds and v.reason is None for v in self.verdicts):
            return 1
        if any(v.reason is not None for v in self.verdicts):
            return 3
        return 0

    def to_json(self) -> dict:
        return {"schema": "formalc-audit", "schema_version": 1, "files": self.files,
                "summary": {"artifacts": len({(v.file, v.artifact) for v in self.verdicts}),
                            "verdicts": len(self.verdicts),
                            "violated": sum(not v.holds and v.reason is None for v in self.verdicts),
                            "unknown": sum(v.reason is not None for v in self.verdicts),
                            "findings": len(self.findings),
                            "errors": sum(d.is_error for d in self.diagnostics),
                            "exit_code": self.exit_code},
                "verdicts": [v.to_json() for v in self.verdicts],
                "diagnostics": [d.to_json() for d in self.diagnostics]}


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_text(report: AuditReport) -> str:
    out: list[str] = []
    last_file = None
    for v in report.verdicts:
        if v.file != last_file:
            out.append(v.file)
            last_file = v.file
        mark = "✔ holds   " if v.holds else ("? unknown " if v.reason else "✘ violated")
        out.append(f"  {mark} {v.policy}  {v.artifact}")
        if v.reason:
            out.append(f"      reason: {v.reason}")
        out.extend(f"      note: {n}" for n in v.notes)
        for f in v.findings:
            vals = "; ".join(f"{e} = {x}" for e, x in f.values)
            out.append(f"      {f.file}:{f.line}:{f.column}  {f.field}")
            if f.statement:
                out.append(f"        {f.control}: {f.condition}")
            else:
                out.append(f"        {f.control}: `{f.condition}` is false"
                           + (f"  [{vals}]" if vals else ""))
            if f.fix:
                out.append(f"        fix: {f.fix}")
        if v.fixes:
            if len(v.fixes) == 1:
                out.append("      cheapest fix: " + _fix_text(v.fixes[0]))
            else:
                out.append(f"      any one of these {len(v.fixes)} fixes closes it:")
                out.extend(f"        - {_fix_text(fx)}" for fx in v.fixes)
    n_art = len({(v.file, v.artifact) for v in report.verdicts})
    bad = sum(not v.holds and v.reason is None for v in report.verdicts)
    unk = sum(v.reason is not None for v in report.verdicts)
    out.append(f"{len(report.verdicts)} verdicts on {n_art} artifacts: "
               f"{len(report.verdicts) - bad - unk} hold, {bad} violated, {unk} unknown, "
               f"{len(report.findings)} findings")
    return "\n".join(out) + "\n"


def _fix_text(fix) -> str:
    return "; and ".join(t for _, _, t in fix)


def render_sarif(report: AuditReport, version: str) -> str:
    """SARIF 2.1.0: one rule per control, one result per finding (and one per error
    diagnostic), with the artifact's file, line and column."""
    rules: dict[str, dict] = {}
    results = []
    for f in report.findings:
        if f.control not in rules:
            rules[f.control] = {"id": f.control, "name": f.control,
                                "shortDescription": {"text": f.doc or f.control},
                                "defaultConfiguration": {"level": "error"}}
        msg = (f"{f.artifact}: {f.control} — {f.condition} ({f.field})" if f.statement else
               f"{f.artifact}: {f.control} — `{f.condition}` is false ({f.field})")
        if f.fix:
            msg += f"; fix: {f.fix}"
        results.append({"ruleId": f.control, "level": "error", "message": {"text": msg},
                        "locations": [_location(f.file, f.line, f.column)],
                        "properties": {"policy": f.policy, "artifact": f.artifact,
                                       "field": f.field}})
    for d in report.diagnostics:
        rid = d.code
        if rid not in rules:
            rules[rid] = {"id": rid, "name": rid, "shortDescription": {"text": d.message},
                          "defaultConfiguration": {"level": "error" if d.is_error else "warning"}}
        loc = [_location(d.span.file, d.span.line, d.span.column)] if d.span else []
        results.append({"ruleId": rid, "level": "error" if d.is_error else "warning",
                        "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
                        "locations": loc})
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "formalc", "version": version,
                                         "rules": list(rules.values())}},
                     "results": results}]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _location(file: str, line: int, column: int) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": file},
                                 "region": {"startLine": max(1, line),
                                            "startColumn": max(1, column)}}}
