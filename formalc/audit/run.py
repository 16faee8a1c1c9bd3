"""`formalc audit`: policies of a spec, evaluated on real configuration files.

Each artifact (a Kubernetes workload, an OCI `config.json`, a seccomp profile) is imported
(:mod:`formalc.artifacts`), turned into a value of the spec's record type (:mod:`.views`:
``Pod`` for workloads, ``OciConfig`` for OCI configs), and every selected policy — a unary
predicate over that type — is evaluated on it. A false policy is explained down to the
fields that made it false (:mod:`.explain`), each mapped back to its file, line and column,
and comes with its minimal fixes (:mod:`formalc.policy.mitigations`). A seccomp profile gets
the seccomp analysis (conflicts, shadowed and redundant entries, reachable dangerous calls).
"""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic, suggest
from ..model import nodes as m
from ..model.types import BOOL, RecordT
from .explain import why_false
from .report import AuditReport, Finding, Verdict
from .views import View, oci_view, pod_view

#: The record type each artifact kind is audited as.
TYPE_OF_KIND = {"pod": "Pod", "oci": "OciConfig"}


def policies_for(spec: m.Spec, type_name: str, chosen: list[str] | None,
                 every: bool = False) -> list[str]:
    """The unary predicates over ``type_name`` to evaluate: ``chosen`` ones; else those the
    spec marks ``@policy``; else the top-level ones (those no other such predicate uses), in
    declaration order."""
    preds = [d for d in spec.definitions.values()
             if len(d.params) == 1 and d.type == BOOL and isinstance(d.params[0][1], RecordT)
             and d.params[0][1].name == type_name]
    names = [d.name for d in preds]
    if every:
        return names
    if chosen:
        return [n for n in chosen if n in names]
    tagged = [d.name for d in preds if "policy" in d.annotations.tags]
    if tagged:  # the spec says which predicates are policies (`@policy`)
        return tagged
    used: set[str] = set()
    for d in preds:
        todo = [d.body]
        while todo:
            x = todo.pop()
            if isinstance(x, m.Apply) and x.name in names and x.name != d.name:
                used.add(x.name)
            todo.extend(m.children(x))
    return [n for n in names if n not in used]


def audit(files: list[str], spec, policies: list[str] | None = None,
          fixes: bool = True, timeout_ms: int = 1000) -> AuditReport:
    """Audit the artifacts in ``files`` against ``spec`` (one Spec, or a dict from artifact
    kind to Spec). ``policies``: the predicates to evaluate (default: the top-level ones over
    the artifact's type). ``fixes``: also compute minimal fixes (each solver call gets
    ``timeout_ms``; an undecided fix search leaves the fixes out, never the verdict)."""
    from ..artifacts.load import load_artifacts
    specs = spec if isinstance(spec, dict) else None
    report = AuditReport()
    reported: set = set()
    sources: dict[str, str] = {}
    for f in files:
        arts, diags = load_artifacts(f, sources)
        report.diagnostics.extend(diags)
        for a in arts:
            if a.file not in report.files:
                report.files.append(a.file)
            if any(d.is_error for d in a.diagnostics):
                continue
            if a.kind in ("seccomp", "apparmor"):
                try:
                    report.verdicts.extend(_seccomp(a) if a.kind == "seccomp" else [_apparmor(a)])
                except Exception as e:  # never a pass, never a traceback
                    policy = "SeccompConsistent" if a.kind == "seccomp" else "PathRulesConsistent"
                    report.verdicts.append(Verdict(a.file, a.name, policy, False,
                                                   reason=f"internal error: {type(e).__name__}: {e}"))
                continue
            type_name = TYPE_OF_KIND.get(a.kind)
            spec = specs.get(a.kind) if specs is not None else spec
            if type_name is None or spec is None or type_name not in spec.types:
                report.diagnostics.append(Diagnostic(
                    "FC608", f"the spec has no record type `{type_name}` to audit a "
                    f"{a.kind} artifact as, so it is not audited", a.span(()),
                    hint="audit against specs/pss.iot (pods) or specs/threats.iot (OCI configs), "
                         "or leave out --against to use both"))
                continue
            chosen = policies_for(spec, type_name, policies)
            try:
                view = pod_view(a.value) if a.kind == "pod" else oci_view(
                    a.value, _dangerous_calls(spec), _embedded_seccomp(a, sources.get(a.file, "")))
            except Exception as e:  # never a pass, never a traceback
                report.verdicts.extend(Verdict(a.file, a.name, p, False,
                                               reason=f"internal error: {type(e).__name__}: {e}")
                                       for p in chosen)
                continue
            missing = [p for p in policies or () if p not in
                       policies_for(spec, type_name, None, every=True)]
            if missing:
                key = (tuple(missing), type_name)
                if key not in reported:  # once per run, not once per artifact
                    reported.add(key)
                    known = policies_for(spec, type_name, None, every=True)
                    report.diagnostics.append(Diagnostic(
                        "FC201", f"no predicate {', '.join(f'`{p}`' for p in missing)} over "
                        f"`{type_name}` in the spec", None,
                        hint=suggest(missing[0], known) or
                        f"name a unary predicate of the spec over {type_name}"))
                continue
            first = len(report.verdicts)
            for p in chosen:
                try:
                    report.verdicts.append(_verdict(spec, a, view, p, fixes, timeout_ms))
                except Exception as e:  # never a pass, never a traceback
                    report.verdicts.append(Verdict(a.file, a.name, p, False,
                                                   reason=f"internal error: {type(e).__name__}: {e}"))
            if len(report.verdicts) > first:
                report.verdicts[first].notes.extend(_metrics(spec, type_name, view))
    report.sources = sources
    return report


