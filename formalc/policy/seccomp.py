"""Seccomp profile analysis: what a Docker/moby profile does, decided exactly.

The model. An *environment* is (host architecture, kernel version, capability set); a *call* is
(system call, up to six 64-bit arguments). The profile acts in three steps, each as the real
stack implements it:

1. **Entry selection** (Docker, ``moby/profiles/seccomp``): an entry is installed for an
   environment iff ``includes.arches`` (if any) names the architecture, the environment holds
   *all* ``includes.caps``, the kernel is ≥ ``includes.minKernel``; and ``excludes.arches``
   does not name it, the environment holds *none* of ``excludes.caps``, the kernel is below
   ``excludes.minKernel``. Entries whose action equals the default action (with the same
   errno) are skipped as runc does (opencontainers/runc#1847, #3109: libseccomp refuses them).
2. **Argument conditions** (runc ``libcontainer/seccomp``): the comparisons of one entry are
   AND-ed — unless two of them name the same argument index; then runc adds *each* comparison
   as a separate libseccomp rule, so *all* of the entry's comparisons are OR-ed, including
   those on other indices (opencontainers/runc#1616 "the conditions ... will still be
   logical-OR instead of logical-AND", #2735; crun and youki copy it). libseccomp compares
   unsigned 64-bit values; ``MASKED_EQ`` is ``arg & value == valueTwo``.
3. **Choosing among matching entries**: the first matching installed entry in file order
   decides (the order the runtime-spec proposal opencontainers/runtime-spec#1159 describes).
   libseccomp itself documents no precedence between overlapping rules of one syscall
   (seccomp/libseccomp#225), so every such overlap with different actions is reported as a
   *conflict*: its outcome depends on the runtime, never rely on it.

Z3 decides the argument questions (bit-vectors): is there an argument value that gets through,
which is blocked, do two entries overlap, is an entry covered by earlier ones. The environment
space that matters for one system call is small (the capabilities, architectures and kernel
versions its entries mention), so reachability enumerates it and summarises the result as
minimal conditions.

>>> from formalc.artifacts.seccomp import load_seccomp, profile_of
>>> p = profile_of(load_seccomp('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names":'
...     ' ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}]}', file="p"))
>>> decide(p, Environment(kernel="5.4"), "ptrace").action
'SCMP_ACT_ALLOW'
>>> decide(p, Environment(kernel="4.4"), "ptrace").action
'SCMP_ACT_ERRNO'
>>> [str(c) for c in analyse(p).reachability_of("ptrace").when_allowed]
['kernel ≥ 4.8']
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import z3

from ..artifacts.seccomp import ArgCond, EnvFilter, Rule, SeccompProfile, kernel_version
from .syscalls import ARCHES, DANGEROUS, PERMISSIVE_ACTIONS

__all__ = [
    "Condition",
    "Conflict",
    "Decision",
    "EnvOutcome",
    "Environment",
    "OrPitfall",
    "Reachability",
    "Redundant",
    "SeccompReport",
    "Shadowed",
    "analyse",
    "decide",
    "format_report",
]

_U64 = (1 << 64) - 1
_MAX_CAPS = 10            # per system call: 2**10 capability subsets at most are enumerated
TIMEOUT_MS = 5000


# --------------------------------------------------------------------------- concrete semantics

@dataclass(frozen=True, slots=True)
class Environment:
    """Where a container runs: host architecture (Docker/Go name), kernel, capabilities."""
    arch: str = "amd64"
    kernel: tuple[int, ...] | str = (6, 1, 0)
    caps: frozenset[str] = frozenset()

    def __post_init__(self):
        if isinstance(self.kernel, str):
            object.__setattr__(self, "kernel", kernel_version(self.kernel) or (0, 0, 0))
        object.__setattr__(self, "caps", frozenset(self.caps))

    def __str__(self) -> str:
        caps = "{" + ", ".join(sorted(self.caps)) + "}"
        return f"arch={self.arch} kernel={'.'.join(map(str, self.kernel))} caps={caps}"

    def to_json(self) -> dict:
        return {"arch": self.arch, "kernel": ".".join(map(str, self.kernel)),
                "caps": sorted(self.caps)}


def installed(rule: Rule, env: Environment) -> bool:
    """Docker's entry selection (step 1 of the module docstring)."""
    inc, exc = rule.includes, rule.excludes
    if exc.arches and env.arch in exc.arches:
        return False
    if any(c in env.caps for c in exc.caps):
        return False
    if exc.min_kernel is not None and env.kernel >= exc.min_kernel:
        return False
    if inc.arches and env.arch not in inc.arches:
        return False
    if any(c not in env.caps for c in inc.caps):
        return False
    return inc.min_kernel is None or env.kernel >= inc.min_kernel


