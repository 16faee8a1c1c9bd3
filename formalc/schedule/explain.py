"""Why a placement problem has no solution, in words a person uses, and what would fix it.

:func:`explain_infeasible` first runs cheap structural checks — a service no node admits, more
replicas than admitting nodes, replicas stranded by a failure with nowhere to go, a class of
services that needs more of a resource than the nodes it may use have in all — then asks the
tracked Z3 model (:mod:`.feasible`) for an unsat core, minimises it by deletion and turns it
into sentences that name services, nodes, quantities with units and the spec lines (from each
piece's :class:`~formalc.schedule.problem.Loc`). Last come the smallest relaxations: minimal
correction sets over the relaxable groups, each with its amount (how many replicas fewer, how
much capacity of which dimension on which node), applied and re-solved before it is offered.

>>> exp = explain_infeasible(problem)            # doctest: +SKIP
>>> exp.reasons[0].message                       # doctest: +SKIP
'service camera-analytics needs 2 replicas on distinct nodes with `security` (n.trust ≥ s.minTrust,
specs/plant.iot:14); only e3 qualifies'
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from .feasible import (SAT, UNKNOWN, UNSAT, Deadline, Model, Obstacle, capacity,
                       corrections, demand, find_placement, includes, kept_load, minimise_core,
                       normalise_fixed, obstacles, class_holds)
from .evaluate import evaluate
from .problem import Loc, Problem
from .result import Explanation, Reason, Relaxation

__all__ = ["explain_infeasible", "unsat_core", "group_name", "apply_relaxation", "Core",
           "PlannedRelaxation"]


@dataclass
class PlannedRelaxation(Relaxation):
    """A :class:`Relaxation` that also carries its changes as data, so it can be re-applied
    (:func:`apply_relaxation`): ``("drop-requirement", r, i)``, ``("drop-affinity", k, p)``,
    ``("replicas", i, new)``, ``("capacity", j, d, "new capacity as a fraction string")``."""
    changes: tuple = ()
    score: float = field(default=0.0, compare=False)


@dataclass
class Core:
    """An unsat core of the tracked model: its group keys (see :mod:`.feasible`), their names,
    and whether deletion-based minimisation finished."""
    status: str                      # "unsat", or "sat"/"unknown" when there is no core
    groups: list[tuple] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    complete: bool = True


# ---------------------------------------------------------------------------------- words
def _s(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _q(p: Problem, d: int, v) -> str:
    dim = p.dims[d]
    return f"{dim.fmt(v)} {dim.name}"


def _v(p: Problem, d: int, v) -> str:
    """A value alone where its unit says what it is (16GiB), with the dimension otherwise."""
    dim = p.dims[d]
    return dim.fmt(v) if (dim.show or dim.unit) else f"{dim.fmt(v)} {dim.name}"


def _listing(names: list[str], limit: int = 8) -> str:
    if not names:
        return "none"
    if len(names) > limit:
        return ", ".join(names[:limit - 1]) + f", … ({len(names)} in all)"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _nodes(p: Problem, js) -> str:
    js = list(js)
    if len(js) == p.n_nodes > 8 and len(set(js)) == len(js):
        return f"all {p.n_nodes} nodes"
    return _listing([p.nodes[j].name for j in js])


def _svcs(p: Problem, iz) -> str:
    return _listing([p.services[i].name for i in iz])


def _req(p: Problem, r: int) -> str:
    req = p.requirements[r] if 0 <= r < len(p.requirements) else None
    if req is None:
        return f"requirement #{r}"
    bits = [b for b in (req.loc.text, req.loc.where()) if b]
    return f"`{req.name}` ({', '.join(bits)})" if bits else f"`{req.name}`"


def _rule(p: Problem, k: int) -> str:
    rule = p.affinities[k]
    bits = [b for b in (rule.loc.text, rule.loc.where()) if b]
    return f"`{rule.name}` ({', '.join(bits)})" if bits else f"`{rule.name}`"


def _locs(*locs: Loc) -> list[Loc]:
    out: list[Loc] = []
    for loc in locs:
        if loc is not None and loc.line is not None and loc not in out:
            out.append(loc)
    return out


def _req_loc(p: Problem, r: int) -> Loc | None:
    return p.requirements[r].loc if 0 <= r < len(p.requirements) else None


def group_name(p: Problem, key: tuple) -> str:
    """A constraint group's readable name, e.g. ``capacity:e3:memory``."""
    kind = key[0]
    if kind in ("replicas", "distinct", "keep"):
        return f"{kind}:{p.services[key[1]].name}"
    if kind == "req":
        r = key[1]
        name = p.requirements[r].name if 0 <= r < len(p.requirements) else f"#{r}"
        return f"requirement:{name}:{p.services[key[2]].name}"
    if kind == "cap":
        return f"capacity:{p.nodes[key[1]].name}:{p.dims[key[2]].name}"
    rule = p.affinities[key[1]]
    a, b = rule.pairs[key[2]]
    return f"{kind}:{rule.name}:{p.services[a].name}:{p.services[b].name}"


