"""Linux capability sets of a process: consistency, dangerous capabilities, and execve.

Plain set logic decides everything here (no solver is needed: the sets are concrete and the
rules are unions and intersections). The rules are those of capabilities(7):

Consistency (:func:`violations`), each reported with the capabilities that break it:

* ``effective ⊆ permitted`` — a kernel invariant: "Permitted: this is a limiting superset for
  the effective capabilities that the thread may assume" (capset(2) refuses anything else);
* ``ambient ⊆ permitted ∩ inheritable`` — a kernel invariant: "no capability can ever be
  ambient if it is not both permitted and inheritable" (lowering either lowers the ambient bit);
* ``permitted ⊆ bounding`` — a *configuration* rule, not a kernel invariant (dropping a
  capability from the bounding set leaves it permitted): it is what holds for a process whose
  permitted set came from an ``execve`` (``F(permitted) & P(bounding)``, plus ambient and
  inheritable capabilities raised within the bounding set), and what an OCI config of a
  non-root process should state;
* ``effective ⊆ ambient`` for a non-root uid (``lost_on_exec``) — a note, not an error: after
  ``execve`` of a program without file capabilities a non-root process keeps only its ambient
  capabilities (``P'(permitted) = P'(effective) = P(ambient)``), so the others are lost.

The execve transformation (:func:`execve`), from capabilities(7) "Transformation of
capabilities during execve()" (Linux ≥ 4.3, with ambient capabilities)::

    P'(ambient)     = (file is privileged) ? 0 : P(ambient)
    P'(permitted)   = (P(inheritable) & F(inheritable)) | (F(permitted) & P(bounding)) | P'(ambient)
    P'(effective)   = F(effective) ? P'(permitted) : P'(ambient)
    P'(inheritable) = P(inheritable);   P'(bounding) = P(bounding)

where a privileged file has file capabilities or the set-user/group-ID bit; for a real or
effective uid 0 (without SECBIT_NOROOT) the file's inheritable and permitted sets count as full,
and for an effective uid 0 its effective bit counts as set.

>>> s = CapSets.of(effective={"CAP_SYS_ADMIN"}, permitted=set(), inheritable=set(),
...                bounding={"CAP_CHOWN"}, ambient=set())
>>> [(v.rule, v.caps) for v in violations(s) if v.kind != "note"]
[('effective ⊆ permitted', ('CAP_SYS_ADMIN',))]
"""
from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostic, SpecError, suggest