def _cond_holds(c: ArgCond, args: tuple[int, ...]) -> bool:
    x = args[c.index] & _U64 if c.index < len(args) else 0
    v = c.value & _U64
    return {"SCMP_CMP_EQ": x == v, "SCMP_CMP_NE": x != v, "SCMP_CMP_LT": x < v,
            "SCMP_CMP_LE": x <= v, "SCMP_CMP_GT": x > v, "SCMP_CMP_GE": x >= v,
            "SCMP_CMP_MASKED_EQ": (x & v) == (c.value_two & _U64)}[c.op]


def args_match(rule: Rule, args: tuple[int, ...]) -> bool:
    """Whether the call's arguments satisfy the rule as runc installs it (step 2)."""
    return any(all(_cond_holds(c, args) for c in alt) for alt in rule.alternatives)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one call: the action (with its errno), the deciding entry (None: the
    default action) and the other installed entries that match with a different action."""
    action: str
    errno: int | None
    rule: int | None
    conflicting: tuple[int, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.action in PERMISSIVE_ACTIONS


def _installed_rules(profile: SeccompProfile, syscall: str) -> list[Rule]:
    dv = profile.default_verdict
    return [r for r in profile.rules if syscall in r.names and r.verdict != dv]


def decide(profile: SeccompProfile, env: Environment, syscall: str,
           args: tuple[int, ...] | list[int] | None = None) -> Decision:
    """The action the profile takes for ``syscall(args)`` in ``env`` (missing args are 0)."""
    args = tuple(args or ())
    matching = [r for r in _installed_rules(profile, syscall)
                if installed(r, env) and args_match(r, args)]
    if not matching:
        a, e = profile.default_verdict
        return Decision(a, e, None)
    first = matching[0]
    other = tuple(r.index for r in matching[1:] if r.verdict != first.verdict)
    return Decision(first.verdict[0], first.verdict[1], first.index, other)


# --------------------------------------------------------------------------- findings (plain data)

def _line(rule: Rule) -> int | None:
    return rule.span.line if rule.span else None


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two entries that both match one call in one environment with different actions."""
    syscalls: tuple[str, ...]
    first: int
    first_line: int | None
    first_action: str
    second: int
    second_line: int | None
    second_action: str
    env: Environment
    args: tuple[int, ...]

    def __str__(self) -> str:
        return (f"conflict: entries #{self.first} (line {self.first_line}, {self.first_action})"
                f" and #{self.second} (line {self.second_line}, {self.second_action}) both match "
                f"{self.syscalls[0]}{_args_text(self.args)} with {self.env}")


@dataclass(frozen=True, slots=True)
class Redundant:
    """An entry whose action is the default action: runc skips it, it has no effect."""
    rule: int
    line: int | None
    action: str

    def __str__(self) -> str:
        return (f"redundant: entry #{self.rule} (line {self.line}) has the default action "
                f"{self.action}; runc ignores it")


@dataclass(frozen=True, slots=True)
class Shadowed:
    """An entry (for some of its names) that never decides a call: earlier entries match
    every call it matches. ``full``: for all of its names."""
    rule: int
    line: int | None
    syscalls: tuple[str, ...]
    by: tuple[int, ...]
    full: bool

    def __str__(self) -> str:
        which = "entirely" if self.full else "for " + ", ".join(self.syscalls)
        return (f"shadowed: entry #{self.rule} (line {self.line}) is covered {which} by "
                f"entries {', '.join('#' + str(b) for b in self.by)}")