def _blockers(p: Problem, i: int, nodes) -> tuple[dict[int, list[int]], list[int]]:
    """Which requirements rule service ``i`` out of which of ``nodes``, and which of the
    others are too small for one replica."""
    by_req: dict[int, list[int]] = {}
    small = []
    for j in nodes:
        for r in sorted(p.blocked[i][j]):
            by_req.setdefault(r, []).append(j)
        if not p.blocked[i][j] and not p.fits_alone(i, j):
            small.append(j)
    return by_req, small


def _short_dims(p: Problem, i: int, js) -> list[int]:
    return [d for d in range(len(p.dims)) if any(demand(p, i, d) > capacity(p, j, d) for j in js)]


def _with_clause(p: Problem, i: int, reqs, small) -> str:
    """" with `security` (…) and room for 24GiB memory": what a qualifying node must offer."""
    parts = [_req(p, r) for r in reqs]
    if small:
        dims = _short_dims(p, i, small)
        parts.append(f"room for {_q(p, dims[0], demand(p, i, dims[0]))}" if len(dims) == 1
                     else "room for one replica")
    return " with " + " and ".join(parts) if parts else ""


# ---------------------------------------------------------------------------------- structure
@dataclass
class _Finding:
    reason: Reason
    services: frozenset = frozenset()
    nodes: frozenset = frozenset()            # nodes whose capacity it speaks of

    def covers(self, key: tuple) -> bool:
        if key[0] in ("replicas", "distinct", "keep"):
            return key[1] in self.services
        if key[0] == "req":
            return key[2] in self.services
        if key[0] == "cap":
            return key[1] in self.nodes
        return False


def _structural(p: Problem, fx) -> list[_Finding]:
    """The counting arguments of :func:`.feasible.obstacles`, in words."""
    render = {"no-nodes": _no_nodes, "no-node": _no_node, "few-nodes": _few_nodes,
              "stranded": _stranded, "count": _pigeonhole, "volume": _pigeonhole}
    return [render[ob.kind](p, fx, ob) for ob in obstacles(p, fx)]


def _no_nodes(p: Problem, fx, ob: Obstacle) -> _Finding:
    live = ob.services
    who = (f"service {p.services[live[0]].name} needs {_s(int(ob.need), 'replica')}"
           if len(live) == 1 else f"{len(live)} services need {ob.need} replicas in all")
    return _Finding(Reason(f"the schedule has no nodes, but {who}", _locs(p.loc)),
                    frozenset(live))


