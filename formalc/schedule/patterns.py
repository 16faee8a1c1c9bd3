"""Exact-fill patterns: when the volume bound is tight, every used node is (nearly) full.

On ``K`` identical nodes of capacity ``C``, a placement that uses exactly ``K`` nodes wastes
in dimension ``d`` exactly ``slack[d] = K·C[d] − Σ demand[d]`` in total, so each node's load
lies in ``[C[d] − slack[d], C[d]]`` in every dimension. When the slack is small those node
contents — *patterns* — are few. :func:`enumerate_patterns` lists them all (a depth-first
search that, once at most one more service can fit, looks the completing service up in a
sorted index instead of trying every one), and :func:`cover` asks Z3 for ``K`` patterns
that hold every replica exactly (set partitioning). Both outcomes are proofs:

* a cover is a placement on ``K`` nodes — optimal, since ``K`` is a lower bound;
* no cover, with the enumeration complete, proves that ``K`` nodes do not suffice.

The technique applies only where its argument holds: the level is the node count alone and
all nodes are interchangeable; it gives up (``None``) when the patterns are too many.
"""
from __future__ import annotations

import bisect
import time

import z3

from .engine_model import Model


def applicable(m: Model, k: int) -> bool:
    lv = m.levels[k]
    return (k == 0 and lv.wn > 0 and not lv.has_lin and not any(w for w, _ in lv.peaks)
            and len(m.classes) == 1 and m.N > 0)


def enumerate_patterns(m: Model, K: int, deadline: float, limit: int = 20000):
    """All node contents (tuples of (service, copies)) compatible with using exactly K
    nodes; [] when K is below the volume bound; None when over ``limit`` or the deadline."""
    C = m.cap[0]
    D = m.D
    total = [sum(m.dem[i][d] * m.reps[i] for i in range(m.S)) for d in range(D)]
    slack = [K * C[d] - total[d] for d in range(D)]
    if any(s < 0 for s in slack):
        return []
    lo = [C[d] - slack[d] for d in range(D)]
    items = [i for i in range(m.S) if m.reps[i]]
    norm = [max((m.dem[i][d] / C[d] for d in range(D) if C[d]), default=0.0) for i in range(m.S)]
    items.sort(key=lambda i: -norm[i])
    mult = {i: 1 if m.spread[i] else m.reps[i] for i in items}
    n = len(items)
    # suffix sums (with multiplicity) for the "can still reach the lower end" test
    suffix = [[0] * D for _ in range(n + 1)]
    for p in range(n - 1, -1, -1):
        i = items[p]
        suffix[p] = [suffix[p + 1][d] + m.dem[i][d] * mult[i] for d in range(D)]
    suffix_min = [[float("inf")] * D for _ in range(n + 1)]
    for p in range(n - 1, -1, -1):
        i = items[p]
        suffix_min[p] = [min(suffix_min[p + 1][d], m.dem[i][d]) for d in range(D)]
    # index on the most discriminating dimension for the completing-item lookup
    key_d = max(range(D), key=lambda d: (C[d] and -slack[d] / C[d], d))
    by_key = sorted((m.dem[items[p]][key_d], p) for p in range(n))
    keys = [v for v, _ in by_key]
    out: list[tuple] = []
    state = {"nodes": 0, "dead": False}

    def ok_affinity(chosen) -> bool:
        there = {i for i, _ in chosen}
        for a in there:
            if any(b not in there for b in m.near[a]) or (m.apart[a] & there):
                return False
        return True

    def emit(chosen):
        if ok_affinity(chosen):
            out.append(tuple(chosen))
            if len(out) > limit:
                state["dead"] = True

    def full(load) -> bool:
        return all(load[d] >= lo[d] for d in range(D))

    def dfs(p, load, chosen):
        state["nodes"] += 1
        if state["nodes"] % 4096 == 0 and time.perf_counter() > deadline:
            state["dead"] = True
        if state["dead"]:
            return
        if chosen and full(load):
            emit(chosen)
        if p >= n:
            return
        if any(load[d] + suffix[p][d] < lo[d] for d in range(D)):
            return
        room = [C[d] - load[d] for d in range(D)]
        if any(room[d] < 2 * suffix_min[p][d] for d in range(D)):
            # at most one more service fits: look the completing one up
            need_lo = lo[key_d] - load[key_d]
            a = bisect.bisect_left(keys, need_lo)
            b = bisect.bisect_right(keys, room[key_d])
            for _v, q in by_key[a:b]:
                if q < p:
                    continue
                i = items[q]
                dm = m.dem[i]
                if all(load[d] + dm[d] <= C[d] and load[d] + dm[d] >= lo[d] for d in range(D)):
                    emit(chosen + [(i, 1)])
            return
        for q in range(p, n):
            i = items[q]
            dm = m.dem[i]
            if any(dm[d] > room[d] for d in range(D)):
                continue
            new = list(load)
            for c in range(1, mult[i] + 1):
                for d in range(D):
                    new[d] += dm[d]
                if any(new[d] > C[d] for d in range(D)):
                    break
                dfs(q + 1, new[:], chosen + [(i, c)])
                if state["dead"]:
                    return

    dfs(0, [0] * D, [])
    return None if state["dead"] else out


def cover(m: Model, patterns, K: int, timeout_s: float, seed: int = 0):
    """K patterns holding every replica exactly: ("sat", placement) | ("unsat", None) |
    ("unknown", reason)."""
    s = z3.SolverFor("QF_FD") if all(m.reps[i] <= 1 for i in range(m.S)) else z3.Solver()
    s.set("random_seed", seed)
    s.set("timeout", max(1, int(timeout_s * 1000)))
    single = isinstance(s, z3.Solver) and all(m.reps[i] <= 1 for i in range(m.S))
    ys = []
    for n, _p in enumerate(patterns):
        if single:
            ys.append(z3.Bool(f"y{n}"))
        else:
            y = z3.Int(f"y{n}")
            s.add(y >= 0, y <= K)
            ys.append(y)
    holds: dict[int, list] = {}
    for n, pat in enumerate(patterns):
        for i, c in pat:
            holds.setdefault(i, []).append((n, c))
    for i in range(m.S):
        if not m.reps[i]:
            continue
        terms = holds.get(i, [])
        if not terms:
            return "unsat", None
        if single:
            s.add(z3.PbEq([(ys[n], c) for n, c in terms], m.reps[i]))
        else:
            s.add(z3.Sum([ys[n] * c for n, c in terms]) == m.reps[i])
    if single:
        s.add(z3.PbEq([(y, 1) for y in ys], K))
    else:
        s.add(z3.Sum(ys) == K)
    r = s.check()
    if r == z3.unsat:
        return "unsat", None
    if r != z3.sat:
        return "unknown", s.reason_unknown()
    model = s.model()
    nodes = m.classes[0]
    where: list[list[int]] = [[] for _ in range(m.S)]
    slot = 0
    for n, pat in enumerate(patterns):
        v = model.eval(ys[n], model_completion=True)
        times = (1 if z3.is_true(v) else 0) if single else v.as_long()
        for _ in range(times):
            j = nodes[slot]
            slot += 1
            for i, c in pat:
                where[i].extend([j] * c)
    return "sat", tuple(tuple(sorted(w)) for w in where)