@dataclass(frozen=True, slots=True)
class OrPitfall:
    """An entry with two comparisons of one argument: runc OR-s all its comparisons.
    ``args`` matches the entry as installed but not the AND of its comparisons."""
    rule: int
    line: int | None
    args: tuple[int, ...]

    def __str__(self) -> str:
        return (f"or-pitfall: entry #{self.rule} (line {self.line}) compares one argument twice, "
                f"so runc OR-s its conditions: args {_args_text(self.args)} match although "
                f"they fail the AND of its conditions")


@dataclass(frozen=True, slots=True)
class Condition:
    """A conjunction over the environment (unset parts: anything)."""
    caps_held: tuple[str, ...] = ()
    caps_absent: tuple[str, ...] = ()
    arches: tuple[str, ...] | None = None       # only these architectures
    except_arches: tuple[str, ...] = ()         # any architecture but these
    min_kernel: tuple[int, ...] | None = None
    below_kernel: tuple[int, ...] | None = None

    def __str__(self) -> str:
        parts = [f"{c}" for c in self.caps_held] + [f"no {c}" for c in self.caps_absent]
        if self.arches is not None:
            parts.append("arch ∈ {" + ", ".join(self.arches) + "}")
        if self.except_arches:
            parts.append("arch ∉ {" + ", ".join(self.except_arches) + "}")
        if self.min_kernel:
            parts.append("kernel ≥ " + _kv(self.min_kernel))
        if self.below_kernel:
            parts.append("kernel < " + _kv(self.below_kernel))
        return " ∧ ".join(parts) or "always"

    def to_json(self) -> dict:
        return {"caps_held": list(self.caps_held), "caps_absent": list(self.caps_absent),
                "arches": None if self.arches is None else list(self.arches),
                "except_arches": list(self.except_arches),
                "min_kernel": _kv(self.min_kernel) if self.min_kernel else None,
                "below_kernel": _kv(self.below_kernel) if self.below_kernel else None,
                "text": str(self)}


@dataclass(frozen=True, slots=True)
class EnvOutcome:
    """One class of environments for one system call: ``status`` is "all" (every argument
    gets through), "some", "none" or "unknown"; witnesses are argument tuples."""
    env: Environment
    status: str
    allowed_args: tuple[int, ...] | None
    blocked_args: tuple[int, ...] | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Reachability:
    """When a (dangerous) system call is allowed. ``when_allowed``: minimal conditions under
    which *some* argument values get through; ``when_unrestricted``: under which *all* do.
    ``status``: "never", "always" (all args, every environment) or "conditional"."""
    syscall: str
    status: str
    when_allowed: tuple[Condition, ...]
    when_unrestricted: tuple[Condition, ...]
    outcomes: tuple[EnvOutcome, ...]
    rules: tuple[int, ...]
    lines: tuple[int | None, ...]
    reason: str = ""

    def __str__(self) -> str:
        def dnf(cs):
            return " ∨ ".join(f"({c})" for c in cs) if cs else "never"
        return (f"{self.syscall}: allowed when {dnf(self.when_allowed)}; every argument "
                f"when {dnf(self.when_unrestricted)}")


@dataclass(frozen=True)
class SeccompReport:
    """Everything :func:`analyse` found, as plain data in a deterministic order."""
    file: str
    default_action: str
    conflicts: tuple[Conflict, ...]
    redundant: tuple[Redundant, ...]
    shadowed: tuple[Shadowed, ...]
    pitfalls: tuple[OrPitfall, ...]
    reachability: tuple[Reachability, ...]
    unknown: tuple[str, ...] = ()

    def reachability_of(self, syscall: str) -> Reachability | None:
        return next((r for r in self.reachability if r.syscall == syscall), None)

    @property
    def findings(self) -> tuple:
        return self.conflicts + self.redundant + self.shadowed + self.pitfalls

    def to_json(self) -> dict:
        """Plain JSON-ready data (environments and conditions flattened)."""
        def conv(x):
            if isinstance(x, (Environment, Condition)):
                return x.to_json()
            if hasattr(x, "__dataclass_fields__"):
                return {k: conv(getattr(x, k)) for k in x.__dataclass_fields__}
            if isinstance(x, (tuple, list)):
                return [conv(i) for i in x]
            return x
        return conv(self)