def _verdict(spec, a, view: View, policy: str, fixes: bool, timeout_ms: int) -> Verdict:
    from ..machines.outcome import NotApplicable
    label = view.value.get("name", a.name)
    try:
        failure = why_false(spec, policy, view.value, (), view.members)
    except NotApplicable as e:
        return Verdict(a.file, label, policy, False, reason=str(e))
    except Exception as e:  # a bug in formalc is an unknown verdict, never a pass or a traceback
        return Verdict(a.file, label, policy, False,
                       reason=f"internal error: {type(e).__name__}: {e}")
    if failure is None:
        return Verdict(a.file, label, policy, True)
    findings = []
    seen = set()
    for atom, control, doc in _atoms(spec, failure):
        for path in atom.fields or [()]:
            src = view.source(path)
            span = a.span(src)
            # one finding per place in the file: a pod-level setting inherited by several
            # containers is one line to fix
            key = (control, atom.text, span.line if span else 0, span.column if span else 0)
            if key in seen:
                continue
            seen.add(key)
            where = _field_text(a, src, path, view)
            findings.append(Finding(
                a.file, span.line if span else 1, span.column if span else 1, label, policy,
                control, atom.text, where, tuple(atom.values),
                _fix_hint(atom, where, len(atom.fields) == 1, path[-1] if path else None), doc))
    v = Verdict(a.file, label, policy, False, findings)
    if fixes:
        v.fixes = []
        for fx in _fixes(spec, policy, view, timeout_ms):
            steps, seen_texts = [], set()
            for f, val in fx:
                step = _fix_step(a, view, f, val)
                if step[2] not in seen_texts:  # two view fields, one thing to do
                    seen_texts.add(step[2])
                    steps.append(step)
            if steps not in v.fixes:
                v.fixes.append(steps)
        necessary = getattr(view, "necessary", None)
        if necessary and v.fixes:
            v.notes.append("every configuration that satisfies it has: "
                           + ", ".join(f"`{x}`" for x in necessary))
        view.necessary = []
    return v


