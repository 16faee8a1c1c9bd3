"""Lowering parsed formulas to ``.iot`` declarations, in document order.

Each statement of a formula becomes declarations by its shape:

==========================================  ================================================
``X = (a, b, c)`` / ``⟨a, b⟩``              a tuple type; components name uninterpreted
                                            sorts (``x: T`` gives a named field)
``X = \\{A, B, C\\}``                         an enumeration (a subset, when every member
                                            already belongs to one enumeration)
``f: A \\times B \\rightarrow C``              a function signature (``x: T``: a constant)
``F(a, b) = c``                             a function given by its shape: ``F: a × b → c``
``X = f(A, B)``                             the same: ``f: A × B → X``
``X = P \\land Q`` (any truth value)         a predicate ``X := P ∧ Q`` (atoms: ``Bool``)
``X = \\frac{a}{b}`` (any number)            a metric ``X := a / b`` (atoms: ``Real``)
``X = \\min(…)`` / ``\\max_{x \\in S} …``      an objective: the quantity optimised
``x \\in S``                                 a constant ``x: S``
==========================================  ================================================

Anything else parses but is not lowered: the statement is kept as a comment and the formula is
``partial``, with the reason. Names are made valid and unique by :class:`~.names.Names`; a
statement that fails leaves no trace in them (an undo by insertion order).
"""
from __future__ import annotations

from .exprs import Exprs, Skip, Symbols, name_text
from .lexer import LatexError
from .model import Decl, Definition, Document, Formula
from .names import Names
from .parse import parse_formula
from .scan import RawFormula, ScanResult
from .shapes import (
    BUILTINS,
    MAX_NESTING,
    clip,
    depth,
    factors,
    field_names,
    ident_field,
    is_boolean,
    is_numeric,
    name_term,
    safe_show,
    share_domains,
    stem,
    tag_of,
    unwrap,
    where_in_doc,
)
from .terms import Apply, Big, Bin, Const, Define, Group, Num, Quant, Term, show