def _kv(v) -> str:
    v = tuple(v)
    return ".".join(map(str, v[:2] if len(v) == 3 and v[2] == 0 else v))


def _args_text(args) -> str:
    return "(" + ", ".join(hex(a) for a in args) + ")"


# --------------------------------------------------------------------------- the Z3 encoding

class _Enc:
    """Z3 terms for one analysis: argument bit-vectors and symbolic environments."""

    def __init__(self, profile: SeccompProfile):
        self.ctx = z3.Context()
        self.x = [z3.BitVec(f"arg{i}", 64, ctx=self.ctx) for i in range(6)]
        self.profile = profile
        self.dv = profile.default_verdict
        arches = sorted({a for r in profile.rules for f in (r.includes, r.excludes)
                         for a in f.arches})
        self.arches = arches + [_other_arch(arches)]
        self.kernels = sorted({f.min_kernel for r in profile.rules
                               for f in (r.includes, r.excludes) if f.min_kernel})
        self.arch = z3.Int("arch", self.ctx)
        self.kernel = z3.Int("kernel", self.ctx)   # class: ≥ kernels[i-1] iff kernel ≥ i
        self.caps: dict[str, z3.BoolRef] = {}

    def solver(self) -> z3.Solver:
        s = z3.Solver(ctx=self.ctx)
        s.set("timeout", TIMEOUT_MS)
        s.set("random_seed", 0)
        s.add(self.arch >= 0, self.arch < len(self.arches),
              self.kernel >= 0, self.kernel <= len(self.kernels))
        return s

    def cap(self, c: str):
        if c not in self.caps:
            self.caps[c] = z3.Bool(c, self.ctx)
        return self.caps[c]

    def cond(self, c: ArgCond):
        x, v = self.x[c.index], z3.BitVecVal(c.value & _U64, 64, self.ctx)
        if c.op == "SCMP_CMP_MASKED_EQ":
            return x & v == z3.BitVecVal(c.value_two & _U64, 64, self.ctx)
        return {"SCMP_CMP_EQ": lambda: x == v, "SCMP_CMP_NE": lambda: x != v,
                "SCMP_CMP_LT": lambda: z3.ULT(x, v), "SCMP_CMP_LE": lambda: z3.ULE(x, v),
                "SCMP_CMP_GT": lambda: z3.UGT(x, v), "SCMP_CMP_GE": lambda: z3.UGE(x, v)}[c.op]()

    def args_match(self, rule: Rule):
        alts = [z3.And([self.cond(c) for c in alt] + [z3.BoolVal(True, self.ctx)])
                for alt in rule.alternatives]
        return z3.Or(alts) if len(alts) > 1 else alts[0]

    def installed(self, rule: Rule):
        t = [self._filter(rule.includes, True), z3.Not(self._any(rule.excludes))]
        return z3.And(t)

    def _filter(self, f: EnvFilter, include: bool):
        parts = [z3.BoolVal(True, self.ctx)]
        if f.arches:
            parts.append(z3.Or([self.arch == self.arches.index(a) for a in f.arches]))
        parts += [self.cap(c) for c in f.caps]
        if f.min_kernel is not None:
            parts.append(self.kernel >= self.kernels.index(f.min_kernel) + 1)
        return z3.And(parts)

    def _any(self, f: EnvFilter):
        """An excludes filter removes the entry when ANY of its parts holds."""
        parts = [z3.BoolVal(False, self.ctx)]
        if f.arches:
            parts.append(z3.Or([self.arch == self.arches.index(a) for a in f.arches]))
        parts += [self.cap(c) for c in f.caps]
        if f.min_kernel is not None:
            parts.append(self.kernel >= self.kernels.index(f.min_kernel) + 1)
        return z3.Or(parts)

    def match(self, rule: Rule):
        return z3.And(self.installed(rule), self.args_match(rule))

    def env_of(self, m: z3.ModelRef, caps_seen) -> Environment:
        a = m.eval(self.arch, model_completion=True).as_long()
        k = m.eval(self.kernel, model_completion=True).as_long()
        caps = frozenset(c for c in caps_seen
                         if z3.is_true(m.eval(self.cap(c), model_completion=True)))
        return Environment(self.arches[a], _kernel_rep(self.kernels, k), caps)

    def args_of(self, m: z3.ModelRef) -> tuple[int, ...]:
        vals = [m.eval(v, model_completion=True).as_long() for v in self.x]
        while vals and vals[-1] == 0:
            vals.pop()
        return tuple(vals)


