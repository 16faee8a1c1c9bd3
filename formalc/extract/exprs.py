"""Lowering formula bodies to ``.iot`` expressions, declaring what they use.

A body is read in a context — Boolean (a predicate) or numeric (a metric, an objective) — and
every name it uses gets the declaration that context implies: an atom of a conjunction is a
``Bool`` constant, a term of a fraction a ``Real`` constant, ``P(x)`` with ``x`` bound over
``S`` a relation ``P: S → Bool``, ``w_i`` under ``\\sum_{i}`` a function ``w: Index → Real``.
A construct outside this fragment raises :class:`Skip` with the reason, and the statement is
kept as a comment (status ``partial``) rather than guessed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .names import BLACKBOARD, Names
from .terms import (

    Apply,
    Big,
    Bin,
    Cases,
    Const,
    Decor,
    Frac,
    Group,
    Name,
    Num,
    Prime,
    Quant,
    Script,
    Term,
    Text,
    Un,
    show,
)

#: The longest base `x^2`/`x^3` is written out for (`x × x`); a larger one is partial.
MAX_POWER_BASE = 200


class Skip(Exception):
    """A statement (or part) that is not lowered; the message says why."""


@dataclass
class Symbols:
    """What the skeleton has declared so far (by identifier)."""
    consts: dict[str, str]                       # constant → its type
    funcs: dict[str, tuple[tuple[str, ...], str]]  # function → (parameter types, result)
    sets: dict[str, str]                         # set constant → element type


_BOOL_OPS = {"∧": "∧", "∨": "∨", "⇒": "⇒", "⇔": "⇔", "≡": "⇔"}
_CMP_OPS = {"<": "<", "≤": "≤", ">": ">", "≥": "≥", "=": "=", "≠": "≠"}
_NUM_OPS = {"+": "+", "-": "-", "×": "×", "·": "×", "/": "/"}


def name_text(t: Term) -> str | None:
    """The document name a term stands for (``Security_{VM}`` → ``Security_VM``), or None
    when it is not a name."""
    match t:
        case Name(text=s):
            return s
        case Text(text=s):
            s = s.strip()
            return s if s else None
        case Script(base=b, sub=sub, sup=sup):
            base = name_text(b)
            if base is None:
                return None
            out = base
            if sub is not None:
                s = _script_text(sub)
                if s is None:
                    return None
                out += "_" + s
            if sup is not None:
                s = _script_text(sup)
                if s is None:
                    return None
                out += "_" + {"*": "star", "'": "prime", "+": "plus", "-": "minus",
                              "×": "star", "⋆": "star"}.get(s, s)
            return out
        case Prime(base=b):
            base = name_text(b)
            return None if base is None else base + "_prime"
        case Decor(kind=k, arg=a):
            base = name_text(a)
            return None if base is None else f"{base}_{k}"
        case Group(kind="(" | "{", items=(x,)):
            return name_text(x)
        case Bin(op="/", left=a, right=b) if not isinstance(b, Num):
            # The document's own notation: `I/O` is one name.
            la, rb = name_text(a), name_text(b)
            return None if la is None or rb is None else f"{la}/{rb}"
    return None


def _script_text(t: Term) -> str | None:
    match t:
        case Num(text=s):
            return s
        case Un(op="-", arg=Num(text=s)):
            return "inv" if s == "1" else "neg" + s
        case Group(kind="{" | "(", items=items):
            parts = [_script_text(i) for i in items]
            return None if None in parts else "_".join(parts)  # type: ignore[arg-type]
        case Bin(op="·", left=a, right=b, implicit=True):
            la, rb = _script_text(a), _script_text(b)
            return None if la is None or rb is None else la + rb
        case Const(symbol=s):
            return {"⊤": "top", "⊥": "bot"}.get(s)
    return name_text(t)


class Exprs:
    """Lowers bodies for one statement; ``decls`` collects the side declarations as
    ``(kind, name, parts, result, text, source)`` tuples."""

    def __init__(self, names: Names, syms: Symbols, where: str | None, index_sort) -> None:
        self.names, self.syms, self.where = names, syms, where
        self.decls: list[tuple] = []
        self.uses: list[str] = []
        self.binder_sorts: list[str] = []      # types that binders range over
        self._index_sort = index_sort

    # -- helpers --------------------------------------------------------------------------
    def _use(self, ident_: str) -> str:
        if ident_ not in self.uses:
            self.uses.append(ident_)
        return ident_

    def constant(self, doc: str, typ: str) -> str:
        """The constant of type ``typ`` the document's name ``doc`` stands for."""
        role = "bool" if typ == "Bool" else ("real" if typ == "Real" else "const:" + typ)
        ident_, new = self.names.get(doc, role, self.where)
        if new:
            self.syms.consts[ident_] = typ
            self.decls.append(("constant", ident_, (), typ, f"{ident_}: {typ}", doc))
        return self._use(ident_)

    def function(self, doc: str, params: tuple[str, ...], result: str, kind: str) -> str:
        """The function (or relation, when ``result`` is Bool) ``doc: params → result``."""
        ident_ = self.names.lookup(doc, "function")
        if ident_ is not None:
            sig = self.syms.funcs.get(ident_)
            if sig == (params, result):
                return self._use(ident_)
            raise Skip(f"`{doc}` is used with the signature {_sig(params, result)} here but "
                       f"was declared as {_sig(*sig) if sig else 'something else'}")
        ident_, _ = self.names.get(doc, "function", self.where)
        self.syms.funcs[ident_] = (params, result)
        text = f"{ident_}: {_sig(params, result)}"
        self.decls.append((kind, ident_, params, result, text, doc))
        return self._use(ident_)

    def sort(self, t: Term) -> str:
        """A term in a type position: a sort (declared by naming it) or a built-in type."""
        match t:
            case Name(text=s) if s in BLACKBOARD:
                return BLACKBOARD[s]
            case Script(base=Name(text=s)) if s in BLACKBOARD:
                return BLACKBOARD[s]          # ℝ^+, ℝ_{≥0}: still the reals
            case Apply(fn=Name(text="P" | "℘"), args=(x,)):
                inner = self.sort(x)
                if inner.startswith("set "):
                    raise Skip("a set of sets is not a type of the language")
                return "set " + inner
            case Script(base=Num(text="2"), sub=None, sup=x):
                inner = self.sort(x)
                if inner.startswith("set "):
                    raise Skip("a set of sets is not a type of the language")
                return "set " + inner
        doc = name_text(t)
        if doc is None:
            raise Skip(f"`{show(t)}` is not a type name")
        ident_, _ = self.names.get(doc, "type", self.where)
        return self._use(ident_)

    def bind(self, doc: str, typ: str, env: dict) -> dict:
        var = self.names.fresh(doc, "var")
        out = dict(env)
        out[doc] = (var, typ)
        return out

    # -- Boolean --------------------------------------------------------------------------
    def boolean(self, t: Term, env: dict) -> str:
        match t:
            case Const(symbol="⊤"):
                return "true"
            case Const(symbol="⊥"):
                return "false"
            case Group(kind="(" | "{", items=(x,)):
                return self.boolean(x, env)
            case Un(op="¬", arg=a):
                return f"¬{_wrap(self.boolean(a, env))}"
            case Bin(op=op, left=a, right=b) if op in _BOOL_OPS:
                return f"({self.boolean(a, env)} {_BOOL_OPS[op]} {self.boolean(b, env)})"
            case Bin(op=op, left=a, right=b) if op in ("∈", "∉"):
                return self._member(op, a, b, env)
            case Bin(op=op, left=a, right=b) if op in _CMP_OPS:
                return self._compare(op, a, b, env)
            case Bin(op="⊆", left=a, right=b):
                return self._subset(a, b)
            case Quant(q=q, binders=bs, body=body) if q in ("∀", "∃") and body is not None:
                return self._quant(q, bs, body, env)
            case Apply(fn=f, args=args):
                return self._apply(f, args, env, "Bool", "relation")
        doc = name_text(t)
        if doc is not None:
            if doc in env:
                var, typ = env[doc]
                if typ != "Bool":
                    raise Skip(f"`{doc}` ranges over {typ} but stands where a truth value is "
                               "expected")
                return var
            return self.constant(doc, "Bool")
        raise Skip(f"`{show(t)}` is not a truth value the skeleton can state")

    def _member(self, op: str, a: Term, b: Term, env: dict) -> str:
        elem, etype = self._operand(a, env)
        doc = name_text(b)
        if doc is None:
            raise Skip(f"`{show(b)}` is not a set name")
        return f"({elem} {op} {self._set(doc, etype)})"

    def _set(self, doc: str, etype: str) -> str:
        ident_ = self.names.lookup(doc, "set")
        if ident_ is None:
            ident_, _ = self.names.get(doc, "set", self.where)
            self.syms.sets[ident_] = etype
            self.decls.append(("constant", ident_, (), f"set {etype}",
                               f"{ident_}: set {etype}", doc))
        elif self.syms.sets.get(ident_) != etype:
            raise Skip(f"`{doc}` holds {self.syms.sets.get(ident_)} elsewhere, {etype} here")
        return self._use(ident_)

    def _subset(self, a: Term, b: Term) -> str:
        da, db = name_text(a), name_text(b)
        if da is None or db is None:
            raise Skip("`⊆` between sets that are not named")
        known = [self.syms.sets.get(self.names.lookup(d, "set") or "") for d in (da, db)]
        etype = next((k for k in known if k), None)
        if etype is None:
            raise Skip(f"what `{da}` and `{db}` hold is not known: declare them as sets "
                       f"(`{da}: set T`)")
        return f"({self._set(da, etype)} ⊆ {self._set(db, etype)})"

    def _operand(self, t: Term, env: dict) -> tuple[str, str]:
        """An operand of ``=`` or ``∈``: a bound variable (its sort) or a number."""
        doc = name_text(t)
        if doc is not None and doc in env:
            return env[doc]
        return self.numeric(t, env), "Real"

    def _compare(self, op: str, a: Term, b: Term, env: dict) -> str:
        if op in ("=", "≠"):
            la, ta = self._operand(a, env)
            rb, tb = self._operand(b, env)
            if ta != tb:
                raise Skip(f"`{show(a)}` ({ta}) and `{show(b)}` ({tb}) cannot be compared")
            return f"({la} {op} {rb})"
        return f"({self.numeric(a, env)} {_CMP_OPS[op]} {self.numeric(b, env)})"

    def _binders(self, bs, env: dict) -> tuple[list[str], dict]:
        out: list[str] = []
        pending: list[str] = []        # `∀ x, y ∈ S`: x takes the domain of y
        for b in bs:
            match b:
                case Bin(op="∈" | ":", left=v, right=dom) if name_text(v) is not None:
                    typ = self.sort(dom)
                    self.binder_sorts.append(typ)
                    for doc in pending + [name_text(v)]:
                        env = self.bind(doc, typ, env)
                        out.append(f"{env[doc][0]}: {typ}")
                    pending = []
                case _ if name_text(b) is not None:
                    pending.append(name_text(b))
                case _:
                    raise Skip(f"the binder `{show(b)}` is not `x ∈ S` or `x: T`")
        if pending:
            raise Skip(f"the domain of `{', '.join(pending)}` is not given (write `x \\in S`)")
        return out, env

    def _quant(self, q: str, bs, body: Term, env: dict) -> str:
        items, inner = self._binders(bs, env)
        return f"({q} {', '.join(items)} • {self.boolean(body, inner)})"

    def _args(self, args, env: dict) -> tuple[tuple[str, ...], list[str]]:
        types, texts = [], []
        for a in args:
            text, typ = self._operand(a, env)
            types.append(typ)
            texts.append(text)
        return tuple(types), texts

    def _apply(self, f: Term, args, env: dict, result: str, kind: str) -> str:
        """``f(args)`` with ``f`` a name: a function (or relation) of the skeleton returning
        ``result``, declared from the arguments' types."""
        doc = name_text(f)
        if doc is None or doc in env:
            raise Skip(f"`{show(f)}` is applied but is not a name")
        if not args:
            raise Skip(f"`{doc}()` applies a function to nothing")
        params, texts = self._args(args, env)
        fn = self.function(doc, params, result, kind)
        return f"{fn}({', '.join(texts)})"

    # -- numbers --------------------------------------------------------------------------
    def numeric(self, t: Term, env: dict) -> str:
        match t:
            case Num(text=s):
                return s
            case Group(kind="(" | "{", items=(x,)):
                return self.numeric(x, env)
            case Un(op="-", arg=a):
                return f"-{_wrap(self.numeric(a, env))}"
            case Bin(op=op, left=a, right=b) if op in _NUM_OPS:
                return self._arith(_NUM_OPS[op], a, b, env)
            case Frac(kind="frac", num=a, den=b):
                return self._arith("/", a, b, env)
            case Script(base=base, sub=None, sup=Num(text=k)) if k in ("2", "3"):
                x = self.numeric(base, env)
                if len(x) > MAX_POWER_BASE:  # repeating a large base doubles the text per
                    raise Skip(f"the base of `^{k}` is too large to expand "  # nested power
                               f"({len(x)} characters)")
                return "(" + " × ".join([x] * int(k)) + ")"
            case Script(base=base, sub=sub, sup=None) if name_text(base) and \
                    name_text(sub) in env:
                var, typ = env[name_text(sub)]
                fn = self.function(name_text(base), (typ,), "Real", "function")
                return f"{fn}({var})"
            case Big(op="Σ" | "Π" as op, sub=sub, sup=sup, body=body):
                return self._sum(op, sub, sup, body, env)
            case Big(op="min" | "max" as op, sub=None, body=Group(kind="(", items=items)) \
                    if len(items) >= 2:
                return self._minmax(op, [self.numeric(x, env) for x in items])
            case Cases(rows=rows):
                return self._cases(rows, env)
            case Apply(fn=f, args=args):
                return self._apply(f, args, env, "Real", "function")
        doc = name_text(t)
        if doc is not None:
            if doc in env:
                var, typ = env[doc]
                if typ not in ("Real", "Int"):
                    raise Skip(f"`{doc}` ranges over {typ} but stands where a number is "
                               "expected")
                return var
            return self.constant(doc, "Real")
        raise Skip(f"`{show(t)}` is not a number the skeleton can state")

    def _arith(self, op: str, a: Term, b: Term, env: dict) -> str:
        left, right = self.numeric(a, env), self.numeric(b, env)
        if op == "/" and right.strip("()").replace(".", "").strip("0") == "":
            raise Skip("a division by zero")
        return f"({left} {op} {right})"

    def _sum(self, op: str, sub: Term | None, sup: Term | None, body: Term, env: dict) -> str:
        if op == "Π":
            raise Skip("a product `\\prod` has no counterpart in the language")
        match sub:
            case Bin(op="∈" | ":", left=v, right=dom) if name_text(v) is not None:
                doc, typ = name_text(v), self.sort(dom)
            case Bin(op="=", left=v) if name_text(v) is not None:
                doc, typ = name_text(v), self._index_sort()    # i = 1 … n: an index set
            case _ if sub is not None and name_text(sub) is not None:
                doc, typ = name_text(sub), self._index_sort()
            case _:
                raise Skip("a sum without its index (write `\\sum_{i}` or `\\sum_{i \\in S}`)")
        self.binder_sorts.append(typ)
        inner = self.bind(doc, typ, env)
        var = inner[doc][0]
        return f"(Σ {var}: {typ} • {self.numeric(body, inner)})"

    @staticmethod
    def _minmax(op: str, xs: list[str]) -> str:
        out = xs[0]
        cmp = "≤" if op == "min" else "≥"
        for x in xs[1:]:
            out = f"(if {out} {cmp} {x} then {out} else {x})"
        return out

    def _cases(self, rows, env: dict) -> str:
        if not rows:
            raise Skip("empty cases")
        *first, last = rows
        value, cond = last
        out = self.numeric(value, env)
        if cond is not None and not _otherwise(cond):
            raise Skip("the last case has a condition: say what holds otherwise")
        for value, cond in reversed(first):
            if cond is None or _otherwise(cond):
                raise Skip("only the last case may be `otherwise`")
            out = f"(if {self.boolean(_strip_if(cond), env)} then {self.numeric(value, env)} " \
                  f"else {out})"
        return out