def _few_nodes(p: Problem, fx, ob: Obstacle) -> _Finding:
    i = ob.services[0]
    s = p.services[i]
    by_req, small = _blockers(p, i, range(p.n_nodes))
    msg = (f"service {s.name} needs {s.replicas} replicas on distinct nodes"
           f"{_with_clause(p, i, sorted(by_req), small)}; only {_nodes(p, ob.nodes)} "
           f"qualif{'ies' if len(ob.nodes) == 1 else 'y'}")
    locs = _locs(s.loc, *(_req_loc(p, r) for r in sorted(by_req)))
    return _Finding(Reason(msg, locs), frozenset({i}), frozenset(small))


def _no_node(p: Problem, fx, ob: Obstacle) -> _Finding:
    i = ob.services[0]
    s = p.services[i]
    by_req, small = _blockers(p, i, range(p.n_nodes))
    dims = _short_dims(p, i, small)
    if not by_req and len(dims) == 1:
        d = dims[0]
        big = max(range(p.n_nodes), key=lambda j: (capacity(p, j, d), -j))
        msg = (f"service {s.name} fits no node: it needs {_q(p, d, demand(p, i, d))}; the "
               f"largest node, {p.nodes[big].name}, has {_v(p, d, capacity(p, big, d))}")
        locs = _locs(s.loc, p.nodes[big].loc)
    else:
        parts = [f"{_req(p, r)} rules out {_nodes(p, js)}" for r, js in sorted(by_req.items())]
        for d in dims:
            js = [j for j in small if demand(p, i, d) > capacity(p, j, d)]
            have = _listing([f"{p.nodes[j].name} ({_q(p, d, capacity(p, j, d))})"
                             for j in js])
            parts.append(f"it needs {_q(p, d, demand(p, i, d))}, more than {have} "
                         f"{'has' if len(js) == 1 else 'have'}")
        msg = f"service {s.name} fits no node: " + "; ".join(parts)
        locs = _locs(s.loc, *(_req_loc(p, r) for r in sorted(by_req)))
    return _Finding(Reason(msg, locs), frozenset({i}), frozenset(small))


def _stranded(p: Problem, fx, ob: Obstacle) -> _Finding:
    """Replicas that must be placed beside the pinned ones, with too few places left."""
    i = ob.services[0]
    s, cnt = p.services[i], fx.get(i, Counter())
    parts = []
    for j, room, d, free in ob.holds:
        if room < 0:
            parts.append(f"{p.nodes[j].name} already runs it")
        elif room == 0 and d is not None:
            there = [o for o in sorted(fx) if fx[o].get(j)]
            beside = f" beside {_svcs(p, there)}" if there else ""
            parts.append(f"{p.nodes[j].name} has {_q(p, d, free)} free{beside}, it needs "
                         f"{_q(p, d, demand(p, i, d))}")
    by_req, small = _blockers(p, i, range(p.n_nodes))
    parts += [f"{_req(p, r)} rules out {_nodes(p, js)}" for r, js in sorted(by_req.items())]
    if small:
        parts.append(f"{_nodes(p, small)} {'is' if len(small) == 1 else 'are'} too small")
    need, spots = int(ob.need), int(ob.have)
    stay = sorted(j for j in cnt if isinstance(j, int) and 0 <= j < p.n_nodes)
    where = f" besides those that stay on {_nodes(p, stay)}" if stay else ""
    head = (f"service {s.name} has {_s(need, 'replica')} to place{where}"
            + (f", but there is room for {spots}" if spots else
               f"; no node can take {'it' if need == 1 else 'them'}"))
    msg = head + (": " + "; ".join(parts) if parts else "")
    locs = _locs(s.loc, *(_req_loc(p, r) for r in sorted(by_req)))
    return _Finding(Reason(msg, locs), frozenset({i}) | frozenset(fx),
                    frozenset(range(p.n_nodes)))