def _kernel_rep(kernels: list[tuple[int, ...]], k: int) -> tuple[int, ...]:
    """A kernel version of class ``k``: ≥ kernels[k-1] and below kernels[k]; class 0 is below
    every version named (a 6.1 kernel when none is named)."""
    if k > 0:
        return kernels[k - 1]
    if not kernels:
        return (6, 1, 0)
    major, minor = kernels[0][:2]
    return (major, minor - 1, 0) if minor > 0 else (max(major - 1, 0), 0, 0)


def _other_arch(named: list[str]) -> str:
    """A concrete architecture no entry names, standing for "any other architecture"."""
    return next(a for a in ARCHES if a not in named)


# --------------------------------------------------------------------------- the analysis

def analyse(profile: SeccompProfile, syscalls: tuple[str, ...] = DANGEROUS) -> SeccompReport:
    """Conflicts, redundant and shadowed entries, OR pitfalls, and the reachability of
    ``syscalls`` (by default the dangerous ones) in every environment."""
    enc = _Enc(profile)
    unknown: list[str] = []
    dv = profile.default_verdict
    redundant = tuple(Redundant(r.index, _line(r), r.action) for r in profile.rules
                      if r.verdict == dv)
    live = [r for r in profile.rules if r.verdict != dv]
    conflicts = _conflicts(enc, live, unknown)
    shadowed = _shadowed(enc, live, unknown)
    pitfalls = _pitfalls(enc, profile.rules, unknown)
    reach = tuple(_reachability(enc, profile, s, unknown) for s in sorted(set(syscalls)))
    return SeccompReport(profile.file, profile.default_action, conflicts, redundant, shadowed,
                         pitfalls, reach, tuple(unknown))


def _caps_of(rules) -> list[str]:
    return sorted({c for r in rules for f in (r.includes, r.excludes) for c in f.caps})


def _conflicts(enc: _Enc, live: list[Rule], unknown: list[str]) -> tuple[Conflict, ...]:
    out = []
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            shared = tuple(n for n in a.names if n in b.names)
            if not shared or a.verdict == b.verdict:
                continue
            s = enc.solver()
            s.add(enc.match(a), enc.match(b))
            r = s.check()
            if r == z3.sat:
                m = s.model()
                out.append(Conflict(tuple(sorted(shared)), a.index, _line(a), _act(a), b.index,
                                    _line(b), _act(b), enc.env_of(m, _caps_of([a, b])),
                                    enc.args_of(m)))
            elif r == z3.unknown:
                unknown.append(f"conflict of entries #{a.index} and #{b.index}: "
                               f"{s.reason_unknown()}")
    return tuple(out)


def _act(r: Rule) -> str:
    a, e = r.verdict
    return a if e is None else f"{a}({e})"


