"""Docker/moby and OCI seccomp profiles: JSON with positions -> a checked, typed profile.

>>> art = load_seccomp('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": ['
...                    '{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}', file="p.json")
>>> art.diagnostics, art.value["syscalls"][0]["names"]
([], ['read'])
>>> str(art.span(("syscalls", 0, "action")))
'p.json:1:80'
>>> profile_of(art).rules[0].action
'SCMP_ACT_ALLOW'

``Artifact.value`` (kind "seccomp") has this shape; every list is in file order::

    {"defaultAction": str, "defaultErrnoRet": int | None, "architectures": [str],
     "archMap": [{"architecture": str, "subArchitectures": [str]}],
     "syscalls": [{"index": int,            # position in the original "syscalls" list
                   "names": [str], "action": str, "errnoRet": int | None,
                   "args": [{"index": int, "value": int, "valueTwo": int, "op": str}],
                   "includes": {"caps": [str], "arches": [str], "minKernel": str | None},
                   "excludes": {"caps": [str], "arches": [str], "minKernel": str | None},
                   "comment": str}]}

A syscall entry with an error (unknown action, malformed args, ...) is reported and left out of
``value``; ``index`` keeps the original position so findings still point at the right line.
Never raises on bad input: every problem is a diagnostic (FC601-FC609).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic, Severity, Span, suggest
from ..policy.syscalls import (
    ACTIONS,
    ALL_SYSCALLS,
    ARCH_ALIASES,
    ARCHES,
    CAPABILITIES,
    OPERATORS,
    SCMP_ARCHES,
)
from . import Artifact
from .positions import parse_json

__all__ = [
    "ArgCond",
    "EnvFilter",
    "Rule",
    "SeccompProfile",
    "kernel_version",
    "load_seccomp",
    "profile_of",
]

_U64 = (1 << 64) - 1


# --------------------------------------------------------------------------- typed profile

def kernel_version(text: str) -> tuple[int, ...] | None:
    """``"4.8"`` -> ``(4, 8, 0)``; None when the text is not a kernel version."""
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def _verdict(action: str, errno: int | None) -> tuple[str, int | None]:
    """The action as installed: runc gives ERRNO without ``errnoRet`` EPERM (1) and TRACE 0;
    the number means nothing to the other actions."""
    if action == "SCMP_ACT_ERRNO":
        return (action, 1 if errno is None else errno)
    if action == "SCMP_ACT_TRACE":
        return (action, 0 if errno is None else errno)
    return (action, None)


@dataclass(frozen=True, slots=True)
class ArgCond:
    """One argument comparison: ``args[index] <op> value`` (for MASKED_EQ:
    ``args[index] & value == value_two``), unsigned 64-bit as libseccomp compares."""
    index: int
    value: int
    value_two: int
    op: str


@dataclass(frozen=True, slots=True)
class EnvFilter:
    """``includes`` / ``excludes`` of a moby profile entry (empty = no constraint)."""
    caps: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()
    min_kernel: tuple[int, ...] | None = None

    @property
    def empty(self) -> bool:
        return not self.caps and not self.arches and self.min_kernel is None


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of ``syscalls``. ``index`` is its position in the file; ``span`` its object."""
    index: int
    names: tuple[str, ...]
    action: str
    errno: int | None
    args: tuple[ArgCond, ...]
    includes: EnvFilter
    excludes: EnvFilter
    span: Span | None

    @property
    def verdict(self) -> tuple[str, int | None]:
        """The action as it is installed: the errno only matters for SCMP_ACT_ERRNO/TRACE."""
        return _verdict(self.action, self.errno)

    @property
    def alternatives(self) -> tuple[tuple[ArgCond, ...], ...]:
        """The argument conditions as runc installs them: one libseccomp rule whose
        comparisons are AND-ed — unless two comparisons name the same argument, in which case
        runc adds *every* comparison as a rule of its own, so they are OR-ed (runc
        ``libcontainer/seccomp/seccomp_linux.go`` "Revert to old behavior", opencontainers/
        runc#1616 and #2735; crun and youki do the same). A rule without args is one empty
        alternative (always matches)."""
        indices = [a.index for a in self.args]
        if len(set(indices)) < len(indices):
            return tuple((a,) for a in self.args)
        return (self.args,)