def _holds_text(p: Problem, holds) -> str:
    groups: dict[tuple, list[int]] = {}
    for j, h, d, least, free in sorted(holds):
        cap = capacity(p, j, d) if d is not None else None
        groups.setdefault((h, d, least, cap, free), []).append(j)
    parts = []
    for (h, d, least, cap, free), js in sorted(groups.items(), key=lambda g: (g[0][0], g[1])):
        each = " each" if len(js) > 1 else ""
        text = f"{_nodes(p, js)} {'hold' if each else 'holds'} at most {h}{each}"
        if d is not None:
            room = (f"{_q(p, d, cap)}{each}" if free == cap else
                    f"{_q(p, d, max(free, Fraction(0)))} free{each} beside the replicas "
                    f"that stay")
            text += f" ({room}; a replica needs at least {_q(p, d, least)})"
        parts.append(text)
    return "; ".join(parts)


def _who(p: Problem, cls) -> str:
    return (f"service {p.services[cls[0]].name}" if len(cls) == 1
            else f"services {_svcs(p, cls)}")


def _shares(p: Problem, cls, d: int, limit: int = 5) -> list[str]:
    """"b 2 × 12GiB" per service, the largest first when there are many."""
    order = sorted(cls, key=lambda i: (-p.services[i].replicas * demand(p, i, d), i)) \
        if len(cls) > limit else list(cls)
    parts = [f"{p.services[i].name} {p.services[i].replicas} × {_v(p, d, demand(p, i, d))}"
             if p.services[i].replicas > 1 else
             f"{p.services[i].name} {_v(p, d, demand(p, i, d))}" for i in order[:limit]]
    if len(cls) > limit:
        parts.append(f"{len(cls) - limit} more")
    return parts


def _pigeonhole(p: Problem, fx, ob: Obstacle) -> _Finding:
    """A class of services whose admitting nodes are too few (count) or too small (volume)."""
    cls, nodes = ob.services, ob.nodes
    if ob.kind == "count":
        head = f"{_who(p, cls)} need{'s' if len(cls) == 1 else ''} {_s(int(ob.need), 'replica')}"
        tail = _holds_text(p, ob.holds)
    else:
        d = ob.dim
        parts = _shares(p, cls, d)
        if ob.others:
            parts.append(f"{_v(p, d, ob.others)} held by replicas that stay")
        verb = "needs" if len(cls) == 1 else "together need"
        head = f"{_who(p, cls)} {verb} {_q(p, d, ob.need + ob.others)} ({', '.join(parts)})"
        tail = (f"{'it has' if len(nodes) == 1 else 'they have'} {_v(p, d, ob.have)}"
                + (" in all" if len(nodes) > 1 else ""))
    reqs: set[int] = set()
    if len(nodes) == p.n_nodes:
        where = ""
        if ob.kind == "volume":
            tail = (f"the only node has {_v(p, ob.dim, ob.have)}" if p.n_nodes == 1 else
                    f"all {p.n_nodes} nodes have {_v(p, ob.dim, ob.have)} in all")
    else:
        reqs = {r for i in cls for j in range(p.n_nodes) if j not in nodes
                for r in p.blocked[i][j]}
        small = any(not p.blocked[i][j] and not p.fits_alone(i, j)
                    for i in cls for j in range(p.n_nodes) if j not in nodes)
        why = [_req(p, r) for r in sorted(reqs)] + (["their size"] if small else [])
        by = f" (by {' and '.join(why)})" if why else ""
        where = f" and can only run on {_nodes(p, nodes)}{by}"
    msg = f"{head}{where}; {tail}" if ob.kind == "volume" else f"{head}{where}, but {tail}"
    locs = _locs(*(p.services[i].loc for i in cls), *(_req_loc(p, r) for r in sorted(reqs)))
    return _Finding(Reason(msg, locs), frozenset(cls) | frozenset(fx), frozenset(nodes))


# ---------------------------------------------------------------------------------- the core
_MAX_SERVICE_SENTENCES = 8