def _shadowed(enc: _Enc, live: list[Rule], unknown: list[str]) -> tuple[Shadowed, ...]:
    out = []
    for j, rule in enumerate(live):
        groups: dict[tuple[int, ...], list[str]] = {}
        for n in rule.names:
            earlier = tuple(i for i in range(j) if n in live[i].names)
            if earlier:
                groups.setdefault(earlier, []).append(n)
        names, by = [], set()
        for earlier, ns in groups.items():
            s = enc.solver()
            s.add(enc.match(rule), *[z3.Not(enc.match(live[i])) for i in earlier])
            r = s.check()
            if r == z3.unsat:
                names += ns
                by.update(live[i].index for i in earlier)
            elif r == z3.unknown:
                unknown.append(f"shadowing of entry #{rule.index}: {s.reason_unknown()}")
        if names:
            out.append(Shadowed(rule.index, _line(rule), tuple(sorted(names)), tuple(sorted(by)),
                                len(names) == len(rule.names)))
    return tuple(out)


def _pitfalls(enc: _Enc, rules, unknown: list[str]) -> tuple[OrPitfall, ...]:
    out = []
    for rule in rules:
        if len(rule.alternatives) <= 1:
            continue
        s = enc.solver()
        s.add(enc.args_match(rule), z3.Not(z3.And([enc.cond(c) for c in rule.args])))
        r = s.check()
        if r == z3.sat:
            out.append(OrPitfall(rule.index, _line(rule), enc.args_of(s.model())))
        elif r == z3.unknown:
            unknown.append(f"OR pitfall of entry #{rule.index}: {s.reason_unknown()}")
    return tuple(out)


def _reachability(enc: _Enc, profile: SeccompProfile, syscall: str,
                  unknown: list[str]) -> Reachability:
    rules = _installed_rules(profile, syscall)
    lines = tuple(_line(r) for r in rules)
    caps = _caps_of(rules)
    if len(caps) > _MAX_CAPS:
        why = f"{len(caps)} capabilities decide {syscall}: more than {_MAX_CAPS} to enumerate"
        unknown.append(why)
        return Reachability(syscall, "unknown", (), (), (), tuple(r.index for r in rules),
                            lines, why)
    named = sorted({a for r in rules for f in (r.includes, r.excludes) for a in f.arches})
    arches = named + [_other_arch(named)]
    kernels = sorted({f.min_kernel for r in rules for f in (r.includes, r.excludes)
                      if f.min_kernel})
    kern_reps = [_kernel_rep(kernels, i) for i in range(len(kernels) + 1)]
    dims = [(False, True)] * len(caps) + [tuple(range(len(arches))), tuple(range(len(kern_reps)))]
    outcomes, status_at = [], {}
    for point in itertools.product(*dims):
        env = Environment(arches[point[-2]], kern_reps[point[-1]],
                          frozenset(c for c, held in zip(caps, point) if held))
        o = _outcome(enc, profile, rules, env)
        if o.status == "unknown":
            unknown.append(f"{syscall} with {env}: {o.reason}")
        outcomes.append(o)
        status_at[point] = o.status
    some = {p for p, st in status_at.items() if st in ("some", "all")}
    every = {p for p, st in status_at.items() if st == "all"}
    when_allowed = _cover(some, dims, caps, arches, named, kern_reps)
    when_unrestricted = _cover(every, dims, caps, arches, named, kern_reps)
    if any(o.status == "unknown" for o in outcomes):
        status = "unknown"
    elif not some:
        status = "never"
    elif len(every) == len(status_at):
        status = "always"
    else:
        status = "conditional"
    return Reachability(syscall, status, when_allowed, when_unrestricted, tuple(outcomes),
                        tuple(r.index for r in rules), lines)


