"""Encoding sets.

Sets over finite element types (enumerations, Bool) are :class:`EnumSet`: one Boolean per member,
so that cardinality, Σ and quantifiers over them expand exactly, without solver quantifiers.
Sets over other element types are :class:`ListSet` (candidate elements with membership guards)
when built from literals or comprehensions, and Z3 arrays when they come from fields or
functions; the operations that would need to enumerate such an array raise
:class:`Unsupported`, which the checker turns into an unknown verdict with the reason.
"""
from __future__ import annotations

import z3

from ..model import nodes as m
from ..model.types import SetT
from .values import EnumSet, ListSet, Unsupported, _simp, finite_members


class SetEncoding:
    """Set operations of the :class:`~formalc.encode.z3expr.Encoder` (a mixin)."""

    def to_set(self, x, t: SetT):
        """Normalise a set value: EnumSet for finite element types, else ListSet or array."""
        if isinstance(x, (EnumSet, ListSet)):
            return x
        members = finite_members(t.elem)  # type: ignore[arg-type]
        if members is not None:
            return EnumSet(t.elem, {k: z3.Select(x, self.member_term(t.elem, k)) for k in members})  # type: ignore[arg-type]
        return x  # an array over an infinite type

    def as_array(self, x):
        if isinstance(x, EnumSet):
            # A store chain over the all-false array, members in declaration order, known
            # non-members left out: the same set always gives the same (ground) term.
            arr = z3.K(self.sort(x.elem), self.false)
            for k, g in x.members.items():
                if not self.is_f(g):
                    arr = z3.Store(arr, self.member_term(x.elem, k), g)
            return arr
        if isinstance(x, ListSet):
            v = z3.Const(f"_elem!{self._fresh}", self.sort(x.elem))
            self._fresh += 1
            body = z3.Or([z3.And(g, v == t) for t, g in x.items] or [z3.BoolVal(False, self.ctx)])
            return z3.Lambda([v], body)
        return x

    def _SetLit(self, e: m.SetLit, env):
        t: SetT = e.type  # type: ignore[assignment]
        if t.elem is None:
            raise Unsupported("an empty set whose element type is unknown")
        members = finite_members(t.elem)
        elems = [self.term(x, env) for x in e.elems]
        if members is not None:
            known = set()  # members given as constants
            open_ = []  # elements whose value is not known here
            for x in elems:
                k = self.member_of(x, t.elem) if self.is_ground(x) else None
                if k is None:
                    open_.append(x)
                else:
                    known.add(k)
            out = {}
            for k in members:
                if k in known:
                    out[k] = self.true
                elif not open_:
                    out[k] = self.false
                else:
                    mk = self.member_term(t.elem, k)
                    out[k] = self.or_([x == mk for x in open_])
            return EnumSet(t.elem, out)
        return ListSet(t.elem, [(x, z3.BoolVal(True, self.ctx)) for x in elems])

    def _AllOf(self, e: m.AllOf, env):
        t: SetT = e.type  # type: ignore[assignment]
        return EnumSet(t.elem, {k: z3.BoolVal(True, self.ctx) for k in finite_members(t.elem)})  # type: ignore[union-attr]

    def _SetOp(self, e: m.SetOp, env):
        t: SetT = e.type  # type: ignore[assignment]
        acc = self.to_set(self.expr(e.operands[0], env), t)
        for op, x in zip(e.ops, e.operands[1:]):
            y = self.to_set(self.expr(x, env), t)
            acc = self.set_op(op, acc, y)
        return acc

    def set_op(self, op, a, b):
        if isinstance(a, EnumSet) and isinstance(b, EnumSet):
            f = {"∪": lambda p, q: z3.Or(p, q), "∩": lambda p, q: z3.And(p, q),
                 "\\": lambda p, q: z3.And(p, z3.Not(q))}[op]
            return EnumSet(a.elem, {k: _simp(f(a.members[k], b.members[k])) for k in a.members})
        if isinstance(a, ListSet) and op == "∪" and isinstance(b, ListSet):
            return ListSet(a.elem, a.items + b.items)
        if isinstance(a, ListSet):
            if op == "∩":
                return ListSet(a.elem, [(t, z3.And(g, self.member(t, b))) for t, g in a.items], a.distinct)
            if op == "\\":
                return ListSet(a.elem, [(t, z3.And(g, z3.Not(self.member(t, b)))) for t, g in a.items], a.distinct)
        # arrays over infinite element types: pointwise with lambdas
        A, B = self.as_array(a), self.as_array(b)
        v = z3.Const(f"_elem!{self._fresh}", A.sort().domain())
        self._fresh += 1
        body = {"∪": z3.Or(A[v], B[v]), "∩": z3.And(A[v], B[v]),
                "\\": z3.And(A[v], z3.Not(B[v]))}[op]
        return z3.Lambda([v], body)

    def member(self, x, s):
        if isinstance(s, EnumSet):
            if self.is_ground(x):
                k = self.member_of(x, s.elem)
                if k is not None:
                    return s.members[k]
            return self.or_([self.and_([g, self.eq(x, self.member_term(s.elem, k))])
                             for k, g in s.members.items()])
        if isinstance(s, ListSet):
            return self.or_([self.and_([g, self.eq(x, t)]) for t, g in s.items])
        return z3.Select(s, x)

    def subset(self, a, b, t: SetT):
        a, b = self.to_set(a, t), self.to_set(b, t)
        if isinstance(a, EnumSet) and isinstance(b, EnumSet):
            return z3.And([z3.Implies(a.members[k], b.members[k]) for k in a.members])
        if isinstance(a, ListSet):
            return z3.And([z3.Implies(g, self.member(x, b)) for x, g in a.items] or
                          [z3.BoolVal(True, self.ctx)])
        A, B = self.as_array(a), self.as_array(b)
        v = z3.Const(f"_elem!{self._fresh}", A.sort().domain())
        self._fresh += 1
        return z3.ForAll([v], z3.Implies(A[v], B[v]))

    def set_eq(self, a, b, t: SetT):
        a, b = self.to_set(a, t), self.to_set(b, t)
        if isinstance(a, EnumSet) and isinstance(b, EnumSet):
            return z3.And([a.members[k] == b.members[k] for k in a.members])
        if isinstance(a, ListSet) or isinstance(b, ListSet):
            return z3.And(self.subset(a, b, t), self.subset(b, a, t))
        return a == b

    def _Card(self, e: m.Card, env):
        s = self.to_set(self.expr(e.operand, env), e.operand.type)
        return self.card(s)

    def card(self, s):
        one, zero = z3.IntVal(1, self.ctx), z3.IntVal(0, self.ctx)
        if isinstance(s, EnumSet):
            return self.sum_([self.ite(g, one, zero) for g in s.members.values()], zero)
        if isinstance(s, ListSet):
            return self.sum_([self.ite(g, one, zero) for _, g in self.dedup(s)], zero)
        raise Unsupported("the size of a set over an infinite type that is not given by its "
                          "elements (a field or function value)")

    def dedup(self, s: ListSet):
        """Guards that count each distinct element once (the first candidate equal to it)."""
        if s.distinct:
            return s.items
        out = []
        for i, (t, g) in enumerate(s.items):
            earlier = []
            for u, h in s.items[:i]:
                if self.is_ground(t) and self.is_ground(u):
                    if t.eq(u):  # ground values are equal exactly when their terms are one
                        earlier.append(h)
                    continue
                eq = t == u
                earlier.append(z3.And(h, eq))
            out.append((t, self.and_([g, self.not_(self.or_(earlier))]) if earlier else g))
        return out