def _core_reasons(p: Problem, core: list[tuple], fx) -> list[Reason]:
    keys = set(core)
    caps = sorted(k[1:] for k in core if k[0] == "cap")
    out: list[Reason] = []
    plain: list[int] = []               # services the core only asks to run, nothing more
    qualified: dict[int, list[int]] = {}
    kept_only: list[tuple[int, list[int]]] = []    # services the core only keeps in place
    mentioned = sorted({k[1] for k in core if k[0] in ("replicas", "distinct", "keep")} |
                       {k[2] for k in core if k[0] == "req"})
    for i in mentioned:
        s = p.services[i]
        reqs = sorted(k[1] for k in core if k[0] == "req" and k[2] == i)
        stay = sorted(j for j in fx.get(i, {}) if isinstance(j, int) and 0 <= j < p.n_nodes)
        locs = _locs(s.loc, *(_req_loc(p, r) for r in reqs))
        qual, small = [], []
        for j in range(p.n_nodes):
            if any(r in p.blocked[i][j] for r in reqs):
                continue
            if any(jj == j and demand(p, i, d) > capacity(p, j, d) for jj, d in caps):
                small.append(j)
            else:
                qual.append(j)
        qualified[i] = qual
        if ("replicas", i) in keys and s.replicas < 0:
            msg = f"service {s.name} asks for {s.replicas} replicas; no placement has fewer than 0"
        elif ("replicas", i) in keys:
            msg = f"service {s.name} needs {_s(s.replicas, 'replica')}"
            if ("distinct", i) in keys:
                msg += " on distinct nodes"
            msg += _with_clause(p, i, reqs, small)
            if reqs or small:
                msg += ("; no node qualifies" if not qual else
                        f"; only {_nodes(p, qual)} qualif{'ies' if len(qual) == 1 else 'y'}")
            if ("keep", i) in keys and stay:
                msg += f"; its replicas on {_nodes(p, stay)} stay"
            if msg == f"service {s.name} needs {_s(s.replicas, 'replica')}":
                plain.append(i)
                continue
        elif ("keep", i) in keys:
            kept_only.append((i, stay))
            continue
        else:
            msg = "; ".join(f"{_req(p, r)} keeps {s.name} off "
                            f"{_nodes(p, [j for j in range(p.n_nodes) if r in p.blocked[i][j]])}"
                            for r in reqs)
        out.append(Reason(msg, locs))
    if len(out) > _MAX_SERVICE_SENTENCES:
        more = len(out) - _MAX_SERVICE_SENTENCES + 1
        out = out[:_MAX_SERVICE_SENTENCES - 1] + [Reason(f"… and {more} more services with "
                                                         f"restrictions like these")]
    if caps:
        out.append(_capacity_reason(p, core, caps, fx, plain, qualified))
    elif plain:
        out.insert(0, Reason(f"{_who(p, plain)} need{'s' if len(plain) == 1 else ''} "
                             f"{_s(sum(p.services[i].replicas for i in plain), 'replica')}",
                             _locs(*(p.services[i].loc for i in plain))))
    if kept_only:
        out.append(Reason("the replicas that stay put: " + _listing(
            [f"{p.services[i].name} on {_nodes(p, stay)}" for i, stay in kept_only]),
            _locs(*(p.services[i].loc for i, _ in kept_only))))
    for key in core:
        if key[0] in ("near", "apart"):
            rule = p.affinities[key[1]]
            a, b = (p.services[x].name for x in rule.pairs[key[2]])
            if key[0] == "near":
                msg = f"rule {_rule(p, key[1])} puts every replica of {a} on a node running {b}"
            elif a == b:
                msg = f"rule {_rule(p, key[1])} keeps {a} off every node"
            else:
                msg = f"rule {_rule(p, key[1])} keeps {a} and {b} off the same node"
            out.append(Reason(msg, _locs(rule.loc)))
    return out