class Lowerer:
    """Lowers the formulas of one document; holds the names given so far."""

    def __init__(self) -> None:
        self.names = Names()
        self.syms = Symbols({}, {}, {})
        self.declared_types: dict[str, str] = {}      # tuple/enum identifier → its kind
        self.fields: dict[str, set[str]] = {}          # tuple → the types of its components
        self.members: dict[str, str] = {}              # member → its enumeration
        self.enums: dict[str, tuple[str, ...]] = {}
        # Types the skeleton declares (a sort is declared by naming it in a tuple, a signature
        # or a constant's type; a binder alone does not declare it).
        self.sorts: dict[str, None] = dict.fromkeys(BUILTINS)
        self._dicts = (self.sorts, self.names.bound, self.names.taken, self.names.by_key,
                       self.syms.consts, self.syms.funcs,
                       self.syms.sets, self.declared_types, self.fields, self.members,
                       self.enums)

    # -- undo -----------------------------------------------------------------------------
    def _mark(self) -> list[int]:
        return [len(d) for d in self._dicts]

    def _undo(self, mark: list[int]) -> None:
        # Only insertions happen while lowering a statement: popping the newest entries
        # restores the state.
        for d, n in zip(self._dicts, mark):
            while len(d) > n:
                d.popitem()

    # -- formulas -------------------------------------------------------------------------
    def formula(self, raw: RawFormula, tag: str | None) -> Formula:
        """Parse and lower one formula; never raises."""
        if raw.error is not None:
            return Formula(raw.line, raw.latex, "unparsed", raw.error, ())
        if not raw.latex.strip():
            return Formula(raw.line, raw.latex, "unparsed", "an empty formula", ())
        try:
            stmts = parse_formula(raw.latex)
        except LatexError as e:
            return Formula(raw.line, raw.latex, "unparsed", f"{e.message} ({where_in_doc(raw, e.pos)})",
                           ())
        except Exception as e:  # noqa: BLE001  # pragma: no cover - a bug; reported, never a crash
            return Formula(raw.line, raw.latex, "unparsed", f"internal error: {e!r}", ())
        decls: list[Decl] = []
        reasons: list[str] = []
        for st in share_domains(list(stmts)):
            mark = self._mark()
            try:
                decls.extend(self.statement(st, tag, raw.line))
            except Skip as e:
                self._undo(mark)
                reasons.append(f"`{clip(safe_show(st))}`: {e}" if len(stmts) > 1 else str(e))
            except RecursionError:
                self._undo(mark)
                reasons.append("nested too deeply to lower")
            except Exception as e:  # noqa: BLE001  # pragma: no cover - a bug; reported, never a crash
                self._undo(mark)
                reasons.append(f"internal error: {e!r}")
        if not reasons:
            return Formula(raw.line, raw.latex, "parsed", None, tuple(decls))
        return Formula(raw.line, raw.latex, "partial", "; ".join(reasons), tuple(decls))

    # -- statements -----------------------------------------------------------------------
    def statement(self, t: Term, tag: str | None, line: int) -> list[Decl]:
        ex = Exprs(self.names, self.syms, tag, self._index_sort)
        main = self._statement(t, ex)
        for kind, name, parts, result, _, _ in ex.decls + main:
            if kind in ("function", "relation"):
                new = list(parts) + [result]
            elif kind == "constant":
                new = [result]
            elif kind in ("tuple", "enum"):
                new = [name]
            else:
                new = []
            for typ in new:
                if typ:
                    self.sorts.setdefault(typ.removeprefix("set "), None)
        for *_, text, _ in ex.decls + main:
            if depth(text) > MAX_NESTING:
                raise Skip(f"nested deeper than {MAX_NESTING} levels (the spec language "
                           "refuses such expressions)")
        missing = [s for s in ex.binder_sorts if s.removeprefix("set ") not in self.sorts]
        if missing:
            raise Skip(f"`{missing[0]}` is a type named only by a binder: declare it in the "
                       "spec (as a tuple or an enumeration)")
        out = [Decl(k, n, p, r, text, tag, line, src) for k, n, p, r, text, src in ex.decls]
        out.extend(Decl(k, n, p, r, text, tag, line, src) for k, n, p, r, text, src in main)
        return out

    def _statement(self, t: Term, ex: Exprs) -> list[tuple]:
        match t:
            case Define(lhs=Apply(fn=f, args=args), rhs=rhs):
                return self._function_by_shape(f, args, rhs, ex)
            case Define(lhs=lhs, rhs=rhs):
                doc = name_text(lhs)
                if doc is None:
                    raise Skip(f"`{show(lhs)}` is not a name")
                return self._define(doc, rhs, ex)
            case Bin(op=":", left=head, right=typ) if name_text(head) is not None:
                return self._signature(name_text(head), typ, ex)
            case Bin(op="∈", left=x, right=dom) if name_text(x) is not None and \
                    self.names.lookup(name_text(x), "const") is None:
                doc = name_text(x)
                typ = ex.sort(dom)
                ident_, _ = self.names.get(doc, "const", ex.where)
                self.syms.consts[ident_] = typ
                return [("constant", ident_, (), typ, f"{ident_}: {typ}", doc)]
        if name_text(t) is not None:
            raise Skip(f"`{name_text(t)}` alone declares nothing")
        raise Skip("a statement with no name to define; state it in the spec as a `check` "
                   "or an `assume`")

    def _define(self, doc: str, rhs: Term, ex: Exprs) -> list[tuple]:
        match rhs:
            case Group(kind="(" | "⟨", items=items) if items and (
                    len(items) > 1 or name_text(items[0]) is not None):
                return self._tuple(doc, items, ex)
            case Group(kind="\\{", items=items):
                return self._enum(doc, items, ex)
            case Big(op="min" | "max" | "argmin" | "argmax" as op, sub=sub, body=body) \
                    if not is_numeric(rhs):
                return self._objective(doc, op, sub, body, ex)
            case Apply(fn=f, args=args) if name_text(f) is not None and \
                    self.names.lookup(name_text(f), "function") is None and args and \
                    all(name_text(a) is not None for a in args):
                params = tuple(ex.sort(a) for a in args)
                result = ex.sort(name_term(doc))
                return [self._function(name_text(f), params, result, ex, name_text(f))]
        if is_boolean(rhs):
            body = unwrap(ex.boolean(rhs, {}))
            name = self._value_name(doc, "bool", ex)
            return [("predicate", name, tuple(ex.uses), None, f"{name} := {body}", doc)]
        if is_numeric(rhs):
            body = unwrap(ex.numeric(rhs, {}))
            name = self._value_name(doc, "real", ex)
            return [("metric", name, tuple(ex.uses), None, f"{name} := {body}", doc)]
        if name_text(rhs) is not None:
            raise Skip(f"`{doc} = {name_text(rhs)}` only gives another name")
        raise Skip(f"`{clip(show(rhs))}` is neither a tuple, a set, a truth value nor a "
                   "number")

    def _value_name(self, doc: str, role: str, ex: Exprs) -> str:
        """A new identifier for a defined value, which later bodies then use for ``doc``."""
        ident_ = self.names.fresh(doc, "value", ex.where)
        self.names.bind(doc, role, ident_)
        self.syms.consts[ident_] = "Bool" if role == "bool" else "Real"
        return ident_

    # -- shapes ---------------------------------------------------------------------------
    def _type_name(self, doc: str, parts: set[str], ex: Exprs) -> str:
        """The identifier of a new tuple or enumeration: the sort of that name when the
        document used it before (the declaration refines it), unless it would contain itself."""
        ident_ = self.names.lookup(doc, "type")
        if ident_ is not None and ident_ not in self.declared_types and \
                self.names.role(ident_) == "type" and ident_ not in BUILTINS and \
                not self._reaches(parts, ident_):
            return ident_
        ident_ = self.names.fresh(doc, "type", ex.where)
        self.names.bind(doc, "type", ident_)
        return ident_

    def _reaches(self, start: set[str], target: str) -> bool:
        seen, todo = set(), list(start)
        while todo:
            t = todo.pop()
            if t == target:
                return True
            if t not in seen:
                seen.add(t)
                todo.extend(self.fields.get(t, ()))
        return False

    def _tuple(self, doc: str, items, ex: Exprs) -> list[tuple]:
        comps: list[tuple[str | None, str]] = []
        for it in items:
            match it:
                case Bin(op=":" | "∈", left=v, right=ty) if name_text(v) is not None:
                    comps.append((ident_field(name_text(v)), ex.sort(ty)))
                case Const(symbol="…"):
                    raise Skip("a tuple with elided components `…`")
                case _:
                    try:
                        comps.append((None, ex.sort(it)))
                    except Skip:
                        raise Skip(f"the component `{clip(show(it))}` is not a type name") \
                            from None
        types = [t for _, t in comps]
        fields = field_names(comps)
        if fields is None:
            raise Skip("two components have the same field name")
        name = self._type_name(doc, {t.removeprefix("set ") for t in types}, ex)
        self.declared_types[name] = "tuple"
        self.fields[name] = {t.removeprefix("set ") for t in types}
        for t in types:
            self.sorts.setdefault(t.removeprefix("set "), None)
        body = ", ".join(t if f is None else f"{f}: {t}" for f, t in zip(fields, types))
        parts = tuple(f if f is not None and c[0] is not None else t
                      for f, t, c in zip(fields, types, comps))
        return [("tuple", name, parts, None, f"{name} = ({body})", doc)]

    def _enum(self, doc: str, items, ex: Exprs) -> list[tuple]:
        if not items:
            raise Skip("an empty set declares nothing")
        if all(isinstance(i, Num) for i in items):
            name = self._value_name(doc, "set", ex)
            self.syms.sets[name] = "Real"
            nums = tuple(dict.fromkeys(i.text for i in items))
            return [("constant", name, nums, "set Real", f"{name} := {{{', '.join(nums)}}}",
                     doc)]
        docs: list[str] = []
        for it in items:
            m = name_text(it)
            if isinstance(it, Const) and it.symbol == "…":
                raise Skip("a set with elided members `…`")
            if m is None or isinstance(it, (Bin, Quant)):
                what = "a set given by a condition" if isinstance(it, Bin) and it.op in (
                    "|", ":") else f"the member `{clip(show(it))}` is not a name"
                raise Skip(what)
            if m not in docs:
                docs.append(m)
        old = [self.names.lookup(m, "member") for m in docs]
        owners = {self.members.get(o) for o in old}
        if None not in old and len(owners) == 1:
            # A named subset of that enumeration: a value of type `set E`, not a type.
            owner = owners.pop()
            name = self.names.fresh(doc, "value", ex.where)
            self.names.bind(doc, "set", name)
            self.syms.sets[name] = owner
            return [("enum", name, tuple(old), owner, f"{name} = {{{', '.join(old)}}}", doc)]
        members = []
        for m, o in zip(docs, old):
            ident_ = self.names.fresh(m, "member", ex.where) if o is not None else \
                self.names.get(m, "member", ex.where)[0]
            members.append(ident_)
        name = self._type_name(doc, set(), ex)
        self.declared_types[name] = "enum"
        for ident_ in members:
            self.members[ident_] = name
        self.enums[name] = tuple(members)
        return [("enum", name, tuple(members), None, f"{name} = {{{', '.join(members)}}}",
                 doc)]

    def _signature(self, doc: str, typ: Term, ex: Exprs) -> list[tuple]:
        match typ:
            case Bin(op="→", left=dom, right=cod):
                if isinstance(cod, Bin) and cod.op == "→":
                    raise Skip("a function that returns a function (curried)")
                params = tuple(ex.sort(d) for d in factors(dom))
                result = ex.sort(cod)
                return [self._function(doc, params, result, ex, doc)]
        t = ex.sort(typ)
        ident_, _ = self.names.get(doc, "const", ex.where)
        if self.names.lookup(doc, "const") != ident_ or ident_ in self.syms.consts:
            ident_ = self.names.fresh(doc, "const", ex.where)
            self.names.bind(doc, "const", ident_)
        self.syms.consts[ident_] = t
        return [("constant", ident_, (), t, f"{ident_}: {t}", doc)]

    def _function(self, doc: str, params: tuple[str, ...], result: str, ex: Exprs,
                  source: str) -> tuple:
        if self.names.lookup(doc, "function") is None:
            ident_, _ = self.names.get(doc, "function", ex.where)
        else:
            ident_ = self.names.fresh(doc, "function", ex.where)
            self.names.bind(doc, "function", ident_)
        self.syms.funcs[ident_] = (params, result)
        kind = "relation" if result == "Bool" else "function"
        return (kind, ident_, params, result, f"{ident_}: {' × '.join(params)} → {result}",
                source)

    def _function_by_shape(self, f: Term, args, rhs: Term, ex: Exprs) -> list[tuple]:
        doc = name_text(f)
        if doc is None:
            raise Skip(f"`{show(f)}` is not a function name")
        if not args or not all(name_text(a) is not None for a in args) or \
                name_text(rhs) is None:
            raise Skip(f"`{doc}(…) = …` gives the function's values, not its type: declare "
                       f"`{doc}: A → B` in the spec and define it there")
        params = tuple(ex.sort(name_term(stem(name_text(a)))) for a in args)
        result = ex.sort(name_term(name_text(rhs)))
        return [self._function(doc, params, result, ex, doc)]

    def _objective(self, doc: str, op: str, sub: Term | None, body: Term | None,
                   ex: Exprs) -> list[tuple]:
        if body is None:
            raise Skip(f"`\\{op}` without a body")
        env: dict = {}
        params: list[str] = []
        if sub is not None:
            params, env = ex._binders([sub], env)
        text = unwrap(ex.numeric(body, env))
        name = self._value_name(doc, "real", ex)
        head = f"{name}({', '.join(params)})" if params else name
        direction = "min" if op in ("min", "argmin") else "max"
        return [("objective", name, tuple(ex.uses), direction, f"{head} := {text}", doc)]

    def _index_sort(self) -> str:
        ident_, _ = self.names.get("Index", "type")
        return ident_


def lower_document(scan: ScanResult, file: str) -> Document:
    """The :class:`Document` of a scanned document: every formula parsed and lowered."""
    low = Lowerer()
    defs = []
    for b in scan.blocks:
        tag = tag_of(b.kind, b.number)
        formulas = tuple(low.formula(f, tag) for f in b.formulas)
        defs.append(Definition(b.number, b.kind, b.title, b.section, b.line, formulas))
    return Document(file, tuple(defs), tuple(scan.problems))
