"""Encoding binders: quantifiers, sums and set comprehensions.

Binders over finite domains are expanded into conjunctions, disjunctions, sums or candidate
lists; binders over infinite types become Z3 quantifiers (∀/∃) or are refused (Σ and
comprehensions, which would need an infinite expansion).
"""
from __future__ import annotations

import z3

from ..model import nodes as m
from ..model.types import SetT
from .values import EnumSet, ListSet, Unsupported, _show, _zero_like, finite_members


class BinderEncoding:
    """Binder handling of the :class:`~formalc.encode.z3expr.Encoder` (a mixin)."""

    def domain(self, b: m.Binder, env):
        """The candidates of a binder: a list of (term, guard, label), or None for a
        quantifier over an infinite type (the solver's quantifier is used)."""
        if b.domain is None:
            members = finite_members(b.var_type)
            if members is None:
                return None
            return [(self.member_term(b.var_type, k), z3.BoolVal(True, self.ctx), _show(k))
                    for k in members]
        s = self.to_set(self.expr(b.domain, env), b.domain.type)
        if isinstance(s, EnumSet):
            return [(self.member_term(s.elem, k), g, _show(k)) for k, g in s.members.items()
                    if not self.is_f(g)]
        if isinstance(s, ListSet):
            return [(t, g, self.name_of(t) or f"{b.name}#{i + 1}")
                    for i, (t, g) in enumerate(self.dedup(s)) if not self.is_f(g)]
        return None

    def fold(self, items, env, leaf, kind: str):
        """Expand binders and conditions; kind is ∀, ∃, Σ or {} (comprehension)."""
        if not items:
            return leaf(env)
        first, rest = items[0], items[1:]
        if not isinstance(first, m.Binder):
            c = self.expr(first, env)
            inner = self.fold(rest, env, leaf, kind)
            if kind == "∀":
                return z3.Implies(c, inner)
            if kind == "∃":
                return z3.And(c, inner)
            if kind == "Σ":
                return self.ite(c, inner, _zero_like(inner))
            return [(t, z3.And(c, g)) for t, g in inner]
        cands = self.domain(first, env)
        if cands is None:
            if kind in ("∀", "∃"):
                v = z3.Const(f"{first.name}!q{self._fresh}", self.sort(first.var_type))
                self._fresh += 1
                inner_env = dict(env)
                inner_env[first.name] = (v, first.name)
                body = self.fold(rest, inner_env, leaf, kind)
                guards = self.ranges(v, first.var_type)
                if first.domain is not None:
                    guards.append(self.member(v, self.expr(first.domain, env)))
                if guards:
                    g = self.and_(guards)
                    body = z3.Implies(g, body) if kind == "∀" else z3.And(g, body)
                return z3.ForAll([v], body) if kind == "∀" else z3.Exists([v], body)
            raise Unsupported(f"{'a sum' if kind == 'Σ' else 'a set comprehension'} over the "
                              f"infinite type {first.var_type}; range over a finite set instead")
        parts = []
        for t, g, lab in cands:
            inner_env = dict(env)
            inner_env[first.name] = (t, lab)
            body = self.fold(rest, inner_env, leaf, kind)
            if kind == "∀":
                parts.append(body if self.is_t(g) else z3.Implies(g, body))
            elif kind == "∃":
                parts.append(body if self.is_t(g) else z3.And(g, body))
            elif kind == "Σ":
                parts.append(self.ite(g, body, _zero_like(body)))
            else:
                parts.extend((x, z3.And(g, h)) for x, h in body)
        if kind == "∀":
            return z3.And(parts) if parts else z3.BoolVal(True, self.ctx)
        if kind == "∃":
            return z3.Or(parts) if parts else z3.BoolVal(False, self.ctx)
        if kind == "Σ":
            return self.sum_(parts, _zero_like(parts[0])) if parts else None
        return parts

    def _Quant(self, e: m.Quant, env):
        return self.fold(list(e.items), env, lambda en: self.expr(e.body, en), e.kind)

    def _Sum(self, e: m.Sum, env):
        r = self.fold(list(e.items), env, lambda en: self.term(e.body, en), "Σ")
        if r is None:
            return self.lit(0, e.type)
        return r

    def _SetCompr(self, e: m.SetCompr, env):
        pairs = self.fold(list(e.items), env,
                          lambda en: [(self.term(e.head, en), z3.BoolVal(True, self.ctx))], "{}")
        t: SetT = e.type  # type: ignore[assignment]
        members = finite_members(t.elem)  # type: ignore[arg-type]
        if members is not None:
            return EnumSet(t.elem, {k: self.member(self.member_term(t.elem, k), ListSet(t.elem, pairs))
                                    for k in members})
        return ListSet(t.elem, pairs)