def _capacity_reason(p: Problem, core, caps, fx, plain, qualified) -> Reason:
    """The capacity part of a core, by volume or by count where the numbers show it, else as
    the nodes the replicas cannot be packed into."""
    keys = set(core)
    cls = [i for i in range(p.n_services) if ("replicas", i) in keys]
    cap_nodes = sorted({j for j, _ in caps})
    node_locs = _locs(*(p.nodes[j].loc for j in cap_nodes))
    svc_locs = _locs(*(p.services[i].loc for i in plain))
    inside = cls and all(set(qualified.get(i, ())) <= set(cap_nodes) for i in cls)
    total = sum(p.services[i].replicas for i in cls)
    who = f"{_who(p, cls)} need{'s' if len(cls) == 1 else ''}" if cls else ""
    if inside:
        dims_at: dict[int, list[int]] = {}
        for j, d in caps:
            dims_at.setdefault(j, []).append(d)
        for d in sorted({d for _, d in caps}):
            nodes = [j for j in cap_nodes if d in dims_at[j]]
            if set(nodes) != set(cap_nodes):
                continue
            need = sum((p.services[i].replicas * demand(p, i, d) for i in cls), Fraction(0))
            need += sum((c * demand(p, o, d) for o, cnt in fx.items() if o not in cls
                         for j, c in cnt.items() if j in nodes), Fraction(0))
            have = sum((capacity(p, j, d) for j in nodes), Fraction(0))
            if need > have:
                return Reason(f"{who} {_q(p, d, need)} in all where they may run, but "
                              f"{_nodes(p, nodes)} {'has' if len(nodes) == 1 else 'have'} "
                              f"{_v(p, d, have)}", svc_locs + node_locs)
        kept = kept_load(p, fx)
        holds = [class_holds(p, fx, kept, cls, [j], dims_at[j])[0] for j in cap_nodes]
        if sum(h[1] for h in holds) < total:
            return Reason(f"{who} {_s(total, 'replica')}, but {_holds_text(p, holds)}",
                          svc_locs + node_locs)
    per_node: dict[int, list[int]] = {}
    for j, d in caps:
        per_node.setdefault(j, []).append(d)
    shown = [f"{p.nodes[j].name} ({', '.join(_q(p, d, capacity(p, j, d)) for d in ds)})"
             for j, ds in sorted(per_node.items())]
    what = f"the replicas of {_svcs(p, cls)}" if cls else "these replicas"
    return Reason(f"no packing of {what} fits {_listing(shown)}", svc_locs + node_locs)


def unsat_core(problem: Problem, *, fixed=None, time_limit: float = 10.0) -> Core:
    """A minimised unsat core of ``problem`` (with ``fixed`` replicas pinned)."""
    dl = Deadline(time_limit)
    model = Model(problem, fixed=fixed, tracked=True)
    return _core(problem, model, dl)


def _core(p: Problem, model: Model, dl: Deadline) -> Core:
    status, placement, core = model.check(timeout=dl.left())
    if status == SAT and not (evaluate(p, placement).valid and includes(placement, model.fixed)):
        return Core(UNKNOWN)         # an encoding fault must never pass as feasible
    if status != UNSAT:
        return Core(status)
    if any(k[0] == "cap" for k in core):
        # a conflict that needs no capacity reads better (counts, requirements, rules):
        # look for one first, since minimisation only ever shrinks the core it starts from
        st, _, other = model.check({k for k in model.groups if k[0] != "cap"},
                                   timeout=dl.share(0.2))
        if st == UNSAT:
            core = other
    keys, complete = minimise_core(model, core, dl)
    return Core(UNSAT, keys, [group_name(p, k) for k in keys], complete)


# ---------------------------------------------------------------------------------- relaxations
def _dropped(p: Problem, keys) -> Problem:
    reqs = [k for k in keys if k[0] == "req"]
    pairs = {(k[1], k[2]) for k in keys if k[0] in ("near", "apart")}
    blocked = [[set(cell) for cell in row] for row in p.blocked]
    for _, r, i in reqs:
        for cell in blocked[i]:
            cell.discard(r)
    rules = [dataclasses.replace(rule, pairs=tuple(pr for q, pr in enumerate(rule.pairs)
                                                   if (k, q) not in pairs))
             for k, rule in enumerate(p.affinities)]
    return dataclasses.replace(p, blocked=[[frozenset(c) for c in row] for row in blocked],
                               affinities=rules)


