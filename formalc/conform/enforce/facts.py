"""The values an enforcement spec is read into: its outcomes (:class:`Outcome`), a policy
(:class:`Policy`), a probe (:class:`Probe`), and :class:`SpecFacts`, the declarations that
compiling and probing need, evaluated once.

>>> facts = SpecFacts.of("specs/enforcement.iot")         # doctest: +SKIP
>>> facts.policy("strict").pids, str(Probe("Alloc", memory=64 * 2**20))  # doctest: +SKIP
(16, 'Alloc(64MiB)')
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from pathlib import Path

__all__ = ["Outcome", "Policy", "Probe", "SpecFacts", "SpecShapeError", "bytes_text"]


class Outcome(str, Enum):
    """What happened to a probe (or must happen): the spec's ``Outcome`` members, and two
    non-answers: ``UNKNOWN`` (Z3 could not force one verdict) and ``UNCLASSIFIED`` (what the
    container did matches no rule of the probe's classification)."""
    ALLOWED = "Allowed"
    DENIED = "Denied"
    KILLED = "Killed"
    UNKNOWN = "unknown"
    UNCLASSIFIED = "unclassified"

    @property
    def definite(self) -> bool:
        return self in (Outcome.ALLOWED, Outcome.DENIED, Outcome.KILLED)


# ------------------------------------------------------------------------------ spec values
class SpecShapeError(ValueError):
    """The spec lacks a declaration the probes read; the message names it and the fix."""


#: What the probes read from a spec, with the form each must have.
REQUIRED = {
    "types": {"Syscall": "an enumeration of seccomp operations",
              "Cap": "an enumeration of capabilities (SYS_ADMIN or CAP_SYS_ADMIN)",
              "Path": "an enumeration of paths", "NamespaceKind": "an enumeration",
              "ProbeKind": "an enumeration of probe kinds",
              "Outcome": "the enumeration {Allowed, Denied, Killed}",
              "Policy": "a record (errno, kill, caps, namespaces, masked, readonly, memory, pids)",
              "Probe": "a record (kind, path, ns, memory, tasks)"},
    "functions": {"Kernel": "Syscall → set String", "PathOf": "Path → String",
                  "OciNamespace": "NamespaceKind → String", "Uses": "ProbeKind → set Syscall"},
    "definitions": {"Verdict": "Verdict(p: Policy, q: Probe) := …",
                    "ReadPaths": "a set of Path", "WritePaths": "a set of Path",
                    "AllocSizes": "a set of Bytes"},
}


@dataclass(frozen=True)
class Policy:
    """A policy as plain values: sets of enumeration member names, ``memory`` in bytes."""
    name: str
    errno: frozenset[str]
    kill: frozenset[str]
    caps: frozenset[str]
    namespaces: frozenset[str]
    masked: frozenset[str]
    readonly: frozenset[str]
    memory: int
    pids: int

    def spec_text(self) -> str:
        """The policy as a value of the spec's ``Policy`` record."""
        def s(xs):
            return "{" + ", ".join(sorted(xs)) + "}"
        return (f"Policy(name: {json.dumps(self.name)}, errno: {s(self.errno)}, "
                f"kill: {s(self.kill)}, caps: {s(self.caps)}, namespaces: {s(self.namespaces)}, "
                f"masked: {s(self.masked)}, readonly: {s(self.readonly)}, "
                f"memory: {bytes_text(self.memory)}, pids: {self.pids})")


@dataclass(frozen=True)
class SpecFacts:
    """The declarations of an enforcement spec that compiling and probing need, evaluated once.

    ``kernel``: operation → kernel system-call names; ``path_of``: Path member → container
    path; ``oci_ns``: NamespaceKind member → OCI namespace type; ``uses``: probe kind → the
    operations it performs; the enumerations' members in declaration order; the probe domains.
    """
    file: Path
    spec: object = field(repr=False, compare=False)
    syscalls: tuple[str, ...]
    caps: tuple[str, ...]
    paths: tuple[str, ...]
    namespaces: tuple[str, ...]
    kinds: tuple[str, ...]
    outcomes: tuple[str, ...]
    kernel: dict
    path_of: dict
    oci_ns: dict
    uses: dict
    read_paths: tuple[str, ...]
    write_paths: tuple[str, ...]
    alloc_sizes: tuple[int, ...]

    @classmethod
    def of(cls, spec) -> SpecFacts:
        """Read ``spec`` (a path, or a ``formalc.Spec`` loaded from a file)."""
        import formalc

        from ...machines.evaluate import compile_expr
        if isinstance(spec, (str, os.PathLike)):
            file = Path(spec).resolve()
            spec = formalc.load(file)
        else:
            file = Path(spec.file).resolve()
            if not file.is_file():
                raise SpecShapeError(f"the spec was not loaded from a file ({spec.file}); the "
                                     "verdict oracle imports it by path: use formalc.load(path)")
        for kind, names in REQUIRED.items():
            table = getattr(spec, kind)
            for name, form in names.items():
                if name not in table:
                    raise SpecShapeError(f"{file.name} declares no `{name}`; declare it as "
                                         f"{form} (see specs/enforcement.iot)")

        def members(t: str) -> tuple[str, ...]:
            return tuple(spec.types[t].type.members)

        def table(f: str) -> dict:
            return {args[0]: _plain(compile_expr(e, spec)({}))
                    for args, e in spec.functions[f].table}

        def value(d: str):
            return _plain(compile_expr(spec.definitions[d].body, spec)({}))

        outcomes = members("Outcome")
        if set(outcomes) != {o.value for o in Outcome if o.definite}:
            raise SpecShapeError(f"`Outcome` is {{{', '.join(outcomes)}}}; the probes observe "
                                 "exactly {Allowed, Denied, Killed}")
        return cls(file=file, spec=spec, syscalls=members("Syscall"), caps=members("Cap"),
                   paths=members("Path"), namespaces=members("NamespaceKind"),
                   kinds=members("ProbeKind"), outcomes=outcomes, kernel=table("Kernel"),
                   path_of=table("PathOf"), oci_ns=table("OciNamespace"), uses=table("Uses"),
                   read_paths=tuple(sorted(value("ReadPaths"))),
                   write_paths=tuple(sorted(value("WritePaths"))),
                   alloc_sizes=tuple(sorted(value("AllocSizes"))))

    def policy(self, name: str) -> Policy:
        """The named value ``name`` of the spec, a ``Policy``."""
        from ...machines.evaluate import compile_expr
        d = self.spec.definitions.get(name)
        if d is None or d.params or getattr(d.type, "name", None) != "Policy":
            have = sorted(n for n, x in self.spec.definitions.items()
                          if not x.params and getattr(x.type, "name", None) == "Policy")
            raise SpecShapeError(f"`{name}` is not a Policy value of {self.file.name}; its "
                                 f"policies are {', '.join(have) or 'none'}")
        v = _plain(compile_expr(d.body, self.spec)({}))
        return Policy(name=name, errno=v["errno"], kill=v["kill"], caps=v["caps"],
                      namespaces=v["namespaces"], masked=v["masked"], readonly=v["readonly"],
                      memory=int(v["memory"]), pids=int(v["pids"]))


def _plain(v):
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v)
    if isinstance(v, frozenset):
        return frozenset(_plain(x) for x in v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def bytes_text(n: int) -> str:
    """``n`` bytes in the largest unit that divides it: ``64MiB``, ``4KiB``, ``100B``."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


# ------------------------------------------------------------------------------ probes
@dataclass(frozen=True)
class Probe:
    """One probe: its ``kind`` (a ``ProbeKind`` member) and the parameter that kind takes:
    ``path`` (Read, Write), ``ns`` (SharesHost), ``memory`` in bytes (Alloc) or ``tasks``
    (Spawn). ``str(p)`` is the short form used in reports: ``Mkdir``, ``Read(ProcIrq)``,
    ``Alloc(64MiB)``, ``Spawn(16)``, ``SharesHost(NETNS)``."""
    kind: str
    path: str | None = None
    ns: str | None = None
    memory: int | None = None
    tasks: int | None = None

    def __str__(self) -> str:
        arg = (self.path or self.ns or (bytes_text(self.memory) if self.memory is not None
                                        else None) or self.tasks)
        return self.kind if arg is None else f"{self.kind}({arg})"

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k in ("path", "ns", "memory", "tasks")
                        if (v := getattr(self, k)) is not None)
        return f"Probe({self.kind!r}{extra})"

    def spec_text(self, facts: SpecFacts) -> str:
        """The probe as a value of the spec's ``Probe`` record; fields the kind does not use
        take the first member of their enumeration (or 0): ``Verdict`` ignores them."""
        return (f"Probe(kind: {self.kind}, path: {self.path or facts.paths[0]}, "
                f"ns: {self.ns or facts.namespaces[0]}, memory: {bytes_text(self.memory or 0)}, "
                f"tasks: {self.tasks or 0})")