def _wrap(s: str) -> str:
    """Parentheses around ``s`` unless it is a name, a number or already enclosed."""
    if s.replace("_", "a").replace(".", "0").isalnum() or (s.startswith("(") and
                                                            s.endswith(")") and
                                                            _balanced_inside(s)):
        return s
    return f"({s})"


def _balanced_inside(s: str) -> bool:
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(s) - 1:
            return False
    return True


def _otherwise(t: Term) -> bool:
    return isinstance(t, Text) and t.text.strip().lower() in ("otherwise", "else", "否则",
                                                             "其他", "其它", "其他情况")


def _strip_if(t: Term) -> Term:
    """``\\text{if } x > 0`` reads as the word times ``x``, compared with 0: drop the word
    from the left spine of the condition."""
    if isinstance(t, Bin):
        if t.implicit and isinstance(t.left, Text) and \
                t.left.text.strip().lower() in ("if", "when", "若", "如果", "当"):
            return t.right
        left = _strip_if(t.left)
        if left is not t.left:
            return Bin(t.op, left, t.right, t.implicit, pos=t.pos, end=t.end)
    return t


def _sig(params: tuple[str, ...], result: str) -> str:
    return f"{' × '.join(params)} → {result}" if params else result


__all__ = ["Exprs", "Skip", "Symbols", "name_text"]
