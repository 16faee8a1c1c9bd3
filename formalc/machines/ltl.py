"""Linear temporal logic for the explicit engine: machine properties to Büchi automata.

A property (a model expression with :class:`~formalc.model.nodes.Temporal` operators) is put
in negation normal form over the operators X (next), U (strong until) and R (release), with
its temporal-free sub-expressions as *atoms* (state predicates, evaluated in each state):

- ``always φ`` = ``false R φ``, ``eventually φ`` = ``true U φ``, ``next φ`` = ``X φ``,
  ``φ until ψ`` = ``φ U ψ`` (strong: ψ must happen), ``P ~> Q`` = ``always (P ⇒ eventually Q)``;
- ``always within k φ`` = ``φ ∧ X φ ∧ … ∧ X^k φ`` and ``eventually within k φ`` =
  ``φ ∨ X φ ∨ … ∨ X^k φ`` (exact unfoldings; φ at steps 0..k).

The formula is then translated to a generalized Büchi automaton by the tableau construction of
Gerth, Peled, Vardi and Wolper ("Simple on-the-fly automatic verification of linear temporal
logic", 1995): automaton states are sets of obligations; a state's label is the set of
literals it requires of the machine state read at that position; there is one acceptance set
per until-subformula ``a U b`` (the states that do not promise it, or fulfil it with ``b``).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model import nodes as m
from .outcome import NotApplicable

TRUE, FALSE = ("T",), ("F",)


def has_temporal(e) -> bool:
    """Whether ``e`` contains a temporal operator."""
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, (m.Temporal, m.Structural)):
            return True
        if isinstance(x, m.Binder):
            if x.domain is not None:
                todo.append(x.domain)
            continue
        todo.extend(m.children(x))
    return False


def _and(a, b):
    if a == FALSE or b == FALSE:
        return FALSE
    if a == TRUE:
        return b
    if b == TRUE or a == b:
        return a
    return ("and", a, b)


def _or(a, b):
    if a == TRUE or b == TRUE:
        return TRUE
    if a == FALSE:
        return b
    if b == FALSE or a == b:
        return a
    return ("or", a, b)


class Atoms:
    """The state predicates of a formula, numbered."""

    def __init__(self):
        self.exprs: list = []
        self._index: dict = {}

    def of(self, e) -> int:
        i = self._index.get(e)
        if i is None:
            i = len(self.exprs)
            self.exprs.append(e)
            self._index[e] = i
        return i


def to_nnf(e, atoms: Atoms, negate: bool = False):
    """``e`` (or ¬e) in negation normal form, as nested tuples."""
    if not has_temporal(e):
        if isinstance(e, m.Lit) and isinstance(e.value, bool):
            return TRUE if e.value != negate else FALSE
        return ("n" if negate else "p", atoms.of(e))
    rec = lambda x, neg=negate: to_nnf(x, atoms, neg)
    if isinstance(e, m.Not):
        return rec(e.operand, not negate)
    if isinstance(e, m.BoolOp):
        if e.op in ("∧", "∨"):
            conj = (e.op == "∧") != negate
            acc = rec(e.operands[0])
            for x in e.operands[1:]:
                acc = _and(acc, rec(x)) if conj else _or(acc, rec(x))
            return acc
        # ⇔ chains associate to the left
        left = e.operands[0] if len(e.operands) == 2 else m.BoolOp("⇔", e.operands[:-1])
        right = e.operands[-1]
        a, na, b, nb = rec(left, False), rec(left, True), rec(right, False), rec(right, True)
        if negate:
            return _or(_and(a, nb), _and(na, b))
        return _or(_and(a, b), _and(na, nb))
    if isinstance(e, m.Implies):
        if negate:
            return _and(rec(e.left, False), rec(e.right, True))
        return _or(rec(e.left, True), rec(e.right, False))
    if isinstance(e, m.Ite):
        c, nc = rec(e.cond, False), rec(e.cond, True)
        return _or(_and(c, rec(e.then)), _and(nc, rec(e.orelse)))
    if isinstance(e, m.Temporal):
        op, xs, k = e.op, e.operands, e.bound
        if op == "next":
            return ("X", rec(xs[0]))
        if op in ("always", "eventually") and k is not None:
            body = rec(xs[0])
            conj = (op == "always") != negate
            acc = body
            for _ in range(k):
                acc = _and(body, ("X", acc)) if conj else _or(body, ("X", acc))
            return acc
        if op == "always":
            return ("U", TRUE, rec(xs[0])) if negate else ("R", FALSE, rec(xs[0]))
        if op == "eventually":
            return ("R", FALSE, rec(xs[0])) if negate else ("U", TRUE, rec(xs[0]))
        if op == "until":
            if negate:
                return ("R", rec(xs[0], True), rec(xs[1], True))
            return ("U", rec(xs[0], False), rec(xs[1], False))
        if op == "~>":
            p, q = xs
            if negate:  # eventually (P ∧ always ¬Q)
                return ("U", TRUE, _and(rec(p, False), ("R", FALSE, rec(q, True))))
            return ("R", FALSE, _or(rec(p, True), ("U", TRUE, rec(q, False))))
    raise NotApplicable(f"a temporal operator inside {type(e).__name__}: the explicit engine "
                        "reads temporal operators under ∧, ∨, ¬, ⇒, ⇔ and if-then-else only")


@dataclass
class Buchi:
    """A generalized Büchi automaton. ``labels[q]``: literals ``(atom, polarity)`` the machine
    state must satisfy when the automaton is in q; ``succ[q]``: successor automaton states;
    ``accept``: acceptance sets (a run is accepted when it visits each infinitely often)."""
    n: int
    init: list
    labels: list
    succ: list
    accept: list  # list of frozenset
    atoms: Atoms


def _subformulas(f, out):
    if f in out:
        return
    out.add(f)
    for x in f[1:]:
        if isinstance(x, tuple):
            _subformulas(x, out)


def translate(f, atoms: Atoms, limit: int = 5000) -> Buchi:
    """The GPVW tableau of NNF formula ``f``."""
    # A node: [incoming set, new set, old set, next set]
    done: list = []  # finished nodes: (incoming, old, next)
    by_key: dict = {}
    stack = [({0}, {f} if f != TRUE else set(), set(), set())]  # 0: the initial pseudo-node
    if f == FALSE:
        stack = []
    while stack:
        inc, new, old, nxt = stack.pop()
        if not new:
            key = (frozenset(old), frozenset(nxt))
            j = by_key.get(key)
            if j is not None:
                done[j][0].update(inc)
                continue
            done.append((set(inc), key[0], key[1]))
            j = len(done) - 1
            by_key[key] = j
            if len(done) > limit:
                raise NotApplicable(f"the property's automaton has more than {limit} states")
            stack.append(({j + 1}, set(nxt), set(), set()))
            continue
        g = new.pop()
        if g in old:
            stack.append((inc, new, old, nxt))
            continue
        tag = g[0]
        if tag == "F":
            continue
        if tag == "T":
            stack.append((inc, new, old, nxt))
            continue
        if tag in ("p", "n"):
            if (("n" if tag == "p" else "p"), g[1]) in old:
                continue  # contradiction
            stack.append((inc, new, old | {g}, nxt))
            continue
        if tag == "and":
            stack.append((inc, new | ({g[1], g[2]} - old), old | {g}, nxt))
            continue
        if tag == "X":
            stack.append((inc, new, old | {g}, nxt | {g[1]}))
            continue
        a, b = g[1], g[2]
        if tag == "U":
            n1, x1, n2 = {a}, {g}, {b}
        elif tag == "R":
            n1, x1, n2 = {b}, {g}, {a, b}
        else:  # or
            n1, x1, n2 = {a}, set(), {b}
        stack.append((set(inc), new | (n1 - old), old | {g}, nxt | x1))
        stack.append((set(inc), new | (n2 - old), old | {g}, set(nxt)))
    # automaton states 0..n-1 are done[0..n-1]; pseudo-node ids are index + 1
    n = len(done)
    init, succ, labels = [], [[] for _ in range(n)], []
    for q, (inc, old, _) in enumerate(done):
        for i in inc:
            if i == 0:
                init.append(q)
            else:
                succ[i - 1].append(q)
        labels.append(tuple(sorted((x[1], x[0] == "p") for x in old if x[0] in ("p", "n"))))
    subs: set = set()
    _subformulas(f, subs)
    accept = []
    for u in sorted((s for s in subs if s[0] == "U"), key=repr):
        accept.append(frozenset(q for q, (_, old, _) in enumerate(done)
                                if u not in old or u[2] in old))
    return Buchi(n, init, labels, succ, accept, atoms)


def automaton(prop, negate: bool) -> Buchi:
    """The automaton of the runs satisfying ``prop`` (or violating it, when ``negate``)."""
    atoms = Atoms()
    return translate(to_nnf(prop, atoms, negate), atoms)
