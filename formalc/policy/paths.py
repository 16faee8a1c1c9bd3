"""Path rules with globs (AppArmor style), decided with Z3 regular expressions.

A policy is a list of ``allow|deny GLOB PERMS`` rules. Globs compile to Z3 regular expressions
over strings, so every question about a policy — may this path be read, do two rules overlap,
can a rule ever decide anything, is anything under ``/proc`` writable — is one solver query,
answered with a witness path where there is one and with an ``unsat`` proof where there is not.

Semantics (AppArmor, the default ``mode="apparmor"``):

* rule order does not matter; a permission is granted on a path when some allow rule matching
  the path grants it and no deny rule matching the path denies it ("deny has priority: add up
  all the allow rules in one set and all the deny rules in another and subtract the deny set",
  J. Johansen on the AppArmor list, 2020; apparmor.d(5): "the order of rules within a given
  section or block does not matter"); what no rule allows is refused (profiles are whitelists).
* globs as apparmor_parser compiles them (``parser/parser_regex.c`` and its unit tests):
  ``?`` is one character other than ``/``; ``*`` any run of characters without ``/``, ``**``
  any run of characters; a ``*`` or ``**`` that is a whole path component (after ``/`` and
  before ``/`` or the end) must match at least one character, and ``/**`` does not start with
  another ``/`` (so ``/tmp/*`` and ``/tmp/**`` do not match ``/tmp/`` itself); ``[abc]``,
  ``[a-c]``, ``[^a]`` classes (a negated class may match ``/``); ``{a,b}`` alternation, nested,
  with at least two alternatives; ``\\`` escapes the next character. Paths never hold NUL.

``mode="first-match"`` is for other policy styles: the first rule (in file order) that matches
the path and names the permission decides; no such rule refuses.

>>> p = parse_policy("deny /proc/* r\\nallow /proc/self/status r")
>>> access(p, "/proc/self/status", "r").allowed       # `*` stays within one component
True
>>> p = parse_policy("deny /proc/** r\\nallow /proc/self/status r")
>>> access(p, "/proc/self/status", "r").allowed       # deny wins, whatever the order
False
"""
from __future__ import annotations

from dataclasses import dataclass, field

import z3

from ..diagnostics import Diagnostic, Span

#: File permissions a rule may name (apparmor.d(5)): read, write, append, exec, mmap-exec,
#: link, lock.
PERMS = "rwaxmlk"
MODES = ("apparmor", "first-match")
DEFAULT_TIMEOUT_MS = 5000