def _fix_step(a, view: View, name: str, value: str) -> tuple[str, str, str]:
    """(document field, new value, what to do) for one field of a minimal fix."""
    field = name.split(".")[-1]
    where = _fix_field(a, view, name)
    old = view.value.get(field)
    if isinstance(old, frozenset) and value.startswith("{"):
        new = {x.strip() for x in value.strip("{}").split(",") if x.strip()}
        gone, added = sorted(map(str, old - new)), sorted(new - set(map(str, old)))
        if field == "dangerousSyscallsAllowed":
            text = "block " + ", ".join(gone) + " in the seccomp profile"
        else:
            text = "; ".join(filter(None, [
                f"remove {', '.join(gone)} from {where}" if gone else "",
                f"add {', '.join(added)} to {where}" if added else ""]))
        return (where, value, text or f"{where} := {value}")
    if field == "uid" and value.lstrip("-").isdigit() and value != "0":
        return (where, value, f"run as a non-root user (`{where}` ≠ 0)")
    if value == "true" and field in DERIVED_FIX:
        return (where, value, DERIVED_FIX[field].format(where=where))
    if value == "true":
        return (where, value, f"set {where} to true")
    if value == "false":
        return (where, value, f"set {where} to false")
    return (where, value, f"{where} := {value}")


def _fix_field(a, view: View, name: str) -> str:
    """A fix's field (`c.memoryLimit`) as the document path it comes from."""
    path = tuple(name.split(".")[1:])
    src = view.source(path)
    return _field_text(a, src, path, view) if src else name


def _metrics(spec, type_name: str, view: View) -> list[str]:
    """The exact value of every metric of the spec over the artifact's type (the seed's
    IsolationLevel as a ratio, for example), as notes."""
    from ..machines.evaluate import evaluate
    from ..model.types import format_number
    out = []
    for d in spec.definitions.values():
        if len(d.params) == 1 and d.type.is_numeric and isinstance(d.params[0][1], RecordT) \
                and d.params[0][1].name == type_name:
            try:
                v = evaluate(d.body, {d.params[0][0]: view.value}, spec)
            except Exception:  # a metric is information; one that cannot be computed is left out
                continue
            out.append(f"{d.name} = {format_number(v) if not isinstance(v, int) else v}")
    return out


def _atoms(spec, failure, control=None, doc=None):
    """(atom, innermost named predicate, its doc) for every atom of a failure."""
    if failure.kind == "definition":
        control = failure.name
        d = spec.definitions.get(failure.name)
        doc = d.annotations.doc if d is not None else None
    if failure.kind == "atom":
        yield failure, control or "?", doc
    for p in failure.parts:
        yield from _atoms(spec, p, control, doc)


def _field_text(a, src: tuple, path: tuple, view: View | None = None) -> str:
    src = tuple(src)
    orig = a.origin.get(src) or (view.document.get(src) if view is not None else None) or src
    if orig:
        return ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in orig).replace(".[", "[")
    return ".".join(str(x) for x in path) or "(document)"


#: Fixes for fields a view derives from the document (not written there as such).
DERIVED_FIX = {
    "dropsAll": "add `ALL` to `{where}`",
    "hostPathVolumes": "replace the hostPath volume `{where}` (e.g. by a PersistentVolumeClaim)",
    "volumeTypesRestricted": "use only configMap, csi, downwardAPI, emptyDir, ephemeral, "
                             "persistentVolumeClaim, projected or secret volumes (`{where}`)",
    "unsafeSysctls": "remove the unsafe sysctl `{where}`",
    "hostPorts": "remove `hostPort` from `{where}`",
    "dangerousSyscallsAllowed": "install a seccomp profile that blocks these calls (`{where}`)",
    "dangerousHostMount": "remove the host bind mount `{where}`",
    "maskedProc": "mask /proc paths (`{where}`), as `runc spec` does",
    "memoryLimit": "set a memory limit (`{where}`)",
    "cpuLimit": "set a CPU quota (`{where}`)",
    "pidsLimit": "set a pids limit (`{where}`)",
    "hypervisor": "run the container in a VM (Kata, Firecracker: `{where}`)",
    "kvm": "run the container in a VM (Kata, Firecracker: `{where}`)",
    "userKernel": "run the container under a user-space kernel (gVisor's runsc: `{where}`)",
    "apparmor": "set an AppArmor profile (`{where}`)",
    "selinux": "set an SELinux label (`{where}`)",
    "userns": "add a user namespace (`{where}`)",
    "seccomp": "add a seccomp profile (`{where}`)",
    "privileged": "drop privileged mode (`{where}`)",
}


