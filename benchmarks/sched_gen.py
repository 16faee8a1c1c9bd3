"""Seeded, deterministic placement instances for the scheduling benchmark (issue 5).

Standard library only. An instance is a plain JSON-friendly dict::

    {"family": "triplet" | "edge", "name": str, "seed": int, "size": [S, N],
     "dims": ["cpu_m", "mem_mib", "storage_gib", "bw_mbps"],
     "nodes":    [{"name", "type", "cap": [4 ints], "latency_ms": int, "security": int}],
     "services": [{"name", "demand": [4 ints], "replicas": 1|2,
                   "sec_min": int, "sec_want": int}],
     "known_optimum": int | None,        # K* (triplet) — optimal node count
     "planted": [[node index, ...] per service]}   # a feasible placement (the witness)

A placement is a list, one entry per service, of the node indices of its replicas.
:func:`evaluate` is the independent checker every method's answer goes through.

Resource dimensions (all integers): cpu in millicores, memory in MiB, storage in GiB,
bandwidth in Mbps.

Triplet family (optimum known by construction)
----------------------------------------------
For size ``S×N``: ``K* = S // 3`` planted nodes, all with the same capacity
``CAP = (16000 m, 65536 MiB, 1000 GiB, 10000 Mbps)``. The capacity vector of each planted
node is split, independently in every dimension, into three positive integers each in
``[0.2·C, 0.5·C]`` that sum to ``C`` exactly; the 3·K* items are shuffled. The instance offers
``K* + ceil(K*/2)`` identical nodes (50 % slack: a non-optimal answer is possible, the gap is
measurable, and first-fit decreasing — which needs up to ≈1.4·K* here — still finds a
placement; with 25 % slack both baselines simply fail). The size's node count ``N`` is
therefore nominal for this family: the sizes 10×4, 30×10, 60×20, 120×40, 250×60 become
9 items / K*=3 of 5 nodes, 30 / 10 of 15, 60 / 20 of 30, 120 / 40 of 60, 249 / 83 of 125
(the last like Falkenauer's t249).
Every dimension sums to exactly K*·C, so the volume lower bound
``max_d ceil(Σ demand_d / C_d)`` equals K*, and the planted packing uses K* nodes: K* is
optimal. The generator asserts both. Objective: number of nodes used. Latency and security
play no part (latency 0, security 0, sec_min = sec_want = 0, one replica each).

Edge family (realistic fleet)
-----------------------------
Nodes of three types (counts: ≈20 % micro DC, ≈35 % edge server, the rest gateways; at least
one micro DC and one edge server):

    type         cpu_m          mem_mib          storage_gib   bw_mbps   latency_ms  security
    gateway      2000–4000      2048–8192        16–128        100–1000  1–4         1–2
    edge-server  8000–32000     16384–65536      256–2048      1000–10000 5–12       2–4
    micro-dc     64000–128000   262144–524288    4096–16384    10000–40000 15–35     4–5

Services: ``S`` of them; a fraction drawn in [0.20, 0.30] has 2 replicas (hard: on distinct
nodes), the rest 1. Each has a demand vector (one of four profiles: balanced, cpu-heavy,
memory-heavy, io-heavy), a hard minimum security ``sec_min`` ∈ 1..4 and a wanted level
``sec_want`` = sec_min + 0..1 (≤ 5). Demands are scaled, per dimension, so the fleet is about
55 % loaded, and the generator checks (and records in ``planted``) a feasible placement,
shrinking demands by 10 % and retrying until one is found.

Hard constraints: every replica on exactly one node; the replicas of a service on distinct
nodes; ``security(n) ≥ sec_min(s)`` for every replica of s on n; in every dimension d and node
n, Σ demand_d of the replicas on n ≤ cap_d(n).

Cost (minimised), with P the set of placements (replica r of service s on node n):

    cost = 4·L + 4·R·U + 2·Sh
    L  = Σ_{(s,r,n)∈P} latency(n) / LMAX            LMAX = max node latency of the instance
    R  = |P| = Σ_s replicas(s)                      (the number of placements)
    U  = max_{n, d} load_d(n) / cap_d(n)            peak utilisation over all nodes and dims,
                                                    in [0, 1]; load includes every replica
    Sh = Σ_{(s,r,n)∈P} max(0, sec_want(s) − security(n)) / 4

Every term is normalised so each placement contributes at most 1 to L and to Sh, and R·U is
on the same scale (R placements × a fraction): the three terms weigh as 4 : 4 : 2.
:func:`edge_lower_bound` gives a cheap valid lower bound on this cost.
"""
from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path