def _outcome(enc: _Enc, profile: SeccompProfile, rules: list[Rule],
             env: Environment) -> EnvOutcome:
    here = [r for r in rules if installed(r, env)]
    if not any(r.args for r in here):  # no argument conditions: the first entry decides
        verdict = here[0].verdict if here else profile.default_verdict
        ok = verdict[0] in PERMISSIVE_ACTIONS
        return EnvOutcome(env, "all" if ok else "none", () if ok else None,
                          None if ok else ())
    # first-match over the installed entries, as one formula over the arguments
    allowed = z3.BoolVal(profile.default_verdict[0] in PERMISSIVE_ACTIONS, enc.ctx)
    for r in reversed(here):
        allowed = z3.If(enc.args_match(r), z3.BoolVal(r.action in PERMISSIVE_ACTIONS, enc.ctx),
                        allowed)
    wit = {}
    for key, f in (("allowed", allowed), ("blocked", z3.Not(allowed))):
        s = enc.solver()
        s.add(f)
        r = s.check()
        if r == z3.unknown:
            return EnvOutcome(env, "unknown", None, None, s.reason_unknown())
        wit[key] = enc.args_of(s.model()) if r == z3.sat else None
    status = ("some" if wit["blocked"] is not None else "all") if wit["allowed"] is not None \
        else "none"
    return EnvOutcome(env, status, wit["allowed"], wit["blocked"])


def _cover(target: set, dims, caps, arches, named, kern_reps) -> tuple[Condition, ...]:
    """Greedy prime cubes covering ``target`` (a set of environment points), as conditions."""
    cubes: list[list[set]] = []
    for p in sorted(target):
        if any(all(p[d] in cube[d] for d in range(len(dims))) for cube in cubes):
            continue
        cube = [{v} for v in p]
        kdim = len(dims) - 1

        def fits(trial) -> bool:
            return all(q in target for q in itertools.product(*trial))

        # kernel classes are ordered: grow an interval, so a condition reads "≥ a ∧ < b"
        for step in (1, -1):
            v = p[kdim] + step
            while 0 <= v < len(dims[kdim]) and fits(cube[:kdim] + [cube[kdim] | {v}]):
                cube[kdim] = cube[kdim] | {v}
                v += step
        for d in [kdim - 1] + list(range(len(caps))):
            for v in dims[d]:
                trial = cube[:d] + [cube[d] | {v}] + cube[d + 1:]
                if v not in cube[d] and fits(trial):
                    cube = trial
        cubes.append(cube)
    # drop cubes covered by the others
    pts = [set(itertools.product(*c)) for c in cubes]
    keep = [c for i, c in enumerate(cubes)
            if not pts[i] <= set().union(*(pts[:i] + pts[i + 1:]))] if len(cubes) > 1 else cubes
    out = []
    for cube in keep:
        held = tuple(c for i, c in enumerate(caps) if cube[i] == {True})
        absent = tuple(c for i, c in enumerate(caps) if cube[i] == {False})
        aset, kset = cube[-2], sorted(cube[-1])
        arch_only, arch_except = None, ()
        if len(aset) < len(arches):
            if len(arches) - 1 in aset:   # "any other architecture" is in: say which are not
                arch_except = tuple(named[i] for i in range(len(named)) if i not in aset)
            else:
                arch_only = tuple(sorted(named[i] for i in aset))
        lo, hi = kset[0], kset[-1]
        min_k = kern_reps[lo] if lo > 0 else None
        below = kern_reps[hi + 1] if hi + 1 < len(kern_reps) else None
        out.append(Condition(held, absent, arch_only, arch_except, min_k, below))
    return tuple(sorted(out, key=lambda c: (len(str(c)), str(c))))


# --------------------------------------------------------------------------- text

def format_report(report: SeccompReport, dangerous_only_allowed: bool = True) -> str:
    """The report as plain text (no solver calls): findings, then reachability."""
    out = [f"seccomp profile {report.file} (default {report.default_action})"]
    for f in report.findings:
        out.append("  " + str(f))
    if not report.findings:
        out.append("  no conflicts, redundant or shadowed entries")
    out.append("dangerous system calls:")
    for r in report.reachability:
        if dangerous_only_allowed and r.status == "never":
            continue
        out.append(f"  {r}")
        lines = ", ".join(str(x) for x in r.lines if x is not None)
        if lines:
            out.append(f"    entries at line(s) {lines}")
    never = [r.syscall for r in report.reachability if r.status == "never"]
    if never:
        out.append("  never allowed: " + ", ".join(never))
    for u in report.unknown:
        out.append("  unknown: " + u)
    return "\n".join(out)