def _fix_hint(atom, where: str, single: bool, field: str | None = None) -> str | None:
    """How to make a false atom true, in the document's terms where the atom's form says."""
    if single and field in DERIVED_FIX:
        return DERIVED_FIX[field].format(where=where)
    e = atom.expr
    if single and isinstance(e, m.Not) and isinstance(e.operand, m.FieldGet):
        return f"set `{where}` to false (or remove it)"
    if single and isinstance(e, m.FieldGet) and e.type == BOOL:
        return f"set `{where}` to true"
    if single and isinstance(e, m.Member) and not e.negated and isinstance(e.set, m.SetLit) \
            and isinstance(e.elem, m.FieldGet):
        allowed = ", ".join(_doc_word(x) for x in e.set.elems)
        return f"set `{where}` to one of: {allowed}"
    if single and isinstance(e, m.Cmp) and isinstance(e.left, m.FieldGet) and \
            isinstance(e.right, m.Lit):
        return f"set `{where}` so that `{atom.text}`"
    return f"change `{where}` so that `{atom.text}` holds" if where != "(document)" else None


def _doc_word(x) -> str:
    """An enumeration member as the document writes it (`SeccompRuntimeDefault` → RuntimeDefault)."""
    name = getattr(x, "member", None) or str(x)
    for prefix in ("Seccomp", "AppArmor", "SELinux", "Proc"):
        if name.startswith(prefix) and name[len(prefix):][:1].isupper():
            return name[len(prefix):]
    return name


def _fixes(spec, policy: str, view: View, timeout_ms: int):
    """Minimal sets of fields to change, for a pod's containers flattened by the solver."""
    if any(isinstance(v, frozenset) and v and isinstance(next(iter(v)), dict)
           for v in view.value.values()):
        return []  # records nested in sets: fixes are given per finding instead
    try:
        from ..policy.mitigations import minimal_fixes
        r = minimal_fixes(spec, policy, dict(view.value), max_sets=5, timeout_ms=timeout_ms)
    except Exception:  # fixes are advice: their failure must not change the verdict
        return []
    view.necessary = list(getattr(r, "necessary", []))
    return [list(fx) for fx in getattr(r, "fixes", [])]


def _dangerous_calls(spec) -> tuple[str, ...]:
    t = spec.types.get("DangerousCall")
    return tuple(getattr(t.type, "members", ())) if t is not None else ()


def _embedded_seccomp(a, text: str):
    """The `linux.seccomp` section of an OCI config as a seccomp profile artifact, or None."""
    import json
    if a.value.get("seccomp") is None:
        return None
    try:
        raw = json.loads(text)["linux"]["seccomp"]
    except (ValueError, KeyError, TypeError):
        return None
    from ..artifacts.seccomp import load_seccomp
    art = load_seccomp(json.dumps(raw), file=a.file)
    return None if any(d.is_error for d in art.diagnostics) else art


def _seccomp(a) -> list[Verdict]:
    """A seccomp profile: its consistency is the verdict (conflicting, redundant and shadowed
    entries, the same-argument OR pitfall); when each dangerous call gets through is reported
    as notes (a profile may rightly allow `ptrace` to a container holding CAP_SYS_PTRACE)."""
    from ..artifacts.seccomp import profile_of
    from ..policy.seccomp import analyse
    rep = analyse(profile_of(a))
    findings = []
    for kind, items in (("SeccompConflict", rep.conflicts), ("SeccompRedundant", rep.redundant),
                        ("SeccompShadowed", rep.shadowed), ("SeccompSameArgumentOr", rep.pitfalls)):
        for x in items:
            line = getattr(x, "first_line", None) or getattr(x, "line", None) or 1
            index = getattr(x, "first", None) if kind == "SeccompConflict" else getattr(x, "index", None)
            findings.append(Finding(a.file, line, 1, a.name, "SeccompConsistent", kind, str(x),
                                    f"syscalls[{index}]" if index is not None else "syscalls",
                                    statement=True))
    notes = [(f"{r.syscall}: undecided ({r.reason})" if r.status == "unknown" else str(r))
             + (f" (line {next(x for x in r.lines if x)})" if any(r.lines) else "")
             for r in rep.reachability if r.status != "never"]
    never = sorted(r.syscall for r in rep.reachability if r.status == "never")
    if never:
        notes.append("never allowed: " + ", ".join(never))
    unknown = "; ".join(rep.unknown) or None
    return [Verdict(a.file, a.name, "SeccompConsistent", not findings and unknown is None,
                    findings, reason=unknown if not findings else None, notes=notes)]


