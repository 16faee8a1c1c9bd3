"""Operator chains: precedence and associativity, resolved in the parser's callbacks.

The grammar reads an expression as a flat chain ``unit (op unit)*`` in which each operand may
carry prefix operators; :class:`Chain` turns it into the syntax tree by recursive descent over
the levels of the language. One LALR reduction per operand (instead of one per precedence level)
is what keeps parsing fast.
"""
from __future__ import annotations

from lark import Token

from . import ast

#: Deepest expression nesting accepted; deeper input gets FC104. Real specs stay far below.
MAX_DEPTH = 200

_CANON = {
    "!=": "≠", "<=": "≤", ">=": "≥", "in": "∈", "notin": "∉", "subset": "⊆",
    "union": "∪", "*": "×", "inter": "∩", "forall": "∀", "exists": "∃",
    "not": "¬", "!": "¬", "⊤": "true", "⊥": "false",
    "□": "always", "◇": "eventually", "○": "next", "⤳": "~>", "leadsto": "~>", "models": "⊨",
}


def canon(op: str) -> str:
    """The canonical (Unicode) spelling of an operator."""
    return _CANON.get(op, op)


class ChainError(Exception):
    """A problem found while resolving an operator chain (reported as FC101 or FC104)."""

    def __init__(self, code: str, message: str, where, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.where, self.hint = code, message, where, hint


class Prefix:
    """A prefix operator before an operand: ¬, -, a quantifier or Σ with its binders, or
    `if c then a else` (whose else-branch is the rest of the chain)."""

    __slots__ = ("op", "token", "data")

    def __init__(self, op: str, token, data):
        self.op, self.token, self.data = op, token, data


class Unit:
    __slots__ = ("prefixes", "operand")

    def __init__(self, prefixes, operand):
        self.prefixes, self.operand = prefixes, operand


_NARY = {"⇔": "⇔", "<=>": "⇔", "iff": "⇔", "∨": "∨", "||": "∨", "or": "∨",
         "∧": "∧", "&&": "∧", "and": "∧"}
_IMPLIES = {"⇒", "=>", "implies"}
_CMP = {"=", "≠", "!=", "<", "≤", "<=", ">", "≥", ">=", "∈", "in", "∉", "notin", "⊆", "subset"}
_ADD = {"+", "-", "∪", "union", "\\"}
_MODELS = {"⊨", "models"}
_LEADSTO = {"~>", "⤳", "leadsto"}
_UNTIL = {"until"}
TEMPORAL_PREFIX = {"always", "eventually", "next"}
_MUL = {"*", "×", "/", "∩", "inter"}


class Chain:
    """Resolves a flat chain ``unit (op unit)*`` into the syntax tree, by recursive descent
    over the levels of the language (the same trees the precedence grammar gave)::

        top  := lt (⊨ lt)?            lt   := until (~> until)?    (machine properties)
        until:= iff (until until)?    (folded to the right)
        iff  := imp (⇔ imp)*          imp  := or (⇒ or)*   (folded to the right)
        or   := and (∨ and)*          and  := not (∧ not)*
        not  := ¬ not | always not | eventually [within k] not | next not | cmp
        cmp  := add (cmpop add)?   (non-associative)
        add  := mul (addop mul)*      mul  := neg (mulop neg)*
        neg  := - neg | atom          atom := ∀/∃/if … iff | Σ … add | operand

    Recursion happens only through runs of prefixes, which are bounded by MAX_DEPTH.
    """

    def __init__(self, b, children):
        self.b = b
        stream: list = []
        for x in children:
            if isinstance(x, Token):
                stream.append(("op", str(x), x))
            elif isinstance(x, Unit):
                if len(x.prefixes) > MAX_DEPTH:
                    raise ChainError("FC104", f"{len(x.prefixes)} prefix operators in a row "
                                     f"(the limit is {MAX_DEPTH})", x.prefixes[MAX_DEPTH].token,
                                     "split the expression into named definitions")
                stream.extend(("pre", p, p.token) for p in x.prefixes)
                stream.append(("atom", x.operand, None))
            else:
                stream.append(("atom", x, None))
        self.s = stream
        self.i = 0

    def parse(self):
        node = self.models()
        if self.i != len(self.s):  # only a second comparison can be left over
            kind, op, tok = self.s[self.i]
            if op in _MODELS:
                raise ChainError("FC101", f"unexpected `{op}`: a check states one `M ⊨ φ`", tok,
                                 "the right side of `⊨` is a property, not a machine")
            if op in _LEADSTO:
                raise ChainError("FC101", f"unexpected `{op}`: `~>` does not chain", tok,
                                 "parenthesise one side: `(p ~> q) ~> r` or `p ~> (q ~> r)`")
            raise ChainError("FC101", f"unexpected `{op}`: comparisons do not chain", tok,
                             "write `a < b ∧ b < c`, or parenthesise one side")
        return node

    # helpers
    def _op(self, ops) -> str | None:
        if self.i < len(self.s):
            kind, op, _ = self.s[self.i]
            if kind == "op" and op in ops:
                return op
        return None

    def _pre(self, ops):
        if self.i < len(self.s):
            kind, p, _ = self.s[self.i]
            if kind == "pre" and p.op in ops:
                return p
        return None

    def _nary(self, sub, canon: str):
        xs = [sub()]
        while (op := self._op(_NARY)) is not None and _NARY[op] == canon:
            self.i += 1
            xs.append(sub())
        if len(xs) == 1:
            return xs[0]
        return ast.Nary(canon, tuple(xs), span=self.b._span(xs[0], xs[-1]),
                        depth=self.b._depth(*xs))

    # levels
    def _binary(self, sub, ops, make):
        a = sub()
        if self._op(ops) is None:
            return a
        self.i += 1
        b = sub()
        return make(a, b)

    def models(self):
        return self._binary(self.leadsto, _MODELS, lambda a, b: ast.Models(
            a, b, span=self.b._span(a, b), depth=self.b._depth(a, b)))

    def leadsto(self):
        return self._binary(self.until, _LEADSTO, lambda a, b: ast.Temporal(
            "~>", (a, b), span=self.b._span(a, b), depth=self.b._depth(a, b)))

    def until(self):
        return self._binary(self.iff, _UNTIL, lambda a, b: ast.Temporal(
            "until", (a, self._until_rest(b)), span=self.b._span(a, b), depth=self.b._depth(a, b)))

    def _until_rest(self, b):
        if self._op(_UNTIL) is None:
            return b
        self.i += 1
        c = self.iff()
        c = self._until_rest(c)
        return ast.Temporal("until", (b, c), span=self.b._span(b, c), depth=self.b._depth(b, c))

    def iff(self):
        return self._nary(self.imp, "⇔")

    def imp(self):
        xs = [self.or_()]
        while self._op(_IMPLIES) is not None:
            self.i += 1
            xs.append(self.or_())
        node = xs[-1]
        for x in reversed(xs[:-1]):
            node = ast.Implies(x, node, span=self.b._span(x, node), depth=self.b._depth(x, node))
        return node

    def or_(self):
        return self._nary(self.and_, "∨")

    def and_(self):
        return self._nary(self.not_, "∧")

    def _unary(self, op: str, same, below):
        """``op`` applied to its own level (`¬¬a`, `--a`), or the level below."""
        p = self._pre({op})
        if p is None:
            return below()
        self.i += 1
        x = same()
        return ast.Unary(op, x, span=self.b._span(p.token, x), depth=self.b._depth(x))

    def not_(self):
        p = self._pre(TEMPORAL_PREFIX)
        if p is None:
            return self._unary("¬", self.not_, self.cmp)
        self.i += 1
        x = self.not_()
        return ast.Temporal(p.op, (x,), p.data, span=self.b._span(p.token, x),
                            depth=self.b._depth(x))

    def cmp(self):
        a = self.add()
        op = self._op(_CMP)
        if op is None:
            return a
        self.i += 1
        b = self.add()
        return ast.Compare(canon(op), a, b, span=self.b._span(a, b), depth=self.b._depth(a, b))

    def _chain(self, sub, ops):
        xs = [sub()]
        names = []
        while (op := self._op(ops)) is not None:
            self.i += 1
            names.append(canon(op))
            xs.append(sub())
        if len(xs) == 1:
            return xs[0]
        return ast.Chain(tuple(names), tuple(xs), span=self.b._span(xs[0], xs[-1]),
                         depth=self.b._depth(*xs))

    def add(self):
        return self._chain(self.mul, _ADD)

    def mul(self):
        return self._chain(self.neg, _MUL)

    def neg(self):
        return self._unary("-", self.neg, self.atom)

    def atom(self):
        kind, x, tok = self.s[self.i]
        self.i += 1
        if kind == "atom":
            return x
        if kind == "op":  # cannot happen: the grammar puts an operand between operators
            raise ChainError("FC101", f"unexpected `{x}`", tok, "expected an expression")
        p: Prefix = x
        b = self.b
        if p.op in ("∀", "∃"):
            body = self.iff()
            return ast.Quant(p.op, p.data, body, span=b._span(p.token, body),
                             depth=b._depth(body, *p.data))
        if p.op == "Σ":
            body = self.add()
            return ast.Sum(p.data, body, span=b._span(p.token, body), depth=b._depth(body, *p.data))
        if p.op == "if":
            cond, then = p.data
            orelse = self.iff()
            return ast.Ite(cond, then, orelse, span=b._span(p.token, orelse),
                           depth=b._depth(cond, then, orelse))
        raise ChainError("FC101", f"`{p.op}` cannot stand here", p.token,
                         f"parenthesise the operand: `({p.op} …)`")


