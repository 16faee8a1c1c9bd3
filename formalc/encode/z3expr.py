"""Encoding typed model expressions as Z3 terms.

Sets over finite element types (enumerations, Bool) are encoded member-wise, as one Boolean per
member, so that cardinality, Σ and quantifiers over them expand exactly, without solver
quantifiers. Sets over other element types are lists of (element, guard) pairs when built from
literals or comprehensions, and Z3 arrays when they come from fields or functions; the few
operations that would need to enumerate such an array raise :class:`Unsupported`, which the
checker turns into an ``unknown`` verdict with the reason.
"""
from __future__ import annotations

from fractions import Fraction

import z3

from ..model import nodes as m
from ..model.types import BOOL, INT, REAL, STRING, EnumT, QuantT, RecordT, SetT, SortT, Type
from .binders import BinderEncoding
from .sets import SetEncoding
from .values import (_GROUND_KINDS, EnumSet, ListSet, Unsupported, _is_value, _num, finite_members, label)

__all__ = ["Encoder", "EnumSet", "ListSet", "Unsupported", "finite_members", "label"]


class Encoder(SetEncoding, BinderEncoding):
    """Encodes the expressions of one spec in one Z3 context.

    ``env`` maps a bound variable to ``(term, label)``: the Z3 term and the text that stands for
    it in explanations (its name, or the member it was expanded to).
    """

    def __init__(self, spec: m.Spec, ctx: z3.Context):
        self.spec, self.ctx = spec, ctx
        self._sorts: dict[Type, z3.SortRef] = {}
        self._enum_consts: dict[tuple[str, str], z3.ExprRef] = {}
        self._records: dict[str, z3.DatatypeSortRef] = {}
        self._funcs: dict[str, z3.FuncDeclRef] = {}
        self._consts: dict[str, z3.ExprRef] = {}
        # term id -> (label, model type) of uninterpreted constants and function applications,
        # so that a model can show them in the spec's words
        self.labels: dict[int, tuple[str, Type]] = {}
        self._fresh = 0
        # Caches keyed by Z3 term ids. Z3 reuses the id of a freed term, so every term whose id
        # is a key is kept alive in ``_keep`` for as long as the encoder lives.
        self._keep: list = []
        self._apply_cache: dict[tuple, object] = {}
        self._tables: dict[str, dict] = {}
        self._value_names: dict[int, str] = {}  # term id of a named value -> its name
        self._member_ids: dict[Type, dict] = {}  # per finite type: member term id -> member
        self._rdecls: dict[str, tuple] = {}
        # Range facts about uninterpreted constants and function values (quantities are
        # non-negative); true under the language's semantics, so every check may assume them.
        self.side: list = []
        self._nums: dict[int, object] = {}
        self.true, self.false = z3.BoolVal(True, ctx), z3.BoolVal(False, ctx)
        self._tid, self._fid = self.true.get_id(), self.false.get_id()
        self._ground: dict[int, bool] = {}

    # ------------------------------------------------------------------ sorts
    def sort(self, t: Type) -> z3.SortRef:
        s = self._sorts.get(t)
        if s is not None:
            return s
        c = self.ctx
        if t == BOOL:
            s = z3.BoolSort(c)
        elif t == INT:
            s = z3.IntSort(c)
        elif t == REAL or isinstance(t, QuantT):
            s = z3.RealSort(c)
        elif t == STRING:
            s = z3.StringSort(c)
        elif isinstance(t, EnumT):
            s, consts = z3.EnumSort(t.name, list(t.members), ctx=c)
            for name, k in zip(t.members, consts):
                self._enum_consts[(t.name, name)] = k
        elif isinstance(t, SortT):
            s = z3.DeclareSort(t.name, c)
        elif isinstance(t, SetT):
            if t.elem is None:
                raise Unsupported("a set whose element type is unknown")
            s = z3.ArraySort(self.sort(t.elem), z3.BoolSort(c))
        elif isinstance(t, RecordT):
            dt = z3.Datatype(t.name, ctx=c)
            dt.declare("mk_" + t.name, *[(f"{t.name}.{f}", self.sort(ft)) for f, ft in t.fields])
            s = dt.create()
            self._records[t.name] = s
        else:
            raise Unsupported(f"values of type {t}")
        self._sorts[t] = s
        return s

    def enum_const(self, t: EnumT, member: str) -> z3.ExprRef:
        self.sort(t)
        return self._enum_consts[(t.name, member)]

    def member_term(self, t: Type, member) -> z3.ExprRef:
        if t == BOOL:
            return z3.BoolVal(member, self.ctx)
        return self.enum_const(t, member)  # type: ignore[arg-type]

    def ranges(self, term, t: Type) -> list:
        """What every value of type ``t`` satisfies beyond its sort: quantities (CPU, Bytes,
        Time, Bandwidth) are non-negative, in every field of a tuple too."""
        if isinstance(t, QuantT):
            return [term >= self.lit(0, t)]
        if isinstance(t, RecordT):
            _, _, fields = self._record_decls(t)
            out = []
            for f, ft in t.fields:
                if _has_quantity(ft):
                    out.extend(self.ranges(fields[f][1](term), ft))
            return out
        return []

    def fresh_const(self, name: str, t: Type) -> z3.ExprRef:
        self._fresh += 1
        return z3.Const(f"{name}!{self._fresh}", self.sort(t))

    # ------------------------------------------------------------------ values
    def lit(self, value, t: Type):
        c = self.ctx
        if t == BOOL:
            return z3.BoolVal(bool(value), c)
        if t == INT:
            return z3.IntVal(int(value), c)
        if t == STRING:
            return z3.StringVal(str(value), c)
        f = Fraction(value)
        return z3.RealVal(f"{f.numerator}/{f.denominator}", c)

    # ------------------------------------------------------------------ expressions
    def expr(self, e, env: dict):
        """Encode ``e``; Boolean/numeric/record terms, or EnumSet/ListSet/array for sets."""
        return getattr(self, "_" + type(e).__name__)(e, env)

    def term(self, e, env):
        """Encode as a single Z3 term (sets as arrays)."""
        x = self.expr(e, env)
        if isinstance(x, (EnumSet, ListSet)):
            return self.as_array(x)
        return x

    def _Lit(self, e: m.Lit, env):
        return self.lit(e.value, e.type)

    def _EnumConst(self, e: m.EnumConst, env):
        return self.enum_const(e.type, e.member)  # type: ignore[arg-type]

    def _Var(self, e: m.Var, env):
        return env[e.name][0]

    def _ConstRef(self, e: m.ConstRef, env):
        k = self._consts.get(e.name)
        if k is None:
            k = z3.Const(e.name, self.sort(e.type))
            self._consts[e.name] = k
            self.labels[k.get_id()] = (e.name, e.type)
            self.side.extend(self.ranges(k, e.type))
        return k

    def _Apply(self, e: m.Apply, env):
        d = self.spec.definitions[e.name]
        inner = {}
        key: list = [e.name]
        args = []
        for (pname, ptype), arg in zip(d.params, e.args):
            t = self.expr(arg, env)
            inner[pname] = (t, label(arg, env))
            args.append(t)
            key.append(t.get_id() if isinstance(t, z3.ExprRef) else None)
        # A definition applied to the same terms encodes to the same term: reuse it.
        cacheable = None not in key
        if cacheable:
            k = tuple(key)
            hit = self._apply_cache.get(k)
            if hit is not None:
                return hit
        r = self.expr(d.body, inner)
        if cacheable:
            self._apply_cache[tuple(key)] = r
            self._keep.append(args)
            if not args and isinstance(r, z3.ExprRef):
                self._value_names.setdefault(r.get_id(), e.name)
        return r

    def _FuncApp(self, e: m.FuncApp, env):
        f = self.spec.functions[e.name]
        args = [self.term(a, env) for a in e.args]
        if f.table and all(self.is_ground(a) for a in args):
            hit = self._lookup(f).get(tuple(a.get_id() for a in args))
            if hit is not None:
                return hit
        result = None
        total = self._table_total(f)
        if not total:
            decl = self._funcs.get(e.name)
            if decl is None:
                sorts = [self.sort(t) for t in f.domain] + [self.sort(f.codomain)]
                decl = z3.Function(e.name, *sorts) if f.domain else None
                self._funcs[e.name] = decl
            result = decl(*args) if f.domain else self._ConstRef(m.ConstRef(e.name, f.codomain), env)
            text = f"{e.name}({', '.join(label(a, env) for a in e.args)})" if f.domain else e.name
            if result.get_id() not in self.labels:
                self._keep.append(result)
                self.side.extend(self.ranges(result, f.codomain))
                if not f.table:
                    self.labels[result.get_id()] = (text, f.codomain)
        for key, value in reversed(f.table):
            cond = self.and_([self.eq(a, self._key_term(k, t))
                              for a, k, t in zip(args, key, f.domain)])
            v = self.term(value, {})
            result = v if result is None else self.ite(cond, v, result)
        if result is None:  # an empty total table: impossible, kept for safety
            raise Unsupported(f"function {e.name} has no values")
        if not total and f.table and result.get_id() not in self.labels and not self.is_ground(result):
            # a partial table applied to unknown arguments: the witness shows the value of the
            # application itself (a table row where one applies), not of the fallback
            self.labels[result.get_id()] = (text, f.codomain)
            self._keep.append(result)
        return result

    def _lookup(self, f: m.Function) -> dict:
        """The table of ``f`` keyed by the term ids of its (ground) arguments."""
        t = self._tables.get(f.name)
        if t is None:
            t = {}
            for key, v in f.table:
                terms = [self._key_term(k, ty) for k, ty in zip(key, f.domain)]
                self._keep.append(terms)
                t[tuple(x.get_id() for x in terms)] = self.term(v, {})
            self._tables[f.name] = t
        return t

    def _key_term(self, k, t: Type):
        if isinstance(t, EnumT):
            return self.enum_const(t, k)
        return self.lit(k, t)

    def _table_total(self, f: m.Function) -> bool:
        doms = [finite_members(t) for t in f.domain]
        if any(d is None for d in doms) or not f.domain:
            return False
        size = 1
        for d in doms:
            size *= len(d)  # type: ignore[arg-type]
        return len(f.table) == size

    def _Total(self, e: m.Total, env):
        f = self.spec.functions[e.func]
        return z3.BoolVal(self._table_total(f), self.ctx)

    def _record_decls(self, rt: RecordT):
        """(constructor, its id, {field: (index, accessor)}) of a tuple type, made once."""
        d = self._rdecls.get(rt.name)
        if d is None:
            s = self.sort(rt)
            ctor = s.constructor(0)  # type: ignore[attr-defined]
            d = (ctor, ctor.get_id(),
                 {f: (i, s.accessor(0, i)) for i, (f, _) in enumerate(rt.fields)})  # type: ignore[attr-defined]
            self._rdecls[rt.name] = d
        return d

    def _Construct(self, e: m.Construct, env):
        ctor = self._record_decls(e.type)[0]  # type: ignore[arg-type]
        return ctor(*[self.term(a, env) for a in e.args])

    def _FieldGet(self, e: m.FieldGet, env):
        obj = self.expr(e.obj, env)
        _, ctor_id, fields = self._record_decls(e.obj.type)  # type: ignore[arg-type]
        idx, acc = fields[e.field]
        if self.is_ground(obj) or (z3.is_app(obj) and obj.decl().get_id() == ctor_id):
            if obj.decl().get_id() == ctor_id:
                return obj.arg(idx)  # the field of a known tuple value: no accessor term needed
        return acc(obj)

    def _Not(self, e, env):
        return self.not_(self.expr(e.operand, env))

    def is_t(self, x) -> bool:
        """Whether ``x`` is the literal true (terms are hash-consed: compare ids)."""
        return x.get_id() == self._tid

    def is_f(self, x) -> bool:
        return x.get_id() == self._fid

    def not_(self, x):
        if self.is_t(x):
            return self.false
        if self.is_f(x):
            return self.true
        return z3.Not(x)

    def and_(self, xs):
        """Conjunction with constants folded (exact: only true/false literals are dropped)."""
        return self._junction(xs, self.false, self.true, z3.And)

    def or_(self, xs):
        """Disjunction with constants folded."""
        return self._junction(xs, self.true, self.false, z3.Or)

    def _junction(self, xs, absorbing, neutral, make):
        a, n = absorbing.get_id(), neutral.get_id()
        out = []
        for x in xs:
            i = x.get_id()
            if i == a:
                return absorbing
            if i != n:
                out.append(x)
        return out[0] if len(out) == 1 else (make(out) if out else neutral)

    def implies(self, a, b):
        if self.is_f(a) or self.is_t(b):
            return self.true
        if self.is_t(a):
            return b
        return z3.Implies(a, b)

    def eq(self, a, b):
        """``a = b``, decided at once when both are ground values (equal values of ground
        terms are one and the same hash-consed term in Z3: numerals are normalised)."""
        if self.is_ground(a) and self.is_ground(b):
            return self.true if a.eq(b) else self.false
        return a == b

    def _BoolOp(self, e: m.BoolOp, env):
        xs = [self.expr(x, env) for x in e.operands]
        if e.op == "∧":
            return self.and_(xs)
        if e.op == "∨":
            return self.or_(xs)
        acc = xs[0]  # ⇔ chains associate to the left
        for x in xs[1:]:
            acc = self.eq(acc, x)
        return acc

    def _Implies(self, e, env):
        return self.implies(self.expr(e.left, env), self.expr(e.right, env))

    def _Cmp(self, e: m.Cmp, env):
        if isinstance(e.left.type, SetT):
            eq = self.set_eq(self.expr(e.left, env), self.expr(e.right, env), e.left.type)
            return eq if e.op == "=" else z3.Not(eq)
        a, b = self.term(e.left, env), self.term(e.right, env)
        if e.op == "=":
            return self.eq(a, b)
        if e.op == "≠":
            return self.not_(self.eq(a, b))
        x, y = self.num(a), self.num(b)
        if x is not None and y is not None:
            r = {"<": x < y, "≤": x <= y, ">": x > y, "≥": x >= y}[e.op]
            return self.true if r else self.false
        return {"<": lambda: a < b, "≤": lambda: a <= b, ">": lambda: a > b,
                "≥": lambda: a >= b}[e.op]()

    def _Member(self, e: m.Member, env):
        r = self.member(self.term(e.elem, env), self.expr(e.set, env))
        return z3.Not(r) if e.negated else r

    def _Subset(self, e: m.Subset, env):
        return self.subset(self.expr(e.left, env), self.expr(e.right, env), e.left.type)

    def _Arith(self, e: m.Arith, env):
        acc = self.term(e.operands[0], env)
        for op, x in zip(e.ops, e.operands[1:]):
            y = self.term(x, env)
            p, q = self.num(acc), self.num(y)
            if p is not None and q is not None and not (op == "/" and q == 0):
                v = {"+": p + q, "-": p - q, "×": p * q, "/": Fraction(p) / q if op == "/" else 0}[op]
                acc = self.lit(v, INT if z3.is_int(acc) and op != "/" else REAL)
                continue
            acc = {"+": lambda: acc + y, "-": lambda: acc - y, "×": lambda: acc * y,
                   "/": lambda: acc / y}[op]()
        return acc

    def _Neg(self, e, env):
        x = self.term(e.operand, env)
        v = self.num(x)
        return self.lit(-v, INT if z3.is_int(x) else REAL) if v is not None else -x

    def _ToReal(self, e, env):
        x = self.term(e.operand, env)
        v = self.num(x)
        return self.lit(v, REAL) if v is not None else z3.ToReal(x)

    def _Ite(self, e: m.Ite, env):
        c = self.expr(e.cond, env)
        a, b = self.expr(e.then, env), self.expr(e.orelse, env)
        if isinstance(a, (EnumSet, ListSet)) or isinstance(b, (EnumSet, ListSet)):
            a, b = self.as_array(self.to_set(a, e.type)), self.as_array(self.to_set(b, e.type))
        return self.ite(c, a, b)

    def ite(self, c, a, b):
        """``if c then a else b``, resolved at once when ``c`` is a literal."""
        if self.is_t(c):
            return a
        if self.is_f(c):
            return b
        return z3.If(c, a, b)

    def sum_(self, parts, zero):
        """Σ of terms, the numerals among them added up exactly here."""
        known = 0
        rest = []
        for p in parts:
            v = self.num(p)
            if v is None:
                rest.append(p)
            else:
                known += v
        if not rest:
            return self.lit(known, INT if z3.is_int(zero) else REAL)
        if known:
            rest.append(self.lit(known, INT if z3.is_int(zero) else REAL))
        return rest[0] if len(rest) == 1 else z3.Sum(rest)

    def num(self, x):
        """The exact value of a numeral term, or None (memoised by term id)."""
        k = x.get_id()
        try:
            return self._nums[k]
        except KeyError:
            v = _num(x) if self.is_ground(x) else None
            self._nums[k] = v
            self._keep.append(x)
            return v

    def name_of(self, t) -> str | None:
        """The name of the named value (``e1 := EdgeNode(…)``) whose term is ``t``, if any."""
        return self._value_names.get(t.get_id())

    def member_of(self, x, t: Type):
        """The member (name, or bool) that the ground term ``x`` of finite type ``t`` is."""
        ids = self._member_ids.get(t)
        if ids is None:
            ids = {self.member_term(t, k).get_id(): k for k in finite_members(t)}  # type: ignore[union-attr]
            self._member_ids[t] = ids
        return ids.get(x.get_id())

    def is_ground(self, x) -> bool:
        """Whether ``x`` is a value built from literals and constructors only."""
        k = x.get_id()
        r = self._ground.get(k)
        if r is None:
            if not z3.is_app(x):  # bound variables, quantifiers, lambdas
                r = False
            elif x.num_args() == 0:
                r = _is_value(x)
            else:
                r = x.decl().kind() in _GROUND_KINDS and all(self.is_ground(c) for c in x.children())
            self._ground[k] = r
            self._keep.append(x)
        return r


def _has_quantity(t: Type, seen=None) -> bool:
    if isinstance(t, QuantT):
        return True
    if isinstance(t, RecordT):
        return any(_has_quantity(ft) for _, ft in t.fields)
    return False