DIMS = ["cpu_m", "mem_mib", "storage_gib", "bw_mbps"]
SIZES = [(10, 4), (30, 10), (60, 20), (120, 40), (250, 60)]
TRIPLET_CAP = [16000, 65536, 1000, 10000]
SEC_MAX = 5
SHORT_NORM = 4           # largest possible shortfall (want 5, security 1)
W_LAT, W_UTIL, W_SEC = 4, 4, 2

NODE_TYPES = {  # name: (cpu, mem, storage, bw, latency, security) ranges
    "gateway": ((2000, 4000), (2048, 8192), (16, 128), (100, 1000), (1, 4), (1, 2)),
    "edge-server": ((8000, 32000), (16384, 65536), (256, 2048), (1000, 10000), (5, 12), (2, 4)),
    "micro-dc": ((64000, 128000), (262144, 524288), (4096, 16384), (10000, 40000),
                 (15, 35), (4, 5)),
}
PROFILES = {  # relative weight per dimension
    "balanced": (1.0, 1.0, 1.0, 1.0),
    "cpu-heavy": (3.0, 1.0, 0.5, 1.0),
    "memory-heavy": (1.0, 3.0, 1.0, 0.5),
    "io-heavy": (0.5, 1.0, 3.0, 3.0),
}


def size_label(s: int, n: int) -> str:
    return f"{s}x{n}"


def parse_size(text: str) -> tuple[int, int]:
    a, b = text.lower().split("x")
    return int(a), int(b)


# --------------------------------------------------------------------------- triplets
def _split3(rng: random.Random, c: int) -> list[int]:
    lo, hi = math.ceil(0.2 * c), math.floor(0.5 * c)
    while True:
        a, b = rng.randint(lo, hi), rng.randint(lo, hi)
        rest = c - a - b
        if lo <= rest <= hi:
            parts = [a, b, rest]
            rng.shuffle(parts)
            return parts