def _with_capacity(p: Problem, j: int, d: int, value: Fraction) -> Problem:
    n = p.nodes[j]
    cap = list(n.cap) + [Fraction(0)] * (len(p.dims) - len(n.cap))
    cap[d] = value
    nodes = list(p.nodes)
    nodes[j] = dataclasses.replace(n, cap=tuple(cap))
    return dataclasses.replace(p, nodes=nodes)


def apply_relaxation(problem: Problem, relaxation: PlannedRelaxation) -> Problem:
    """``problem`` with a planned relaxation's changes made."""
    p = _dropped(problem, [("req", c[1], c[2]) if c[0] == "drop-requirement" else
                           ("near", c[1], c[2]) for c in relaxation.changes
                           if c[0] in ("drop-requirement", "drop-affinity")])
    for c in relaxation.changes:
        if c[0] == "replicas":
            p = p.with_replicas({c[1]: c[2]})
        elif c[0] == "capacity":
            p = _with_capacity(p, c[1], c[2], Fraction(c[3]))
    return p


def _plan(p: Problem, fx, mcs: frozenset, dl: Deadline) -> PlannedRelaxation | None:
    """Turn a correction set into amounts, apply them, and keep the result only if the
    relaxed problem is feasible."""
    order = {"req": 0, "near": 0, "apart": 0, "replicas": 1, "cap": 2}
    keys = sorted(mcs, key=lambda k: (order[k[0]], k))
    q = _dropped(p, [k for k in keys if order[k[0]] == 0])
    changes, pieces, score = [], [], 0.0
    for k in keys:
        if k[0] == "req":
            changes.append(("drop-requirement", k[1], k[2]))
            s = p.services[k[2]].name
            pieces.append(("drop-requirement", p.requirements[k[1]].name, f"for {s}",
                           f"let {s} run without {_req(p, k[1])}", _locs(_req_loc(p, k[1]))))
            score += 1
        elif k[0] in ("near", "apart"):
            changes.append(("drop-affinity", k[1], k[2]))
            rule = p.affinities[k[1]]
            a, b = (p.services[x].name for x in rule.pairs[k[2]])
            how = f"{a} near {b}" if k[0] == "near" else f"{a} apart from {b}"
            pieces.append(("drop-affinity", rule.name, how,
                           f"drop rule {_rule(p, k[1])} for {a} and {b}", _locs(rule.loc)))
            score += 1
    rest = [k for k in keys if order[k[0]] > 0]
    for n, k in enumerate(rest):
        model = Model(q, fixed=fx, tracked=True)
        active = set(model.groups) - set(rest[n:])
        if k[0] == "replicas":
            i, r = k[1], q.services[k[1]].replicas
            st, v = model.optimum(active, model.replicas_of(i), True, dl.share(0.5))
            if st != SAT or v >= r:
                return None
            q = q.with_replicas({i: v})
            changes.append(("replicas", i, v))
            name = p.services[i].name
            pieces.append(("lower-replicas", name, f"{r} → {v}",
                           f"run {name} with {_s(v, 'replica')} instead of {r}" if v else
                           f"leave {name} out (0 replicas instead of {r})",
                           _locs(p.services[i].loc)))
            score += (r - v) / r if v else 2.0     # dropping a service is the last resort
        else:
            j, d = k[1], k[2]
            st, v = model.optimum(active, model.load(j, d), False, dl.share(0.5))
            old = capacity(q, j, d)
            new = Fraction(v) / model.scale[d] if st == SAT else None
            if new is None or new <= old:
                return None
            q = _with_capacity(q, j, d, new)
            changes.append(("capacity", j, d, str(new)))
            pieces.append(("add-capacity", p.nodes[j].name, [(d, old, new)], "",
                           _locs(p.nodes[j].loc)))
            score += float((new - old) / old) if old > 0 else 1.0
    st, _ = find_placement(q, fixed=fx, time_limit=dl.share(0.5))
    if st != SAT:
        return None
    pieces = _merge_capacity(p, pieces)
    kinds = list(dict.fromkeys(pc[0] for pc in pieces))
    return PlannedRelaxation(
        message=" and ".join(pc[3] for pc in pieces), kind="+".join(kinds),
        subject="; ".join(pc[1] for pc in pieces), amount="; ".join(pc[2] for pc in pieces),
        locs=[loc for pc in pieces for loc in pc[4]], changes=tuple(changes),
        score=len(pieces) + score / (len(pieces) + 1))


