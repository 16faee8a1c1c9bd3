"""Fast constructive placements and a move-based descent: the engine's anytime answer.

:func:`construct` builds a placement replica by replica (services with the fewest choices and
the largest demands first; a service that must sit with another comes after it), scoring each
node by the first objective level's marginal cost. Two scorings are tried — *pack* (fill open
nodes first, best fit: good for node counts) and *spread* (the marginal cost plus a penalty
for utilisation above the average load: good for peak terms). It never breaks a hard
constraint; it may fail (``None``) on tightly constrained problems, where the Z3 encoding
takes over.

:func:`descend` improves a placement by relocating one replica or swapping two, accepting a
move when the lexicographic objective (floats, levels ``0..upto-1``) strictly improves.
"""
from __future__ import annotations

import random
import time

from .engine_model import Model, State


def _order(m: Model, rng: random.Random) -> list[int]:
    """Services in placement order: near-targets before the services that need them, then
    the most constrained and the largest first."""
    avg = [max(1, sum(m.cap[j][d] for j in range(m.N)) // max(1, m.N)) for d in range(m.D)]
    size = [max((m.dem[i][d] / avg[d] for d in range(m.D)), default=0.0) for i in range(m.S)]
    base = sorted(range(m.S), key=lambda i: (len(m.cand[i]) - m.reps[i], -size[i],
                                             rng.random()))
    out, seen, busy = [], set(), set()

    def visit(i):
        if i in seen or i in busy:
            return
        busy.add(i)
        for b in m.near[i]:
            visit(b)
        busy.discard(i)
        seen.add(i)
        out.append(i)

    for i in base:
        visit(i)
    return out


def construct(m: Model, mode: str, seed: int = 0, deadline: float | None = None):
    """A placement built greedily (``mode``: "pack" or "spread"), or None."""
    rng = random.Random(seed)
    st = State(m, [[] for _ in range(m.S)])
    lv = m.levels[0] if m.levels else None
    flin = st.flin[0] if lv else None
    peaks = [(float(w), dims) for w, dims in lv.peaks] if lv else []
    wn = float(lv.wn) if lv else 0.0
    tot_cap = [sum(m.cap[j][d] for j in range(m.N)) for d in range(m.D)]
    tot_dem = [sum(m.dem[i][d] * m.reps[i] for i in range(m.S)) for d in range(m.D)]
    target = max((tot_dem[d] / tot_cap[d] for d in range(m.D) if tot_cap[d]), default=0.0)
    peak_now = [0.0] * len(peaks)
    nodes_used = 0
    for n, i in enumerate(_order(m, rng)):
        if deadline is not None and n % 64 == 0 and time.perf_counter() > deadline:
            return None
        dm = m.dem[i]
        for _r in range(m.reps[i]):
            best, best_score = None, None
            for j in m.cand[i]:
                if not st.can_host(i, j) or not st.fits(i, j):
                    continue
                ld, cp = st.loads[j], m.cap[j]
                after = [(ld[d] + dm[d]) / cp[d] if cp[d] else 0.0 for d in range(m.D)]
                slack = sum(1.0 - a for a in after) / max(1, m.D)
                opened = not st.count[j]
                score = flin[i][j] if flin else 0.0
                for k, (w, dims) in enumerate(peaks):
                    u = max((after[d] for d in dims), default=0.0)
                    if mode == "spread":
                        score += w * max(0.0, u - max(target, peak_now[k])) \
                            + w * 1e-3 * max(0.0, u - target)
                    else:
                        score += w * max(0.0, u - peak_now[k])
                if opened:
                    score += wn
                if mode == "pack":
                    key = (score, opened, slack, rng.random())
                else:
                    key = (score, -slack, rng.random())
                if best_score is None or key < best_score:
                    best, best_score = j, key
            if best is None:
                return None
            if not st.count[best]:
                nodes_used += 1
            st.add(i, best)
            for k, (w, dims) in enumerate(peaks):
                peak_now[k] = max(peak_now[k], st.util(best, dims))
    p = st.placement()
    return p if m.valid(p) else None


def descend(m: Model, placement, upto: int, deadline: float, *, bounds=None,
            rng: random.Random | None = None, max_rounds: int = 50):
    """Relocate/swap descent on the lexicographic float objective of levels ``0..upto-1``;
    ``bounds`` (floats) caps the levels before the last one (a move may not raise them)."""
    rng = rng or random.Random(0)
    st = State(m, placement, upto)
    cur = st.key()
    for _round in range(max_rounds):
        improved = False
        reps = [(i, j) for i in range(m.S) for j in set(st.where[i])]
        rng.shuffle(reps)
        for i, a in reps:
            if time.perf_counter() > deadline:
                return st.placement(), cur
            if st.count[a].get(i, 0) == 0 or not st.can_leave(i, a):
                continue
            # relocate
            done = False
            st.remove(i, a)
            for b in m.cand[i]:
                if b == a or not st.can_host(i, b) or not st.fits(i, b):
                    continue
                st.add(i, b)
                k = st.key()
                if k < cur and _within(k, bounds):
                    cur, done, improved = k, True, True
                    break
                st.remove(i, b)
            if done:
                continue
            st.add(i, a)
        if not improved:
            improved = _swaps(m, st, cur, deadline, bounds, rng)
            if improved:
                cur = st.key()
        if not improved:
            break
    return st.placement(), cur


def _swaps(m: Model, st: State, cur, deadline, bounds, rng) -> bool:
    """One pass of pairwise swaps (i on a) ↔ (k on b); True when one improved."""
    nodes = [j for j in range(m.N) if st.count[j]]
    rng.shuffle(nodes)
    for a in nodes:
        for b in range(m.N):
            if b == a or time.perf_counter() > deadline:
                continue
            for i in list(st.count[a]):
                if b not in m.cand_set[i]:
                    continue
                for k in list(st.count[b]):
                    if k == i or a not in m.cand_set[k] or st.count[a].get(i, 0) == 0 \
                            or st.count[b].get(k, 0) == 0:
                        continue
                    if not (st.can_leave(i, a, arriving=k) and st.can_leave(k, b, arriving=i)):
                        continue
                    st.remove(i, a)
                    st.remove(k, b)
                    if st.can_host(i, b) and st.can_host(k, a) and st.fits(i, b) \
                            and st.fits(k, a):
                        st.add(i, b)
                        st.add(k, a)
                        key = st.key()
                        if key < cur and _within(key, bounds) and m.valid(st.where):
                            return True
                        st.remove(i, b)
                        st.remove(k, a)
                    st.add(i, a)
                    st.add(k, b)
    return False


def _within(key, bounds) -> bool:
    if not bounds:
        return True
    return all(v <= b + 1e-9 * max(1.0, abs(b)) for v, b in zip(key, bounds))