def volume_lower_bound(inst: dict) -> int:
    """max over dimensions of ceil(Σ demand_d / cap_d) — identical nodes only (triplets)."""
    cap = inst["nodes"][0]["cap"]
    assert all(n["cap"] == cap for n in inst["nodes"]), "volume bound needs identical nodes"
    best = 0
    for d in range(len(DIMS)):
        total = sum(s["demand"][d] * s["replicas"] for s in inst["services"])
        best = max(best, -(-total // cap[d]))
    return best


def triplet_instance(services: int, nodes: int, seed: int = 1) -> dict:
    rng = random.Random(f"triplet-{services}x{nodes}-{seed}")
    k = services // 3
    assert k >= 1, "a triplet instance needs at least 3 services"
    available = k + math.ceil(k / 2)
    items = []  # (demand, planted node)
    for node in range(k):
        cols = [_split3(rng, c) for c in TRIPLET_CAP]
        for j in range(3):
            items.append(([cols[d][j] for d in range(len(DIMS))], node))
    rng.shuffle(items)
    inst = {
        "family": "triplet", "name": f"triplet-{size_label(services, nodes)}-s{seed}",
        "seed": seed, "size": [services, nodes], "dims": list(DIMS),
        "nodes": [{"name": f"n{i}", "type": "std", "cap": list(TRIPLET_CAP), "latency_ms": 0,
                   "security": 0} for i in range(available)],
        "services": [{"name": f"s{i}", "demand": dem, "replicas": 1, "sec_min": 0,
                      "sec_want": 0} for i, (dem, _) in enumerate(items)],
        "known_optimum": k,
        "planted": [[node] for _, node in items],
    }
    # K* is optimal: the planted packing is feasible with K* nodes, each filled exactly,
    # and no packing can use fewer than the volume bound.
    ev = evaluate(inst, inst["planted"])
    assert ev["valid"] and ev["nodes_used"] == k, ev
    assert all(load == n["cap"] for load, n in zip(ev["loads"][:k], inst["nodes"]))
    assert volume_lower_bound(inst) == k
    return inst


# --------------------------------------------------------------------------- edge
def _node_counts(n: int) -> list[str]:
    mdc = max(1, round(0.2 * n))
    es = max(1, round(0.35 * n))
    gw = max(0, n - mdc - es)
    return ["micro-dc"] * mdc + ["edge-server"] * es + ["gateway"] * gw


def _witness(rng: random.Random, nodes: list[dict], services: list[dict]):
    """A randomised best-fit placement honouring every hard constraint, or None."""
    free = [list(n["cap"]) for n in nodes]
    order = sorted(range(len(services)), key=lambda i: (
        -services[i]["sec_min"], -max(services[i]["demand"][d] / nodes[0]["cap"][d]
                                      for d in range(len(DIMS)))))
    placement: list[list[int]] = [[] for _ in services]
    for i in order:
        s = services[i]
        for _ in range(s["replicas"]):
            cands = [j for j, n in enumerate(nodes)
                     if n["security"] >= s["sec_min"] and j not in placement[i]
                     and all(s["demand"][d] <= free[j][d] for d in range(len(DIMS)))]
            if not cands:
                return None
            # most remaining room (relative), random tie-break
            j = max(cands, key=lambda j: (min((free[j][d] - s["demand"][d]) / nodes[j]["cap"][d]
                                               for d in range(len(DIMS))), rng.random()))
            placement[i].append(j)
            for d in range(len(DIMS)):
                free[j][d] -= s["demand"][d]
    return placement


def edge_instance(services: int, nodes: int, seed: int = 1, load: float = 0.55) -> dict:
    rng = random.Random(f"edge-{services}x{nodes}-{seed}")
    types = _node_counts(nodes)
    rng.shuffle(types)
    node_list = []
    for i, t in enumerate(types):
        r = NODE_TYPES[t]
        node_list.append({"name": f"{t[:2]}{i}", "type": t,
                          "cap": [rng.randint(*r[d]) for d in range(len(DIMS))],
                          "latency_ms": rng.randint(*r[4]), "security": rng.randint(*r[5])})
    sec_levels = sorted(n["security"] for n in node_list)
    second_best = sec_levels[-2] if len(sec_levels) >= 2 else sec_levels[-1]
    frac = rng.uniform(0.20, 0.30)
    n_two = round(frac * services)
    two = set(rng.sample(range(services), n_two))
    svc = []
    for i in range(services):
        prof = PROFILES[rng.choice(sorted(PROFILES))]
        size = math.exp(rng.uniform(math.log(0.3), math.log(3.0)))
        raw = [prof[d] * size * rng.uniform(0.7, 1.3) for d in range(len(DIMS))]
        reps = 2 if i in two else 1
        smin = rng.choices([1, 2, 3, 4], weights=[30, 30, 25, 15])[0]
        # 2 replicas need two distinct nodes that qualify
        smin = min(smin, second_best if reps == 2 else sec_levels[-1])
        svc.append({"name": f"svc{i}", "raw": raw, "replicas": reps, "sec_min": smin,
                    "sec_want": min(SEC_MAX, smin + rng.randint(0, 1))})
    total_cap = [sum(n["cap"][d] for n in node_list) for d in range(len(DIMS))]
    total_raw = [sum(s["raw"][d] * s["replicas"] for s in svc) for d in range(len(DIMS))]
    scale = [load * total_cap[d] / total_raw[d] for d in range(len(DIMS))]
    for _attempt in range(60):
        for s in svc:
            s["demand"] = [max(1, int(s["raw"][d] * scale[d])) for d in range(len(DIMS))]
        plant = _witness(rng, node_list, svc)
        if plant is not None:
            break
        scale = [x * 0.9 for x in scale]
    else:  # pragma: no cover - never seen
        raise RuntimeError("could not build a feasible edge instance")
    for s in svc:
        del s["raw"]
    inst = {
        "family": "edge", "name": f"edge-{size_label(services, nodes)}-s{seed}", "seed": seed,
        "size": [services, nodes], "dims": list(DIMS), "nodes": node_list, "services": svc,
        "known_optimum": None, "planted": plant,
    }
    ev = evaluate(inst, plant)
    assert ev["valid"], ev["errors"]
    return inst


def make_instance(family: str, services: int, nodes: int, seed: int = 1) -> dict:
    if family == "triplet":
        return triplet_instance(services, nodes, seed)
    if family == "edge":
        return edge_instance(services, nodes, seed)
    raise ValueError(f"unknown family {family!r}")


# --------------------------------------------------------------------------- evaluation
def placements_count(inst: dict) -> int:
    return sum(s["replicas"] for s in inst["services"])


def lmax(inst: dict) -> int:
    return max(n["latency_ms"] for n in inst["nodes"])


def placement_cost_terms(inst: dict, s: dict, n: dict) -> tuple[Fraction, Fraction]:
    """(latency term, shortfall term) of one replica of ``s`` on ``n`` (before weights)."""
    lm = lmax(inst)
    lat = Fraction(n["latency_ms"], lm) if lm else Fraction(0)
    short = Fraction(max(0, s["sec_want"] - n["security"]), SHORT_NORM)
    return lat, short


def evaluate(inst: dict, placement) -> dict:
    """Check a placement against every hard constraint and compute its objectives exactly.

    Returns ``{"valid", "errors", "nodes_used", "cost", "terms", "loads"}``; ``cost`` is a
    float (exact Fraction under ``"cost_exact"``) and is meaningful for both families."""
    nodes, svcs = inst["nodes"], inst["services"]
    nd = len(DIMS)
    errors: list[str] = []
    loads = [[0] * nd for _ in nodes]
    L = Fraction(0)
    Sh = Fraction(0)
    if placement is None or len(placement) != len(svcs):
        return {"valid": False, "errors": ["placement has the wrong number of services"],
                "nodes_used": None, "cost": None, "cost_exact": None, "terms": {}, "loads": loads}
    for s, where in zip(svcs, placement):
        if len(where) != s["replicas"]:
            errors.append(f"{s['name']}: {len(where)} replicas placed, {s['replicas']} needed")
        if len(set(where)) != len(where):
            errors.append(f"{s['name']}: replicas share a node")
        for j in where:
            if not (isinstance(j, int) and 0 <= j < len(nodes)):
                errors.append(f"{s['name']}: no node {j!r}")
                continue
            n = nodes[j]
            if n["security"] < s["sec_min"]:
                errors.append(f"{s['name']}: security {n['security']} < {s['sec_min']} on "
                              f"{n['name']}")
            for d in range(nd):
                loads[j][d] += s["demand"][d]
            lat, short = placement_cost_terms(inst, s, n)
            L += lat
            Sh += short
    U = Fraction(0)
    for j, n in enumerate(nodes):
        for d in range(nd):
            if loads[j][d] > n["cap"][d]:
                errors.append(f"{n['name']}: {DIMS[d]} load {loads[j][d]} > {n['cap'][d]}")
            U = max(U, Fraction(loads[j][d], n["cap"][d]))
    R = placements_count(inst)
    cost = W_LAT * L + W_UTIL * R * U + W_SEC * Sh
    used = sum(1 for row in loads if any(row))
    return {"valid": not errors, "errors": errors, "nodes_used": used, "cost": float(cost),
            "cost_exact": cost, "terms": {"L": float(L), "R": R, "U": float(U), "Sh": float(Sh)},
            "loads": loads}


def edge_lower_bound(inst: dict) -> float:
    """A valid lower bound on the edge cost (the linear and the peak term bounded apart).

    Linear part: each service takes, for its r replicas, the r cheapest distinct nodes that
    qualify (security and fit alone) for 4·lat/LMAX + 2·shortfall/4. Peak part: U is at least
    (a) for each service, min over qualifying nodes of its own max_d demand/cap, and (b) for each
    security threshold k and dimension d, the demand of services needing ≥ k divided by the
    capacity of nodes with security ≥ k."""
    nodes, svcs = inst["nodes"], inst["services"]
    nd = len(DIMS)
    lin = Fraction(0)
    u = Fraction(0)
    for s in svcs:
        ok = [n for n in nodes if n["security"] >= s["sec_min"]
              and all(s["demand"][d] <= n["cap"][d] for d in range(nd))]
        costs = sorted(W_LAT * a + W_SEC * b for a, b in
                       (placement_cost_terms(inst, s, n) for n in ok))
        lin += sum(costs[: s["replicas"]])
        if ok:
            u = max(u, min(max(Fraction(s["demand"][d], n["cap"][d]) for d in range(nd))
                           for n in ok))
    for k in sorted({s["sec_min"] for s in svcs}):
        pool = [n for n in nodes if n["security"] >= k]
        need = [s for s in svcs if s["sec_min"] >= k]
        for d in range(nd):
            cap = sum(n["cap"][d] for n in pool)
            if cap:
                u = max(u, Fraction(sum(s["demand"][d] * s["replicas"] for s in need), cap))
    return float(lin + W_UTIL * placements_count(inst) * u)


# --------------------------------------------------------------------------- formalc
def to_problem(inst: dict):
    """The instance as a :class:`formalc.schedule.problem.Problem` (imported lazily, so this
    module stays standard-library only).

    Edge: one requirement ``security ≥ sec_min`` (blocking the pairs below it), cost tables
    ``lat`` = latency/LMAX and ``short`` = max(0, sec_want − security)/4 per replica, and one
    objective level 4·lat + 2·short + 4·R·peak — exactly :func:`evaluate`'s cost. Triplet: the
    objective is the number of nodes used."""
    from formalc.schedule.problem import (CostTerm, Dim, Linear, Node, Problem, Requirement,
                                          Service, Term)
    nodes, svcs = inst["nodes"], inst["services"]
    dims = [Dim(name) for name in inst["dims"]]
    pnodes = [Node(n["name"], tuple(Fraction(c) for c in n["cap"]),
                   (("security", str(n["security"])), ("latency_ms", str(n["latency_ms"]))))
              for n in nodes]
    psvcs = [Service(s["name"], tuple(Fraction(x) for x in s["demand"]), s["replicas"], True,
                     (("sec_min", str(s["sec_min"])),)) for s in svcs]
    reqs = [Requirement("security ≥ sec_min")]
    blocked = [[frozenset({0}) if n["security"] < s["sec_min"] else frozenset() for n in nodes]
               for s in svcs]
    if inst["family"] == "triplet":
        objective = [Linear(((Term("nodes"), Fraction(1)),), text="nodes_used")]
        costs = {}
    else:
        lat = tuple(tuple(placement_cost_terms(inst, s, n)[0] for n in nodes) for s in svcs)
        short = tuple(tuple(placement_cost_terms(inst, s, n)[1] for n in nodes) for s in svcs)
        costs = {"lat": CostTerm("lat", lat), "short": CostTerm("short", short)}
        objective = [Linear(((Term("cost", "lat"), Fraction(W_LAT)),
                             (Term("cost", "short"), Fraction(W_SEC)),
                             (Term("peak"), Fraction(W_UTIL * placements_count(inst)))),
                            text="4·lat + 2·short + 4·R·peak")]
    return Problem(name=inst["name"], dims=dims, nodes=pnodes, services=psvcs,
                   requirements=reqs, blocked=blocked, costs=costs, objective=objective)


# --------------------------------------------------------------------------- JSON
def dump(inst: dict, path) -> None:
    Path(path).write_text(json.dumps(inst, indent=1, sort_keys=True))


def load(path) -> dict:
    return json.loads(Path(path).read_text())


if __name__ == "__main__":  # python benchmarks/sched_gen.py triplet 30x10 [seed] > inst.json
    import sys
    fam, sz = sys.argv[1], parse_size(sys.argv[2])
    print(json.dumps(make_instance(fam, *sz, int(sys.argv[3]) if len(sys.argv) > 3 else 1),
                     indent=1, sort_keys=True))