def _merge_capacity(p: Problem, pieces):
    """Capacity added to one node, in one or several dimensions, reads as one change."""
    out, at = [], {}
    for pc in pieces:
        if pc[0] != "add-capacity":
            out.append(pc)
        elif pc[1] in at:
            out[at[pc[1]]][2].extend(pc[2])
        else:
            at[pc[1]] = len(out)
            out.append((pc[0], pc[1], list(pc[2]), "", pc[4]))
    for k, pc in enumerate(out):
        if pc[0] == "add-capacity":
            node, adds = pc[1], pc[2]
            amount = " and ".join(f"+{_q(p, d, new - old)}" for d, old, new in adds)
            what = " and ".join(f"{_q(p, d, new - old)} ({_v(p, d, old)} → "
                                f"{_v(p, d, new)})" for d, old, new in adds)
            out[k] = (pc[0], node, f"{amount} on {node}", f"add {what} to {node}", pc[4])
    return out


# ---------------------------------------------------------------------------------- front
def explain_infeasible(problem: Problem, time_limit: float = 10.0, *, fixed=None,
                       known_infeasible: bool = False,
                       max_relaxations: int = 6) -> Explanation | None:
    """Why ``problem`` (with the replicas in ``fixed`` pinned) has no placement, or ``None``
    when it has one. ``known_infeasible``: the caller has proved it already (skips the search
    for a placement). When neither a placement nor a proof of infeasibility is found in time,
    the explanation says so and has ``complete=False`` and no core."""
    dl = Deadline(time_limit)
    fx = normalise_fixed(problem, fixed)
    findings = _structural(problem, fx)
    proved = known_infeasible or bool(findings)
    if not proved:
        status, _ = find_placement(problem, fixed=fx, time_limit=dl.share(0.3))
        if status == SAT:
            return None
        proved = status == UNSAT
    reasons = [f.reason for f in findings]
    model = Model(problem, fixed=fx, tracked=True)
    core = _core(problem, model, Deadline(dl.share(0.5)))
    if core.status == SAT:
        return None                  # a placement the evaluator accepts: feasible after all
    if core.status == UNKNOWN:
        if not reasons:
            reasons = [Reason("no placement exists, but the conflict could not be narrowed "
                              "down within the time limit" if proved else
                              "no placement was found within the time limit, and none was "
                              "proved impossible", _locs(problem.loc))]
        return Explanation(reasons, complete=False)
    covered = all(any(f.covers(k) for f in findings) for k in core.groups)
    if not findings or (core.complete and not covered):
        reasons += _core_reasons(problem, core.groups, fx)
    found, _ = corrections(model, core.groups, Deadline(dl.share(0.6)))
    plans = []
    for mcs in found:
        if dl.expired() or len(plans) >= max_relaxations:
            break
        plan = _plan(problem, fx, mcs, dl)
        if plan is not None:
            plans.append(plan)
    plans.sort(key=lambda r: r.score)
    return Explanation(reasons, plans, core.names, core.complete)
