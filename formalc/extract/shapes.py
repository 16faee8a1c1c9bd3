"""The shapes of statements, and small helpers of the lowering (pure functions on terms and
strings; no state): which statement reads as a truth value or a number, how a tuple's fields
are named, where a position of a formula is in the document.
"""
from __future__ import annotations

import re

from .exprs import name_text
from .names import ident
from .scan import RawFormula
from .terms import (
    Big,
    Bin,
    Cases,
    Const,
    Frac,
    Group,
    Name,
    Num,
    Quant,
    Script,
    Term,
    Un,
    show,
)

_BOOLISH = {"∧", "∨", "⇒", "⇔", "≡", "=", "≠", "<", "≤", ">", "≥", "∈", "∉", "⊆", "⊂", "⊇",
            "⊃"}
_NUMISH = {"+", "-", "×", "·", "/"}


def tag_of(kind: str, number: str | None) -> str | None:
    """The ``@def`` value of a block: ``3.1`` for a definition, ``theorem 2.1`` otherwise."""
    if number is None:
        return None
    return number if kind == "definition" else f"{kind} {number}"


def is_boolean(t: Term) -> bool:
    match t:
        case Bin(op=op):
            return op in _BOOLISH
        case Un(op="¬") | Quant() | Const(symbol="⊤" | "⊥"):
            return True
        case Group(kind="(" | "{", items=(x,)):
            return is_boolean(x)
    return False


def is_numeric(t: Term) -> bool:
    match t:
        case Num() | Frac() | Cases() | Big(op="Σ"):
            return True
        case Bin(op=op):
            return op in _NUMISH
        case Un(op="-"):
            return True
        case Script(sup=Num()):
            return True
        case Group(kind="(" | "{", items=(x,)):
            return is_numeric(x)
        case Big(op="min" | "max", sub=None, body=Group(items=items)):
            return len(items) >= 2
    return False


def unwrap(s: str) -> str:
    """``(a ∧ b)`` → ``a ∧ b`` when the parentheses enclose the whole text."""
    if not (s.startswith("(") and s.endswith(")")):
        return s
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(s) - 1:
            return s
    return s[1:-1]


#: Deepest parenthesis nesting a lowered declaration may have (the .iot parser refuses
#: expressions nested 200 levels deep, FC104; a margin for the levels parentheses hide).
MAX_NESTING = 100


def depth(text: str) -> int:
    """The deepest parenthesis nesting of ``text``."""
    depth = best = 0
    for ch in text:
        if ch == "(":
            depth += 1
            best = max(best, depth)
        elif ch == ")":
            depth -= 1
    return best


BUILTINS = {"Bool", "Int", "Real", "String", "CPU", "Bytes", "Time", "Bandwidth", "Ratio"}


def name_term(doc: str) -> Term:
    """A name as a term."""
    return Name(doc)


def stem(doc: str) -> str:
    """``container1`` → ``container``: numbered parameters of one kind share a sort."""
    s = re.sub(r"_?\d+$", "", doc)
    return s or doc


def factors(t: Term) -> list[Term]:
    """``A × B × C`` → ``[A, B, C]``."""
    if isinstance(t, Bin) and t.op in ("×", "·") :
        return factors(t.left) + factors(t.right)
    if isinstance(t, Group) and t.kind == "(" and len(t.items) == 1:
        return factors(t.items[0])
    return [t]


def ident_field(doc: str) -> str:
    """A tuple field's name as an identifier."""
    return ident(doc)


def field_names(comps: list[tuple[str | None, str]]) -> list[str | None] | None:
    """Field names for the printed tuple: None keeps a component named by its type; a type
    repeated (or a set type) gets a numbered field name. None when two explicit names clash."""
    explicit = [f for f, _ in comps if f is not None]
    if len(explicit) != len(set(explicit)):
        return None
    counts: dict[str, int] = {}
    for f, t in comps:
        if f is None:
            counts[t] = counts.get(t, 0) + 1
    used = set(explicit)
    out: list[str | None] = []
    seen: dict[str, int] = {}
    for f, t in comps:
        if f is not None:
            out.append(f)
        elif counts[t] > 1 or t.startswith("set ") or t in used:
            base = re.sub(r"\W", "_", t.removeprefix("set ")) + ("s" if t.startswith("set ")
                                                                 else "")
            base = base[:1].lower() + base[1:]
            seen[t] = seen.get(t, 0) + 1
            cand = f"{base}{seen[t]}" if counts[t] > 1 else base
            while cand in used:
                cand += "_"
            used.add(cand)
            out.append(cand)
        else:
            out.append(None)
            used.add(t)
    return out


def share_domains(stmts: list[Term]) -> list[Term]:
    """``a, b \\in S`` was split at the comma: ``a`` takes the domain of ``b``."""
    out: list[Term] = []
    pending: list[Term] = []
    for t in stmts:
        if name_text(t) is not None and not isinstance(t, Bin):
            pending.append(t)
            continue
        if pending and isinstance(t, Bin) and t.op in ("∈", ":"):
            out.extend(Bin(t.op, p, t.right, pos=p.pos, end=p.end) for p in pending)
            pending = []
        out.extend(pending)
        pending = []
        out.append(t)
    return out + pending


def safe_show(t: Term) -> str:
    """:func:`~.terms.show`, or ``…`` for a term too deep to show."""
    try:
        return show(t)
    except RecursionError:
        return "…"


def clip(s: str, n: int = 60) -> str:
    """``s`` cut to ``n`` characters."""
    return s if len(s) <= n else s[:n - 1] + "…"


def where_in_doc(raw: RawFormula, pos: int) -> str:
    """``line L, column C`` of offset ``pos`` of the formula, in the document."""
    before = raw.latex[:pos]
    line = raw.content_line + before.count("\n")
    col = pos - (before.rfind("\n") + 1) + 1
    if before.count("\n") == 0:
        col += raw.content_col
    return f"line {line}, column {col}"