@dataclass(frozen=True, slots=True)
class SeccompProfile:
    """A seccomp profile, checked and typed; the input of :mod:`formalc.policy.seccomp`."""
    file: str
    default_action: str
    default_errno: int | None
    architectures: tuple[str, ...]
    arch_map: tuple[tuple[str, tuple[str, ...]], ...]
    rules: tuple[Rule, ...]
    span: Span | None = None

    @property
    def default_verdict(self) -> tuple[str, int | None]:
        return _verdict(self.default_action, self.default_errno)


def profile_of(artifact: Artifact) -> SeccompProfile:
    """The typed profile of a "seccomp" artifact (entries with errors are already left out)."""
    v = artifact.value
    rules = []
    for k, r in enumerate(v.get("syscalls", [])):
        def env(d):
            mk = d.get("minKernel")
            return EnvFilter(tuple(d.get("caps", ())), tuple(d.get("arches", ())),
                             kernel_version(mk) if mk else None)
        rules.append(Rule(r["index"], tuple(r["names"]), r["action"], r.get("errnoRet"),
                          tuple(ArgCond(a["index"], a["value"], a["valueTwo"], a["op"])
                                for a in r.get("args", [])),
                          env(r.get("includes", {})), env(r.get("excludes", {})),
                          artifact.span(("syscalls", r["index"]))))
    arch_map = tuple((m["architecture"], tuple(m["subArchitectures"]))
                     for m in v.get("archMap", []))
    default_errno = v.get("defaultErrnoRet")
    return SeccompProfile(artifact.file, v.get("defaultAction", "SCMP_ACT_ALLOW"), default_errno,
                          tuple(v.get("architectures", [])), arch_map, tuple(rules),
                          artifact.span(()))


# --------------------------------------------------------------------------- the importer

_TOP = {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags",
        "listenerPath", "listenerMetadata"}
