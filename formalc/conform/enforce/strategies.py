"""Drawing probes and policies: Hypothesis strategies for the probes of a spec
(:func:`probe_strategy`) and for policies runc can run (:func:`policy_strategy`), and the list
of every probe (:func:`all_probes`).

>>> all_probes(SpecFacts.of("specs/enforcement.iot"))[:2]   # doctest: +SKIP
[Probe('Mkdir'), Probe('Chown')]
"""
from __future__ import annotations

from fractions import Fraction

from .catalogue import CATALOGUE
from .facts import Policy, Probe, SpecFacts

__all__ = ["MEMORY_LIMITS", "PARAMETERS", "all_probes", "policy_strategy", "probe_strategy"]


#: Probe kinds that take a parameter, and which one.
PARAMETERS = {"Read": "path", "Write": "path", "Alloc": "memory", "Spawn": "tasks",
              "SharesHost": "ns"}


def probe_strategy(spec, policy: Policy | None = None, *, max_tasks: int = 48):
    """A Hypothesis strategy for the probes of ``spec`` (a path, a ``Spec`` or
    :class:`SpecFacts`): a probe kind with a command, uniformly, then its parameter — a path of
    ``ReadPaths``/``WritePaths``, a size of ``AllocSizes``, a namespace kind, or a number of
    processes up to twice the policy's pids limit (at most ``max_tasks``, so the boundary is
    drawn for small limits without starting hundreds of processes)."""
    from hypothesis import strategies as st
    facts = spec if isinstance(spec, SpecFacts) else SpecFacts.of(spec)
    top = min(max_tasks, 2 * policy.pids) if policy is not None else max_tasks

    def with_parameter(kind: str):
        which = PARAMETERS.get(kind)
        if which is None:
            return st.just(Probe(kind))
        domain = {"Read": facts.read_paths, "Write": facts.write_paths,
                  "Alloc": facts.alloc_sizes, "SharesHost": facts.namespaces}.get(kind)
        values = st.integers(1, top) if kind == "Spawn" else st.sampled_from(domain)
        return values.map(lambda v: Probe(kind, **{which: v}))

    kinds = [k for k in facts.kinds if k in CATALOGUE]
    return st.sampled_from(kinds).flatmap(with_parameter)


#: Memory limits :func:`policy_strategy` draws from (those decisive for the spec's sizes).
MEMORY_LIMITS = tuple(m * 2**20 for m in (16, 32, 48, 96, 256, 512))


def policy_strategy(spec, *, name: str = "drawn"):
    """A Hypothesis strategy for policies of ``spec`` that runc can run here: any seccomp
    rules, capabilities, masked and read-only paths; a mount namespace plus any others but a
    user namespace; a pids limit of 8–64 and a memory limit of :data:`MEMORY_LIMITS`. Only
    policies for which the spec's predicates ``Runnable`` and ``Decisive`` (when it declares
    them) hold are drawn, so every verdict is observable."""
    from hypothesis import strategies as st
    facts = spec if isinstance(spec, SpecFacts) else SpecFacts.of(spec)
    mount = [n for n in facts.namespaces if facts.oci_ns[n] == "mount"]
    optional = [n for n in facts.namespaces if facts.oci_ns[n] not in ("mount", "user")]
    filters = [d for n in ("Runnable", "Decisive")
               if (d := facts.spec.definitions.get(n)) is not None and len(d.params) == 1]

    def subsets(xs):
        return st.frozensets(st.sampled_from(xs)) if xs else st.just(frozenset())

    def admissible(p: Policy) -> bool:
        return all(_holds(facts, d, p) for d in filters)

    return st.builds(Policy, name=st.just(name), errno=subsets(facts.syscalls),
                     kill=subsets(facts.syscalls), caps=subsets(facts.caps),
                     namespaces=subsets(optional).map(lambda ns: ns | frozenset(mount)),
                     masked=subsets(facts.paths), readonly=subsets(facts.paths),
                     memory=st.sampled_from(MEMORY_LIMITS),
                     pids=st.integers(8, 64)).filter(admissible)


def _holds(facts: SpecFacts, definition, policy: Policy) -> bool:
    """Whether the spec's one-parameter predicate ``definition`` holds for ``policy``
    (evaluated exactly, in Python: it only filters the inputs of the observation)."""
    from ...machines.evaluate import Record, compile_expr
    value = Record(name=policy.name, errno=policy.errno, kill=policy.kill, caps=policy.caps,
                   namespaces=policy.namespaces, masked=policy.masked,
                   readonly=policy.readonly, memory=Fraction(policy.memory), pids=policy.pids)
    return bool(compile_expr(definition.body, facts.spec)({definition.params[0][0]: value}))


def all_probes(facts: SpecFacts, policy: Policy | None = None, *, max_tasks: int = 48
               ) -> list[Probe]:
    """Every probe :func:`probe_strategy` can draw, except Spawn: 1 process and the two sides
    of the policy's pids limit (``pids - 1`` and ``pids``), or ``max_tasks`` when the limit is
    above it."""
    out: list[Probe] = []
    for k in facts.kinds:
        if k not in CATALOGUE:
            continue
        if k in ("Read", "Write"):
            out += [Probe(k, path=p) for p in (facts.read_paths if k == "Read"
                                               else facts.write_paths)]
        elif k == "Alloc":
            out += [Probe(k, memory=m) for m in facts.alloc_sizes]
        elif k == "SharesHost":
            out += [Probe(k, ns=n) for n in facts.namespaces]
        elif k == "Spawn":
            edge = policy.pids if policy is not None else max_tasks
            counts = {1, edge - 1, edge} if edge <= max_tasks else {1, max_tasks}
            out += [Probe(k, tasks=n) for n in sorted(counts) if n > 0]
        else:
            out.append(Probe(k))
    return out
