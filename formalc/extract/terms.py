"""The syntax tree of a LaTeX formula: frozen dataclasses, positions excluded from equality.

``pos`` and ``end`` are offsets into the formula's source. Operators keep their canonical
Unicode spelling (``\\land`` and ``∧`` are both ``"∧"``; ``\\times`` and ``*`` are ``"×"``).

>>> from formalc.extract.parse import parse_formula
>>> parse_formula(r"Security_{VM} = A \\land B")
(Define(lhs=Script(base=Name(text='Security'), sub=Name(text='VM'), sup=None), op='=', rhs=Bin(op='∧', left=Name(text='A'), right=Name(text='B'))),)
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Term:
    """A node of a formula's syntax tree."""
    pos: int = field(default=0, compare=False, repr=False, kw_only=True)
    end: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Name(Term):
    """An identifier as written: ``Containers``, ``optimized_image``, ``δ``, ``ℝ``."""
    text: str


@dataclass(frozen=True)
class Num(Term):
    """A number literal."""
    text: str


@dataclass(frozen=True)
class Text(Term):
    """``\\text{…}`` (or ``\\operatorname{…}``): its content."""
    text: str


@dataclass(frozen=True)
class Const(Term):
    """A fixed symbol: ``∅``, ``…``, ``⊤``, ``⊥``."""
    symbol: str


@dataclass(frozen=True)
class Script(Term):
    """``base_{sub}^{sup}`` (either script may be None)."""
    base: Term
    sub: Term | None
    sup: Term | None


@dataclass(frozen=True)
class Prime(Term):
    """``x'``."""
    base: Term


@dataclass(frozen=True)
class Apply(Term):
    """``f(a, b)``."""
    fn: Term
    args: tuple[Term, ...]


@dataclass(frozen=True)
class Index(Term):
    """``a[i]``."""
    base: Term
    args: tuple[Term, ...]


@dataclass(frozen=True)
class Group(Term):
    """A bracketed list: ``kind`` is ``"("`` (tuples and parentheses), ``"{"`` (a TeX group),
    ``"["``, ``"\\{"`` (a set) or ``"⟨"``."""
    kind: str
    items: tuple[Term, ...]


@dataclass(frozen=True)
class Delim(Term):
    """``|x|`` (``kind`` ``"|"``), ``‖x‖``, ``⌊x⌋``, ``⌈x⌉``."""
    kind: str
    inner: Term


@dataclass(frozen=True)
class Frac(Term):
    """``\\frac{num}{den}`` (``kind`` ``"frac"``) or ``\\binom{n}{k}`` (``"binom"``)."""
    kind: str
    num: Term
    den: Term


@dataclass(frozen=True)
class Sqrt(Term):
    """``\\sqrt[index]{arg}``."""
    index: Term | None
    arg: Term


@dataclass(frozen=True)
class Decor(Term):
    """``\\hat{x}``, ``\\bar{x}``…: ``kind`` is the accent's name."""
    kind: str
    arg: Term


@dataclass(frozen=True)
class Cases(Term):
    """``\\begin{cases} value & condition \\\\ … \\end{cases}``."""
    rows: tuple[tuple[Term, Term | None], ...]


@dataclass(frozen=True)
class Bin(Term):
    """A binary operation; ``op`` is canonical (``∧ ⇒ → × = ∈ : |`` …). ``op`` ``"·"`` with
    ``implicit`` True is a product written by juxtaposition (``2x``)."""
    op: str
    left: Term
    right: Term
    implicit: bool = field(default=False, compare=False, repr=False)


@dataclass(frozen=True)
class Un(Term):
    """A prefix operation: ``¬`` or ``-``."""
    op: str
    arg: Term


@dataclass(frozen=True)
class Quant(Term):
    """``∀ binders : body`` (``q`` is ``∀``, ``∃`` or ``∄``); ``body`` is None when the
    formula stops after the binders."""
    q: str
    binders: tuple[Term, ...]
    body: Term | None


@dataclass(frozen=True)
class Big(Term):
    """A big operator ``op_{sub}^{sup} body``: ``Σ Π ⋃ ⋂ min max argmin`` …"""
    op: str
    sub: Term | None
    sup: Term | None
    body: Term | None


@dataclass(frozen=True)
class Define(Term):
    """A statement ``lhs = rhs`` (also ``:=``, ``≜``) whose left side is a name or a name
    applied to arguments: the form of a definition."""
    lhs: Term
    op: str
    rhs: Term


def show(t: Term | None) -> str:
    """A compact, readable rendering of a term (for messages)."""
    if t is None:
        return "∅?"
    match t:
        case Name(text=s) | Num(text=s):
            return s
        case Text(text=s):
            return f"\\text{{{s}}}"
        case Const(symbol=s):
            return s
        case Script(base=b, sub=sub, sup=sup):
            out = show(b)
            if sub is not None:
                out += f"_{{{show(sub)}}}"
            if sup is not None:
                out += f"^{{{show(sup)}}}"
            return out
        case Prime(base=b):
            return show(b) + "'"
        case Apply(fn=f, args=a):
            return f"{show(f)}({', '.join(map(show, a))})"
        case Index(base=b, args=a):
            return f"{show(b)}[{', '.join(map(show, a))}]"
        case Group(kind=k, items=items):
            close = {"(": ")", "{": "}", "[": "]", "\\{": "\\}", "⟨": "⟩"}[k]
            return f"{k}{', '.join(map(show, items))}{close}"
        case Delim(kind=k, inner=i):
            close = {"|": "|", "‖": "‖", "⌊": "⌋", "⌈": "⌉"}[k]
            return f"{k}{show(i)}{close}"
        case Frac(kind=k, num=a, den=b):
            return f"\\{k}{{{show(a)}}}{{{show(b)}}}"
        case Sqrt(index=i, arg=a):
            return f"\\sqrt{{{show(a)}}}" if i is None else f"\\sqrt[{show(i)}]{{{show(a)}}}"
        case Decor(kind=k, arg=a):
            return f"\\{k}{{{show(a)}}}"
        case Cases(rows=rows):
            return "cases(" + "; ".join(show(v) + ("" if c is None else " if " + show(c))
                                        for v, c in rows) + ")"
        case Bin(op=op, left=a, right=b, implicit=imp):
            return f"{show(a)} {show(b)}" if imp else f"({show(a)} {op} {show(b)})"
        case Un(op=op, arg=a):
            return f"{op}{show(a)}"
        case Quant(q=q, binders=bs, body=body):
            return f"{q} {', '.join(map(show, bs))} • {show(body)}"
        case Big(op=op, sub=sub, sup=sup, body=body):
            s = op + (f"_{{{show(sub)}}}" if sub is not None else "")
            s += f"^{{{show(sup)}}}" if sup is not None else ""
            return f"{s} {show(body)}"
        case Define(lhs=a, op=op, rhs=b):
            return f"{show(a)} {op} {show(b)}"
    return type(t).__name__