#: Every Linux capability, in kernel number order (linux/capability.h, 0 … 40).
ALL_CAPS: tuple[str, ...] = tuple("CAP_" + n for n in ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"])

#: Capabilities that let a container reach beyond itself (kernel modules, raw devices and
#: memory, other processes, mounts and namespaces, host networking, MAC policy, BPF, clocks,
#: reboot, reading any file by handle). None of them is in the default set of Docker/containerd.
DANGEROUS: frozenset[str] = frozenset({
    "CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH",
    "CAP_NET_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE",
    "CAP_BPF", "CAP_PERFMON", "CAP_SYSLOG", "CAP_LINUX_IMMUTABLE", "CAP_SYS_RESOURCE"})

_ORDER = {c: i for i, c in enumerate(ALL_CAPS)}
SETS = ("effective", "permitted", "inheritable", "bounding", "ambient")


def normalise(names, where: str = "capabilities") -> tuple[list[Diagnostic], frozenset[str]]:
    """Capability names as the kernel spells them (``sys_admin`` → ``CAP_SYS_ADMIN``);
    FC606 for a name that is no Linux capability."""
    diags, out = [], set()
    for n in names:
        k = str(n).strip().upper()
        if not k.startswith("CAP_"):
            k = "CAP_" + k
        if k in _ORDER:
            out.add(k)
        else:
            diags.append(Diagnostic("FC606", f"`{n}` in {where} is not a Linux capability",
                                    hint=suggest(k, ALL_CAPS)))
    return diags, frozenset(out)


def ordered(caps) -> tuple[str, ...]:
    """Capabilities in kernel number order (the deterministic order of every report)."""
    return tuple(sorted(caps, key=lambda c: _ORDER.get(c, len(_ORDER))))


@dataclass(frozen=True)
class CapSets:
    """The five capability sets of a thread (OCI ``process.capabilities``)."""
    effective: frozenset[str]
    permitted: frozenset[str]
    inheritable: frozenset[str]
    bounding: frozenset[str]
    ambient: frozenset[str]

    @classmethod
    def of(cls, **sets) -> CapSets:
        """Build from iterables of names (missing sets are empty); raises
        :class:`~formalc.SpecError` (FC606) on an unknown capability."""
        unknown = set(sets) - set(SETS)
        if unknown:
            raise TypeError(f"unknown capability set(s): {sorted(unknown)}")
        diags, vals = [], {}
        for s in SETS:
            d, v = normalise(sets.get(s, ()), s)
            diags += d
            vals[s] = v
        if diags:
            raise SpecError(diags)
        return cls(**vals)


@dataclass(frozen=True)
class Violation:
    """A rule the sets break: ``kind`` is "kernel" (an invariant the kernel keeps: such sets
    cannot exist), "config" (a configuration rule) or "note"; ``caps`` the offenders."""
    rule: str
    kind: str
    caps: tuple[str, ...]


def violations(s: CapSets, uid: int = 1000) -> list[Violation]:
    """Every consistency rule ``s`` breaks (see the module docstring), in a fixed order."""
    out = []

    def rule(name, kind, caps):
        if caps:
            out.append(Violation(name, kind, ordered(caps)))

    rule("effective ⊆ permitted", "kernel", s.effective - s.permitted)
    rule("ambient ⊆ permitted ∩ inheritable", "kernel", s.ambient - (s.permitted & s.inheritable))
    rule("permitted ⊆ bounding", "config", s.permitted - s.bounding)
    if uid != 0:
        rule("effective ⊆ ambient (non-root: lost on execve)", "note", s.effective - s.ambient)
    return out


def consistent(s: CapSets) -> bool:
    """No kernel or configuration rule broken (notes do not count)."""
    return all(v.kind == "note" for v in violations(s))


def dangerous_effective(s: CapSets, dangerous=DANGEROUS) -> tuple[str, ...]:
    """The dangerous capabilities the thread can use now (its effective set)."""
    return ordered(s.effective & frozenset(dangerous))


@dataclass(frozen=True)
class FileCaps:
    """File capabilities of the executed program: permitted, inheritable, the effective bit."""
    permitted: frozenset[str] = frozenset()
    inheritable: frozenset[str] = frozenset()
    effective: bool = False


def execve(s: CapSets, uid: int = 1000, euid: int | None = None,
           file_caps: FileCaps | None = None, setid: bool = False) -> CapSets:
    """The capability sets after ``execve`` (capabilities(7), see the module docstring).

    ``file_caps`` None means the program has no file capabilities; ``setid`` that it is
    set-user-ID or set-group-ID.

    >>> s = CapSets.of(effective={"NET_BIND_SERVICE", "CHOWN"}, permitted={"NET_BIND_SERVICE",
    ...                "CHOWN"}, inheritable={"NET_BIND_SERVICE"}, bounding=ALL_CAPS,
    ...                ambient={"NET_BIND_SERVICE"})
    >>> ordered(execve(s, uid=1000).effective)
    ('CAP_NET_BIND_SERVICE',)
    """
    euid = uid if euid is None else euid
    full = frozenset(ALL_CAPS)
    f = file_caps or FileCaps()
    f_perm, f_inh, f_eff = f.permitted, f.inheritable, f.effective
    if uid == 0 or euid == 0:
        f_perm, f_inh = full, full
    if euid == 0:
        f_eff = True
    privileged = file_caps is not None or setid
    ambient = frozenset() if privileged else s.ambient
    permitted = (s.inheritable & f_inh) | (f_perm & s.bounding) | ambient
    effective = permitted if f_eff else ambient
    return CapSets(effective=effective, permitted=permitted, inheritable=s.inheritable,
                   bounding=s.bounding, ambient=ambient)
