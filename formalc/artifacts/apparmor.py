"""AppArmor profiles → their file rules, for the path analysis of :mod:`formalc.policy.paths`.

Only file rules are read: ``[audit] [deny] [owner] [file] PATH PERMS [-> TARGET],`` (and the
``PERMS PATH`` order apparmor.d(5) also allows). Permissions map onto the analysis's letters:
``r w a l k m`` as written, every execute mode (``ix px Px ux Ux cx Cx pix …``) to ``x``.
Capability, network, mount, signal, ptrace and other rules, ``#include`` lines and variables
are left out (a profile's ``@{VAR}`` paths would need the tunables; a rule using one is kept
out with a note, never guessed). Line numbers are those of the profile file.
"""
from __future__ import annotations

import re

from ..diagnostics import Diagnostic, Severity, Span
from . import Artifact

_RULE = re.compile(
    r"^\s*(?:priority=-?\d+\s+)?(?:audit\s+)?(?:(?P<deny>deny)\s+|allow\s+)?(?:owner\s+)?(?:file\s+)?"
    r"(?:(?P<path>(?:/|@\{)\S*)\s+(?P<perms>[rwaklmixpuPUCcI]+)|"
    r"(?P<perms2>[rwaklmixpuPUCcI]+)\s+(?P<path2>(?:/|@\{)\S*))"
    r"(?:\s*->\s*\S+)?\s*,\s*(?:#.*)?$")
_PROFILE = re.compile(r"^\s*(?:profile\s+(?P<name>\S+)|(?P<path>/\S+))[^{]*\{")


def looks_like_apparmor(text: str) -> bool:
    """A profile: `#include <tunables/…>`, or `profile NAME … {` / `/path … {` at a line start."""
    return "#include <tunables/" in text or "include <tunables/" in text or any(
        _PROFILE.match(line) for line in text.splitlines()[:200])


def load_apparmor(text: str, file: str) -> Artifact:
    """The profile's file rules as the analysis's rule text (one rule per original line)."""
    name = None
    out: list[str] = []
    diags: list[Diagnostic] = []
    rules = 0
    for n, line in enumerate(text.splitlines(), 1):
        if name is None:
            m = _PROFILE.match(line)
            if m:
                name = m.group("name") or m.group("path")
        m = _RULE.match(line.replace('"', ""))  # quoted paths: the quotes are not the path
        if not m:
            word = line.strip().split("#", 1)[0]
            if re.match(r"^(?:(?:audit|deny|allow|owner|file)\s+)*[\"@/]", word) and word.endswith(","):
                diags.append(Diagnostic(
                    "FC603", "a file rule formalc does not read is left out of the analysis",
                    Span(file, n, 1, n, len(line) + 1), severity=Severity.NOTE,
                    hint="the analysis reads `[deny|allow] [owner] PATH PERMS,` rules"))
            out.append("")
            continue
        path = m.group("path") or m.group("path2")
        perms = m.group("perms") or m.group("perms2")
        if "@{" in path:
            diags.append(Diagnostic(
                "FC603", f"rule with a variable (`{path}`) left out of the analysis",
                Span(file, n, line.index(path) + 1, n, line.index(path) + 1 + len(path)),
                severity=Severity.NOTE, hint="the analysis reads paths as written; "
                "write the rule with the variable's value to have it checked"))
            out.append("")
            continue
        letters = "".join(sorted(set(re.sub(r"[iupPUCcI]*x", "x", perms)) & set("rwalkmx"),
                                 key="rwaxmlk".index))
        out.append(f"{'deny' if m.group('deny') else 'allow'} {path.rstrip(',')} {letters}")
        rules += 1
    if rules == 0:
        diags.append(Diagnostic("FC607", "the AppArmor profile has no file rules to analyse",
                                Span.whole(file), severity=Severity.WARNING))
    value = {"name": name or file.rsplit("/", 1)[-1], "rules": "\n".join(out)}
    return Artifact("apparmor", file, value["name"], value, {(): Span.whole(file)}, {}, diags)