class GlobError(ValueError):
    """A glob that does not compile; ``column`` is 1-based within the glob."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class PathRule:
    """``action`` is "allow" or "deny"; ``perms`` a string of :data:`PERMS` letters."""
    action: str
    glob: str
    perms: str
    line: int = 0
    span: Span | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.action} {self.glob} {self.perms}"


@dataclass(frozen=True)
class Access:
    """The answer to ``access``: ``allowed`` and the rules that matched the path (indices)."""
    path: str
    perm: str
    allowed: bool
    allowed_by: tuple[int, ...]
    denied_by: tuple[int, ...]


@dataclass(frozen=True)
class Overlap:
    """Two rules (indices) and a path both match, or ``witness`` None when no path does."""
    first: int
    second: int
    witness: str | None


@dataclass(frozen=True)
class Shadowed:
    """Rule ``rule`` can never decide ``perm``: every path it matches is decided by ``by``."""
    rule: int
    perm: str
    by: tuple[int, ...]


@dataclass(frozen=True)
class Conflict:
    """An allow and a deny rule that both match ``witness`` for ``perm``."""
    allow: int
    deny: int
    perm: str
    witness: str


@dataclass(frozen=True)
class Exists:
    """Whether some path matching ``glob`` gets ``perm``; a witness path when so.
    ``verdict`` is "yes", "no" or "unknown" (then ``reason`` says why)."""
    glob: str
    perm: str
    verdict: str
    witness: str | None = None
    reason: str | None = None


class Unknown(Exception):
    """The solver gave no answer (timeout); the message says why."""


# ------------------------------------------------------------------------------ parsing
def parse_rules(text: str, file: str = "<rules>") -> tuple[list[Diagnostic], list[PathRule]]:
    """Parse one rule a line, ``allow|deny GLOB PERMS``; ``#`` starts a comment, a trailing
    ``,`` (AppArmor's rule terminator) is allowed. Returns (diagnostics, rules): FC601 for a line
    that is not a rule or a glob that does not compile, FC609 for a permission outside
    :data:`PERMS`."""
    diags: list[Diagnostic] = []
    rules: list[PathRule] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.endswith(","):
            line = line[:-1].rstrip()
        words, cols = _words(line)
        start = cols[0] if cols else 1
        whole = Span(file, n, start, n, len(line) + 1)
        if len(words) != 3 or words[0] not in ("allow", "deny"):
            diags.append(Diagnostic("FC601", "not a path rule: expected `allow|deny GLOB PERMS`",
                                    whole, hint="for example `deny /proc/sys/** w`"))
            continue
        action, glob, perms = words
        gcol, pcol = cols[1], cols[2]
        if not glob.startswith("/"):
            diags.append(Diagnostic("FC601", f"the glob `{glob}` is not an absolute path",
                                    Span(file, n, gcol, n, gcol + len(glob)),
                                    hint="paths in rules start with `/`"))
            continue
        try:
            _Glob(glob, z3.Context()).compile()
        except GlobError as e:
            col = gcol + e.column - 1
            diags.append(Diagnostic("FC601", f"bad glob `{glob}`: {e}", Span(file, n, col, n, col + 1)))
            continue
        bad = [(i, ch) for i, ch in enumerate(perms) if ch not in PERMS]
        if bad or len(set(perms)) != len(perms):
            i, ch = bad[0] if bad else (next(i for i, c in enumerate(perms) if perms.index(c) != i),
                                         None)
            what = f"`{ch}` is not a file permission" if ch else "a permission is named twice"
            diags.append(Diagnostic("FC609", f"{what} in `{perms}`",
                                    Span(file, n, pcol + i, n, pcol + i + 1),
                                    hint=f"permissions are letters of `{PERMS}` "
                                         "(read, write, append, exec, mmap, link, lock)"))
            continue
        rules.append(PathRule(action, glob, perms, n, Span(file, n, start, n, len(line) + 1)))
    return diags, rules


def _words(line: str) -> tuple[list[str], list[int]]:
    words, cols = [], []
    i = 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        j = i
        while j < len(line) and not line[j].isspace():
            j += 1
        words.append(line[i:j])
        cols.append(i + 1)
        i = j
    return words, cols


def parse_policy(text: str, mode: str = "apparmor", file: str = "<rules>") -> Policy:
    """Parse ``text`` into a :class:`Policy`; raises :class:`formalc.SpecError` on errors."""
    from ..diagnostics import SpecError
    diags, rules = parse_rules(text, file)
    if any(d.is_error for d in diags):
        raise SpecError(diags, {file: text})
    return Policy(rules, mode)


# ------------------------------------------------------------------------------ globs
class _Glob:
    """A recursive-descent compiler of one glob to a Z3 regular expression."""

    def __init__(self, text: str, ctx: z3.Context):
        self.s, self.i, self.ctx = text, 0, ctx
        rs = z3.ReSort(z3.StringSort(ctx))
        nul = z3.Re(z3.StringVal("\x00", ctx))
        self.any = z3.Intersect(z3.AllChar(rs), z3.Complement(nul))
        self.noslash = z3.Intersect(self.any, z3.Complement(self.lit("/")))

    def lit(self, ch: str):
        return z3.Re(z3.StringVal(ch, self.ctx))

    def compile(self):
        r = self.seq(top=True)
        if self.i < len(self.s):
            raise GlobError(f"unbalanced `{self.s[self.i]}`", self.i + 1)
        return r

    def seq(self, top: bool):
        parts = []
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in ",}" and not top:
                break  # the end of one alternative of an enclosing `{…}`
            if c == "}":
                raise GlobError("`}` without `{`", self.i + 1)
            if c == "*":
                star2 = s.startswith("**", self.i)
                before = s[self.i - 1] if self.i else ""
                self.i += 2 if star2 else 1
                after = s[self.i] if self.i < len(s) else ""
                whole = before == "/" and after in ("", "/")
                if star2:
                    parts.append(z3.Concat(self.noslash, z3.Star(self.any)) if whole
                                 else z3.Star(self.any))
                else:
                    parts.append(z3.Concat(self.noslash, z3.Star(self.noslash)) if whole
                                 else z3.Star(self.noslash))
            elif c == "?":
                self.i += 1
                parts.append(self.noslash)
            elif c == "[":
                parts.append(self.cls())
            elif c == "{":
                parts.append(self.alt())
            elif c == "]":
                raise GlobError("`]` without `[`", self.i + 1)
            elif c == "\\":
                if self.i + 1 >= len(s):
                    raise GlobError("`\\` at the end of the glob", self.i + 1)
                parts.append(self.lit(s[self.i + 1]))
                self.i += 2
            else:
                parts.append(self.lit(c))
                self.i += 1
        if not parts:
            return z3.Re(z3.StringVal("", self.ctx))
        return parts[0] if len(parts) == 1 else z3.Concat(*parts)

    def alt(self):
        start = self.i
        self.i += 1
        options = [self.seq(top=False)]
        while self.i < len(self.s) and self.s[self.i] == ",":
            self.i += 1
            options.append(self.seq(top=False))
        if self.i >= len(self.s) or self.s[self.i] != "}":
            raise GlobError("`{` without `}`", start + 1)
        self.i += 1
        if len(options) < 2:
            raise GlobError("an alternation `{…}` needs at least two alternatives", start + 1)
        return z3.Union(*options)

    def cls(self):
        start = self.i
        self.i += 1
        s = self.s
        negated = self.i < len(s) and s[self.i] == "^"
        if negated:
            self.i += 1
        items = []
        while self.i < len(s) and s[self.i] != "]":
            c = s[self.i]
            if c == "\\" and self.i + 1 < len(s):
                c = s[self.i + 1]
                self.i += 1
            if self.i + 2 < len(s) and s[self.i + 1] == "-" and s[self.i + 2] != "]":
                hi = s[self.i + 2]
                if hi < c:
                    raise GlobError(f"empty range `{c}-{hi}`", self.i + 1)
                items.append(z3.Range(c, hi, ctx=self.ctx))
                self.i += 3
            else:
                items.append(self.lit(c))
                self.i += 1
        if self.i >= len(s) or not items:
            raise GlobError("`[` without `]`" if self.i >= len(s) else "an empty class `[]`",
                            start + 1)
        self.i += 1
        u = items[0] if len(items) == 1 else z3.Union(*items)
        return z3.Intersect(self.any, z3.Complement(u)) if negated else u


def compile_glob(glob: str, ctx: z3.Context | None = None):
    """The Z3 regular expression of ``glob`` (raises :class:`GlobError`)."""
    return _Glob(glob, ctx or z3.main_ctx()).compile()


# ------------------------------------------------------------------------------ policies
class Policy:
    """A list of rules with their semantics (``mode``: "apparmor" or "first-match"); every
    glob is compiled once, in the policy's own Z3 context."""

    def __init__(self, rules, mode: str = "apparmor", timeout_ms: int = DEFAULT_TIMEOUT_MS):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.rules: tuple[PathRule, ...] = tuple(rules)
        self.mode, self.timeout_ms = mode, timeout_ms
        self.ctx = z3.Context()
        self.res = [compile_glob(r.glob, self.ctx) for r in self.rules]
        c = self.ctx
        rs = z3.ReSort(z3.StringSort(c))
        readable = z3.Union(z3.Range("a", "z", ctx=c), z3.Range("A", "Z", ctx=c),
                            z3.Range("0", "9", ctx=c),
                            *[z3.Re(z3.StringVal(ch, c)) for ch in "/._-"])
        self._readable = z3.Star(readable)
        self._all = z3.Full(rs)

    # the matching formula of rule i, for the path term x
    def _m(self, i: int, x):
        return z3.InRe(x, self.res[i])

    def grants(self, x, perm: str):
        """The Z3 formula "``perm`` on path ``x`` is allowed" under the policy's semantics."""
        c = self.ctx
        if self.mode == "apparmor":
            allow = [self._m(i, x) for i, r in enumerate(self.rules)
                     if r.action == "allow" and perm in r.perms]
            deny = [self._m(i, x) for i, r in enumerate(self.rules)
                    if r.action == "deny" and perm in r.perms]
            return z3.And(z3.Or(*allow) if allow else z3.BoolVal(False, c),
                          z3.Not(z3.Or(*deny)) if deny else z3.BoolVal(True, c))
        out = z3.BoolVal(False, c)  # first match: nest from the last rule backwards
        for i in reversed(range(len(self.rules))):
            r = self.rules[i]
            if perm in r.perms:
                out = z3.If(self._m(i, x), z3.BoolVal(r.action == "allow", c), out)
        return out

    def _solve(self, *facts, names=None):
        """(sat?, witness or core): the witness is readable when one exists ([a-zA-Z0-9/._-]),
        any path otherwise; ``names`` tracks the facts for an unsat core."""
        c = self.ctx
        x = z3.String("path", c)
        for readable in (True, False):
            s = z3.Solver(ctx=c)
            s.set("timeout", max(1, int(self.timeout_ms)))
            s.set("random_seed", 0)
            if readable:
                s.add(z3.InRe(x, self._readable))
            lits = []
            for k, f in enumerate(facts):
                f = f(x)
                if names is not None:
                    lit = z3.Bool(f"t{k}", c)
                    s.add(z3.Implies(lit, f))
                    lits.append(lit)
                else:
                    s.add(f)
            r = s.check(*lits)
            if r == z3.sat:
                return True, s.model().eval(x, model_completion=True).as_string()
            if r == z3.unknown:
                raise Unknown(f"the solver gave no answer: {s.reason_unknown()}")
            if not readable:
                core = ()
                if names is not None:
                    ids = {str(lit): names[k] for k, lit in enumerate(lits)}
                    core = tuple(sorted(ids[str(v)] for v in s.unsat_core() if str(v) in ids))
                return False, core
        raise AssertionError("unreachable")


def access(policy: Policy, path: str, perm: str) -> Access:
    """Whether ``perm`` on the concrete ``path`` is allowed, with the rules that matched.

    >>> p = parse_policy("allow /tmp/** rw\\ndeny /tmp/secret/** w")
    >>> access(p, "/tmp/secret/key", "w").allowed, access(p, "/tmp/a", "w").allowed
    (False, True)
    """
    if perm not in PERMS or len(perm) != 1:
        raise ValueError(f"perm must be one letter of {PERMS!r}, not {perm!r}")
    matched = []
    for i in range(len(policy.rules)):
        ok, _ = policy._solve(lambda x, i=i: x == z3.StringVal(path, policy.ctx),
                              lambda x, i=i: policy._m(i, x))
        if ok:
            matched.append(i)
    rel = [i for i in matched if perm in policy.rules[i].perms]
    allow = tuple(i for i in rel if policy.rules[i].action == "allow")
    deny = tuple(i for i in rel if policy.rules[i].action == "deny")
    ok, _ = policy._solve(lambda x: x == z3.StringVal(path, policy.ctx),
                          lambda x: policy.grants(x, perm))
    if policy.mode == "first-match":  # only the deciding rule is reported
        first = rel[:1]
        allow = tuple(i for i in first if policy.rules[i].action == "allow")
        deny = tuple(i for i in first if policy.rules[i].action == "deny")
    return Access(path, perm, ok, allow, deny)


def overlap(policy: Policy, i: int, j: int) -> Overlap:
    """A path that rules ``i`` and ``j`` both match, or a witness of None (proved disjoint)."""
    ok, w = policy._solve(lambda x: policy._m(i, x), lambda x: policy._m(j, x))
    return Overlap(i, j, w if ok else None)


def shadowed(policy: Policy) -> list[Shadowed]:
    """Rules that can never decide a permission they name, proved by ``unsat``.

    AppArmor mode: an allow rule whose every path is denied (for that permission) by deny
    rules; ``by`` is a minimal set of those deny rules (an unsat core). First-match mode: a rule
    whose every path is matched by earlier rules naming the permission.
    """
    out = []
    for i, r in enumerate(policy.rules):
        for perm in r.perms:
            if policy.mode == "apparmor":
                if r.action != "allow":
                    continue
                cands = [j for j, q in enumerate(policy.rules) if q.action == "deny" and perm in q.perms]
            else:
                cands = [j for j in range(i) if perm in policy.rules[j].perms]
            if not cands:
                continue
            facts = [lambda x, i=i: policy._m(i, x)] + \
                    [lambda x, j=j: z3.Not(policy._m(j, x)) for j in cands]
            ok, core = policy._solve(*facts, names=[-1] + cands)
            if not ok:
                by = _minimise(policy, i, [j for j in core if j >= 0] or cands)
                out.append(Shadowed(i, perm, by))
    return out


def _minimise(policy: Policy, i: int, cover: list[int]) -> tuple[int, ...]:
    """Drop covering rules while the rest still cover rule ``i`` (deletion-based)."""
    keep = list(cover)
    for j in list(cover):
        trial = [k for k in keep if k != j]
        if not trial:
            continue
        ok, _ = policy._solve(lambda x: policy._m(i, x),
                              *[lambda x, k=k: z3.Not(policy._m(k, x)) for k in trial])
        if not ok:
            keep = trial
    return tuple(sorted(keep))


def conflicts(policy: Policy) -> list[Conflict]:
    """Pairs of an allow and a deny rule naming the same permission that both match some
    path, with that path (deny wins there in AppArmor mode; the earlier rule in first-match)."""
    out = []
    for i, a in enumerate(policy.rules):
        if a.action != "allow":
            continue
        for j, d in enumerate(policy.rules):
            if d.action != "deny":
                continue
            for perm in a.perms:
                if perm in d.perms:
                    ov = overlap(policy, i, j)
                    if ov.witness is not None:
                        out.append(Conflict(i, j, perm, ov.witness))
    return out


def exists_access(policy: Policy, glob: str, perm: str) -> Exists:
    """Is ``perm`` allowed on any path matching ``glob``? E.g. "is anything under /proc
    writable": ``exists_access(p, "/proc/**", "w")``. A "no" is an unsat proof."""
    try:
        g = compile_glob(glob, policy.ctx)
        ok, w = policy._solve(lambda x: z3.InRe(x, g), lambda x: policy.grants(x, perm))
    except Unknown as e:
        return Exists(glob, perm, "unknown", reason=str(e))
    return Exists(glob, perm, "yes", w) if ok else Exists(glob, perm, "no")
