"""Temporal formulas over unrolled runs: on a finite window of a path, and on a lasso.

Runs are infinite (a deadlock stutters), so a formula whose truth at a step depends only on the
next ``h`` steps (its *horizon*: ``next`` adds 1, ``always/eventually within k`` add k) is
decided exactly on any path of ``h`` more steps: every finite path extends to a run. Other
formulas are evaluated on a lasso ``s0 … s(n-1)`` whose last step continues at ``s(l)``.
"""
from __future__ import annotations

from ..machines.outcome import NotApplicable
from ..model import nodes as m

_BOOL = (m.Not, m.BoolOp, m.Implies)


def has_temporal(e) -> bool:
    if isinstance(e, m.Temporal):
        return True
    return any(has_temporal(c) for c in m.children(e) if not isinstance(c, m.Binder))


def horizon(e) -> int | None:
    """How many steps ahead ``e`` looks, or None when unbounded (eventually, until, ~>, …)."""
    if isinstance(e, m.Temporal):
        if e.op == "next":
            h = horizon(e.operands[0])
            return None if h is None else h + 1
        if e.op in ("always", "eventually") and e.bound is not None:
            h = horizon(e.operands[0])
            return None if h is None else h + e.bound
        return None
    if isinstance(e, _BOOL):
        hs = [horizon(c) for c in m.children(e)]
        return None if any(h is None for h in hs) else max(hs, default=0)
    if has_temporal(e):
        raise NotApplicable("a temporal operator inside a non-Boolean expression cannot be "
                            "encoded symbolically")
    return 0


def conjuncts(e) -> list:
    """The top-level conjuncts of ``e``."""
    if isinstance(e, m.BoolOp) and e.op == "∧":
        out = []
        for x in e.operands:
            out.extend(conjuncts(x))
        return out
    return [e]


def _bool(enc, e, parts):
    if isinstance(e, m.Not):
        return enc.not_(parts[0])
    if isinstance(e, m.Implies):
        return enc.implies(parts[0], parts[1])
    if e.op == "∧":
        return enc.and_(parts)
    if e.op == "∨":
        return enc.or_(parts)
    acc = parts[0]
    for x in parts[1:]:
        acc = acc == x
    return acc


def window(enc, e, envs, i: int):
    """``e`` at step ``i`` of a finite path (frames ``envs``, at least ``i + horizon(e)``)."""
    if isinstance(e, m.Temporal):
        if e.op == "next":
            return window(enc, e.operands[0], envs, i + 1)
        xs = [window(enc, e.operands[0], envs, j) for j in range(i, i + e.bound + 1)]
        return enc.and_(xs) if e.op == "always" else enc.or_(xs)
    if isinstance(e, _BOOL):
        return _bool(enc, e, [window(enc, c, envs, i) for c in m.children(e)])
    return enc.expr(e, envs[i])


class Lasso:
    """Formulas on the lasso ``0 … n-1`` that continues at ``l`` after ``n-1``."""

    def __init__(self, enc, envs, n: int, l: int):
        self.enc, self.envs, self.n, self.l = enc, envs, n, l
        self.memo: dict = {}

    def succ(self, i: int) -> int:
        return i + 1 if i < self.n - 1 else self.l

    def at(self, e, i: int):
        key = (id(e), i)
        hit = self.memo.get(key)
        if hit is None:
            hit = self._at(e, i)
            self.memo[key] = hit
        return hit

    def _at(self, e, i):
        enc = self.enc
        if isinstance(e, m.Temporal):
            a = e.operands[0]
            if e.op == "next":
                return self.at(a, self.succ(i))
            if e.op in ("always", "eventually") and e.bound is not None:
                seen, p = [], i
                for _ in range(e.bound + 1):
                    if p in seen:
                        break
                    seen.append(p)
                    p = self.succ(p)
                xs = [self.at(a, j) for j in seen]
                return enc.and_(xs) if e.op == "always" else enc.or_(xs)
            if e.op == "always":
                return self.glob(lambda j: self.at(a, j), (id(e), "G"), i)
            if e.op == "eventually":
                return self.fut(lambda j: self.at(a, j), (id(e), "F"), i)
            b = e.operands[1]
            if e.op == "~>":
                fq = lambda j: self.fut(lambda x: self.at(b, x), (id(e), "F"), j)
                return self.glob(lambda j: enc.implies(self.at(a, j), fq(j)), (id(e), "G"), i)
            if e.op == "until":
                seq = list(range(i, self.n)) + (list(range(self.l, i)) if i > self.l else [])
                u = self.at(b, seq[-1])
                for j in reversed(seq[:-1]):
                    u = enc.or_([self.at(b, j), enc.and_([self.at(a, j), u])])
                return u
            raise NotApplicable(f"temporal operator `{e.op}`")
        if isinstance(e, _BOOL):
            return _bool(enc, e, [self.at(c, i) for c in m.children(e)])
        if has_temporal(e):
            raise NotApplicable("a temporal operator inside a non-Boolean expression cannot be "
                                "encoded symbolically")
        return enc.expr(e, self.envs[i])

    def glob(self, fn, key, i):
        """``always`` of ``fn`` from position ``i``."""
        k = key + (i if i < self.l else "loop",)
        hit = self.memo.get(k)
        if hit is None:
            if i >= self.l:
                hit = self.enc.and_([fn(j) for j in range(self.l, self.n)])
            else:
                hit = self.enc.and_([fn(i), self.glob(fn, key, i + 1)])
            self.memo[k] = hit
        return hit

    def fut(self, fn, key, i):
        """``eventually`` of ``fn`` from position ``i``."""
        k = key + (i if i < self.l else "loop",)
        hit = self.memo.get(k)
        if hit is None:
            if i >= self.l:
                hit = self.enc.or_([fn(j) for j in range(self.l, self.n)])
            else:
                hit = self.enc.or_([fn(i), self.fut(fn, key, i + 1)])
            self.memo[k] = hit
        return hit