_ENTRY = {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"}
_ARG = {"index", "value", "valueTwo", "op"}
_FILTER = {"caps", "arches", "minKernel"}


def load_seccomp(path_or_text: str | Path, file: str | None = None) -> Artifact:
    """Read a seccomp profile from a path, or from JSON text (then ``file`` names it).

    Returns an :class:`Artifact` of kind "seccomp"; its ``diagnostics`` say what is wrong.
    """
    if isinstance(path_or_text, Path) or (file is None and not str(path_or_text).lstrip()
                                          .startswith(("{", "["))):
        p = Path(path_or_text)
        name = file or str(p)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _fail(name, Diagnostic("FC001", f"no such file: {p}", Span.whole(name)))
        except UnicodeDecodeError:
            return _fail(name, Diagnostic("FC002", f"{p} is not valid UTF-8", Span.whole(name)))
        except OSError as e:
            return _fail(name, Diagnostic("FC001", f"cannot read {p}: {e.strerror}",
                                          Span.whole(name)))
    else:
        text, name = str(path_or_text), file or "<profile>"
    return _Importer(name, text).run()


def _fail(name: str, d: Diagnostic) -> Artifact:
    return Artifact("seccomp", name, Path(name).name, {}, {}, {}, [d])


class _Importer:
    def __init__(self, file: str, text: str):
        self.file, self.text = file, text
        self.diags: list[Diagnostic] = []
        self.positions: dict = {}

    # -- helpers
    def span(self, path: tuple) -> Span:
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path) or Span.whole(self.file)

    def error(self, code, msg, path, hint=None, severity=Severity.ERROR):
        self.diags.append(Diagnostic(code, msg, self.span(path), hint=hint, severity=severity))

    def typed(self, value, kind, path, what) -> bool:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            names = {str: "a string", int: "an integer", list: "a list", dict: "an object"}
            self.error("FC602", f"{what} must be {names.get(kind, kind.__name__)}, "
                       f"not {_json_type(value)}", path)
        return ok

    def unknown_fields(self, obj: dict, known: set, path: tuple, where: str):
        for k in obj:
            if k not in known:
                self.error("FC603", f"unknown field `{k}` in {where} (it is not checked)",
                           path + (k,), hint=suggest(k, known), severity=Severity.WARNING)

    def str_list(self, value, path, what) -> list[str] | None:
        if value is None:
            return []
        if not self.typed(value, list, path, what):
            return None
        out = []
        for i, x in enumerate(value):
            if self.typed(x, str, path + (i,), f"each of {what}"):
                out.append(x)
        return out

    # -- the document
    def run(self) -> Artifact:
        docs, diags = parse_json(self.text, self.file)  # the artifacts' shared JSON reader
        errors = [d for d in diags if d.is_error]
        if errors or not docs:
            return _fail(self.file, errors[0] if errors else Diagnostic(
                "FC601", "invalid JSON: the file is empty", Span.whole(self.file)))
        self.diags.extend(diags)  # warnings, e.g. duplicate keys
        doc = docs[0].value
        self.positions = dict(docs[0].positions)
        value: dict = {}
        art = Artifact("seccomp", self.file, Path(self.file).name, value, self.positions, {},
                       self.diags)
        if not isinstance(doc, dict):
            self.error("FC602", f"a seccomp profile must be a JSON object, not {_json_type(doc)}",
                       ())
            return art
        self.unknown_fields(doc, _TOP, (), "the profile")
        if "defaultAction" not in doc:
            self.error("FC607", "the profile has no `defaultAction`", (),
                       hint='add "defaultAction": "SCMP_ACT_ERRNO"')
            value["defaultAction"] = "SCMP_ACT_ALLOW"  # what runtimes do without a filter
        else:
            value["defaultAction"] = self.action(doc["defaultAction"], ("defaultAction",)) \
                or "SCMP_ACT_ALLOW"
        value["defaultErrnoRet"] = self.errno(doc.get("defaultErrnoRet"), ("defaultErrnoRet",))
        value["architectures"] = [a for a in self.str_list(
            doc.get("architectures"), ("architectures",), "`architectures`") or []
            if self.scmp_arch(a, ("architectures",))]
        value["archMap"] = self.arch_map(doc.get("archMap"))
        value["syscalls"] = []
        calls = doc.get("syscalls", [])
        if self.typed(calls, list, ("syscalls",), "`syscalls`"):
            for i, entry in enumerate(calls):
                rule = self.entry(entry, ("syscalls", i), i)
                if rule is not None:
                    value["syscalls"].append(rule)
        for k, r in enumerate(value["syscalls"]):
            if k != r["index"]:
                art.origin[("syscalls", k)] = ("syscalls", r["index"])
        return art

    def action(self, a, path) -> str | None:
        if not self.typed(a, str, path, "an action"):
            return None
        if a not in ACTIONS:
            self.error("FC609", f"unknown seccomp action `{a}`", path,
                       hint=suggest(a, ACTIONS) or "one of " + ", ".join(sorted(ACTIONS)))
            return None
        return a

    def errno(self, e, path) -> int | None:
        if e is None:
            return None
        if not self.typed(e, int, path, "an errno value"):
            return None
        if not 0 <= e <= 0xFFFF:
            self.error("FC609", f"errno {e} is outside 0..65535", path)
            return None
        return e

    def scmp_arch(self, a, path) -> bool:
        if a in SCMP_ARCHES:
            return True
        self.error("FC605", f"unknown seccomp architecture `{a}`", path,
                   hint=suggest(a, SCMP_ARCHES))
        return False

    def arch_map(self, m) -> list:
        out = []
        if m is None or not self.typed(m, list, ("archMap",), "`archMap`"):
            return out
        for i, item in enumerate(m):
            p = ("archMap", i)
            if not self.typed(item, dict, p, "an `archMap` entry"):
                continue
            self.unknown_fields(item, {"architecture", "subArchitectures"}, p, "an archMap entry")
            arch = item.get("architecture")
            if arch is None:
                self.error("FC607", "an `archMap` entry has no `architecture`", p)
                continue
            if not self.typed(arch, str, p + ("architecture",), "`architecture`") or \
                    not self.scmp_arch(arch, p + ("architecture",)):
                continue
            subs = self.str_list(item.get("subArchitectures"), p + ("subArchitectures",),
                                 "`subArchitectures`") or []
            subs = [s for j, s in enumerate(subs)
                    if self.scmp_arch(s, p + ("subArchitectures", j))]
            out.append({"architecture": arch, "subArchitectures": subs})
        return out

    def entry(self, e, p, i) -> dict | None:
        if not self.typed(e, dict, p, "a `syscalls` entry"):
            return None
        self.unknown_fields(e, _ENTRY, p, "a syscalls entry")
        ok = True
        if "names" in e:
            names = self.str_list(e["names"], p + ("names",), "`names`")
            ok &= names is not None
            names = names or []
            npath = p + ("names",)
        elif "name" in e and self.typed(e["name"], str, p + ("name",), "`name`"):
            names, npath = [e["name"]], p + ("name",)
        else:
            self.error("FC607", "a syscalls entry has no `names`", p)
            return None
        for j, n in enumerate(names):
            if n not in ALL_SYSCALLS:
                self.error("FC604", f"`{n}` is not a Linux system call on any architecture",
                           npath + (j,) if "names" in e else npath,
                           hint=suggest(n, ALL_SYSCALLS))
        names = [n for n in names if n in ALL_SYSCALLS]
        if "action" not in e:
            self.error("FC607", "a syscalls entry has no `action`", p)
            return None
        action = self.action(e["action"], p + ("action",))
        errno = self.errno(e.get("errnoRet"), p + ("errnoRet",))
        args = []
        raw_args = e.get("args") or []
        if self.typed(raw_args, list, p + ("args",), "`args`"):
            for j, a in enumerate(raw_args):
                cond = self.arg(a, p + ("args", j))
                ok &= cond is not None
                if cond is not None:
                    args.append(cond)
        else:
            ok = False
        inc = self.env_filter(e.get("includes"), p + ("includes",))
        exc = self.env_filter(e.get("excludes"), p + ("excludes",))
        if action is None or inc is None or exc is None or not ok:
            return None
        comment = e.get("comment")
        return {"index": i, "names": names, "action": action, "errnoRet": errno, "args": args,
                "includes": inc, "excludes": exc,
                "comment": comment if isinstance(comment, str) else ""}

    def arg(self, a, p) -> dict | None:
        if not self.typed(a, dict, p, "an argument condition"):
            return None
        self.unknown_fields(a, _ARG, p, "an argument condition")
        for req in ("index", "value", "op"):
            if req not in a:
                self.error("FC607", f"an argument condition has no `{req}`", p)
                return None
        ok = True
        index, value, two, op = a["index"], a["value"], a.get("valueTwo", 0), a["op"]
        if self.typed(index, int, p + ("index",), "`index`") and not 0 <= index <= 5:
            self.error("FC609", f"argument index {index} is outside 0..5", p + ("index",))
            ok = False
        for key, x in (("value", value), ("valueTwo", two)):
            if not self.typed(x, int, p + (key,), f"`{key}`"):
                ok = False
            elif not 0 <= x <= _U64:
                self.error("FC609", f"`{key}` {x} does not fit an unsigned 64-bit argument",
                           p + (key,))
                ok = False
        if self.typed(op, str, p + ("op",), "`op`") and op not in OPERATORS:
            self.error("FC609", f"unknown comparison operator `{op}`", p + ("op",),
                       hint=suggest(op, OPERATORS) or "one of " + ", ".join(sorted(OPERATORS)))
            ok = False
        if not ok or not isinstance(index, int) or not isinstance(op, str):
            return None
        return {"index": index, "value": value, "valueTwo": two, "op": op}

    def env_filter(self, f, p) -> dict | None:
        if f is None:
            return {"caps": [], "arches": [], "minKernel": None}
        if not self.typed(f, dict, p, f"`{p[-1]}`"):
            return None
        self.unknown_fields(f, _FILTER, p, f"`{p[-1]}`")
        caps = self.str_list(f.get("caps"), p + ("caps",), "`caps`")
        arches = self.str_list(f.get("arches"), p + ("arches",), "`arches`")
        if caps is None or arches is None:
            return None
        for j, c in enumerate(caps):
            if c not in CAPABILITIES:
                self.error("FC606", f"unknown capability `{c}`", p + ("caps", j),
                           hint=suggest(c, CAPABILITIES))
        out_arches = []
        for j, a in enumerate(arches):
            canon = ARCH_ALIASES.get(a, a)
            if canon not in ARCHES:
                self.error("FC605", f"unknown architecture `{a}`", p + ("arches", j),
                           hint=suggest(a, list(ARCHES) + list(ARCH_ALIASES)))
            else:
                out_arches.append(canon)
        mk = f.get("minKernel")
        if mk is not None:
            if not self.typed(mk, str, p + ("minKernel",), "`minKernel`"):
                return None
            if kernel_version(mk) is None:
                self.error("FC609", f"`minKernel` {mk!r} is not a kernel version like \"4.8\"",
                           p + ("minKernel",))
                return None
        return {"caps": [c for c in caps if c in CAPABILITIES], "arches": out_arches,
                "minKernel": mk}


def _json_type(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer",
            float: "a number"}.get(type(v), type(v).__name__)