#: Questions every AppArmor profile is asked (path glob, permission, what a "yes" means).
SENSITIVE = (("/proc/sys/**", "w", "kernel parameters are writable"),
             ("/sys/**", "w", "sysfs is writable"),
             ("/proc/sysrq-trigger", "w", "the sysrq trigger is writable"),
             ("/etc/shadow", "r", "password hashes are readable"),
             ("/var/run/docker.sock", "w", "the Docker socket is writable"),
             ("/run/containerd/containerd.sock", "w", "the containerd socket is writable"))


def _apparmor(a) -> Verdict:
    """An AppArmor profile's file rules: rules that can never decide anything are findings;
    allow/deny overlaps (deny wins) and access to sensitive host paths are notes."""
    from ..policy.paths import Policy, Unknown, conflicts, exists_access, parse_rules, shadowed
    diags, rules = parse_rules(a.value["rules"], a.file)
    if any(d.is_error for d in diags):  # rules that could not be read: undecided, never a pass
        return Verdict(a.file, a.name, "PathRulesConsistent", False,
                       reason="; ".join(f"line {d.span.line if d.span else '?'}: {d.message}"
                                        for d in diags if d.is_error))
    if not rules:
        return Verdict(a.file, a.name, "PathRulesConsistent", True,
                       notes=["the profile has no file rules: nothing to analyse"])
    policy = Policy(rules)
    findings = []
    notes = []
    try:
        shadows = shadowed(policy)
        dead = {(sh.rule, sh.perm) for sh in shadows}
        for c in conflicts(policy):
            # a broad allow with a narrower deny is the usual idiom: a note, unless the allow
            # rule is left with nothing to grant (then it is a shadowed rule, a finding)
            if (c.allow, c.perm) not in dead:
                r, d = rules[c.allow], rules[c.deny]
                notes.append(f"`{r}` (line {r.line}) and `{d}` (line {d.line}) both match "
                             f"{c.witness} for `{c.perm}`: the deny rule wins there")
        for sh in shadows:
            r = rules[sh.rule]
            by = ", ".join(f"line {rules[i].line}" for i in sh.by)
            findings.append(Finding(a.file, r.line or 1, 1, a.name, "PathRulesConsistent",
                                    "PathRuleShadowed", f"`{r}` can never decide `{sh.perm}`: "
                                    f"every path it matches is decided by {by}", r.glob,
                                    statement=True, fix="remove the rule, or the ones covering it"))
        for glob, perm, what in SENSITIVE:
            e = exists_access(policy, glob, perm)
            if e.verdict == "yes":
                notes.append(f"{what}: `{e.witness}` gets `{perm}`")
            elif e.verdict == "unknown":
                notes.append(f"whether {glob} gets `{perm}` was not decided ({e.reason})")
    except Unknown as e:
        return Verdict(a.file, a.name, "PathRulesConsistent", False, reason=str(e))
    return Verdict(a.file, a.name, "PathRulesConsistent", not findings, findings, notes=notes)


def audit_paths(files: list[str], spec_path: str | None = None, policies=None,
                fixes=True) -> AuditReport:
    """:func:`audit` with the spec loaded from ``spec_path`` — a file, or the name of a bundled
    spec (``pss``, ``threats``); by default pods are audited against the bundled Pod Security
    Standards and OCI configs against the bundled threat model. Spec errors raise SpecError."""
    from ..api import load
    if spec_path is None:
        return audit(files, {"pod": load(bundled_spec("pss")), "oci": load(bundled_spec("threats"))},
                     policies, fixes)
    path = Path(spec_path)
    if not path.exists() and bundled_spec(spec_path) is not None:
        path = bundled_spec(spec_path)
    return audit(files, load(path), policies, fixes)


def bundled_spec(name: str) -> Path | None:
    from ..model.loader import bundled_dir
    d = bundled_dir()
    p = d / f"{name.removesuffix('.iot')}.iot" if d is not None else None
    return p if p is not None and p.exists() else None
