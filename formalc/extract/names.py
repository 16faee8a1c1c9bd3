"""Names: from LaTeX to valid ``.iot`` identifiers, one per meaning, unique in the skeleton.

A ``.iot`` spec has one global namespace: a name is a type (a tuple, an enumeration, an
uninterpreted sort), an enumeration member, a value (a constant, a predicate, a metric) or a
function. The document, written for people, reuses names freely: ``HardwareIsolation`` is a
component type of Definition 5.2 and an atom of ``Security_{VM}``; ``\\mathcal{C}`` names both
Definitions 1.1 and 2.1. :class:`Names` gives each (document name, role) its own identifier,
keeping the document's spelling for the first and suffixing the later ones
(``C`` then ``C_d2_1``; ``HardwareIsolation`` then ``HardwareIsolation_2``).

>>> ident("Security_{VM}"), ident("optimized\\\\_image"), ident("I/O"), ident("set")
('Security_VM', 'optimized_image', 'I_O', 'set_')
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

#: The language's built-in types, and what the document's blackboard letters mean.
BUILTIN_TYPES = {"Bool", "Int", "Real", "String", "CPU", "Bytes", "Time", "Bandwidth", "Ratio"}
BLACKBOARD = {"ℝ": "Real", "ℚ": "Real", "ℕ": "Int", "ℤ": "Int", "𝔹": "Bool"}
#: Names the language gives a meaning wherever they stand.
_BUILTIN_NAMES = {"count", "total", "peak", "nodes_used", "placements", "feasible", "failover",
                  "scale", "placed_by", "deterministic", "reachable", "no_trap",
                  "deadlock_free", "final_absorbing", "state"}
_NAME = re.compile(r"(?![Σ])[^\W\d]\w*\Z")


@lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """The .iot grammar's keywords: every quoted literal of ``grammar.lark`` that looks like a
    name (read from the grammar itself, so the two never disagree), plus ``delta``."""
    try:
        text = resources.files("formalc.syntax").joinpath("grammar.lark").read_text("utf-8")
    except OSError:  # pragma: no cover - the grammar ships with the package
        text = ""
    words = {w for w in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text) if _NAME.match(w)}
    return frozenset(words | {"delta"})


def ident(text: str) -> str:
    """``text`` (a name as the document writes it) as a valid identifier: braces and LaTeX
    escapes dropped, other characters replaced by ``_``, keywords suffixed with ``_``."""
    s = text.replace("\\_", "_").replace("{", "").replace("}", "")
    s = re.sub(r"[^\w]+", "_", s, flags=re.UNICODE)
    s = re.sub(r"_+", "_", s).strip("_")
    if not s:
        s = "x"
    if s[0].isdigit():
        s = "n" + s
    if s[0] == "Σ":
        s = "Sigma" + s[1:]
    if s in reserved_words() or s in _BUILTIN_NAMES:
        s += "_"
    return s


class _Either:
    """``x in _Either(a, b)``: ``x`` is in ``a`` or in ``b``."""
    __slots__ = ("a", "b")

    def __init__(self, a, b) -> None:
        self.a, self.b = a, b

    def __contains__(self, x) -> bool:
        return x in self.a or x in self.b


class Names:
    """The identifiers given so far, and by which role (``type``, ``member``, ``value``,
    ``function``). Identifiers are handed out in document order, so the skeleton is the same
    for the same document."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {n: "type" for n in BUILTIN_TYPES}
        self.by_key: dict[tuple[str, str], str] = {}
        # Bound variables may share a name with each other, never with a declaration
        # (FC310), whichever comes first in the skeleton.
        self.bound: dict[str, None] = {}

    def role(self, ident_: str) -> str | None:
        """The role of identifier ``ident_``, or None when it is free."""
        return self.taken.get(ident_)

    def fresh(self, base: str, role: str, where: str | None = None) -> str:
        """A new identifier for ``base``: ``base`` itself when free, else
        ``base_d3_1`` (``where`` is the definition number) or ``base_2``, ``base_3`` …"""
        base = ident(base)
        if role == "var":
            used = self.taken
        else:
            used = _Either(self.taken, self.bound)
        candidates = [base]
        if where and role != "var":
            candidates.append(f"{base}_d{re.sub(r'[^0-9A-Za-z]+', '_', where).strip('_')}")
        k = 2
        while True:
            for cand in candidates:
                if cand not in used:
                    if role == "var":
                        self.bound.setdefault(cand, None)
                    else:
                        self.taken[cand] = role
                    return cand
            candidates = [f"{base}_{k}"]
            k += 1

    def lookup(self, name: str, role: str) -> str | None:
        """The identifier already given to document name ``name`` in ``role``."""
        return self.by_key.get((name, role))

    def get(self, name: str, role: str, where: str | None = None) -> tuple[str, bool]:
        """The identifier of document name ``name`` in ``role``, and whether it is new."""
        key = (name, role)
        if key in self.by_key:
            return self.by_key[key], False
        if role == "type":
            cand = BLACKBOARD.get(name, ident(name))
            if self.taken.get(cand) == "type":    # a sort named again, or a builtin type
                self.by_key[key] = cand
                return cand, False
        got = self.fresh(name, role, where)
        self.by_key[key] = got
        return got, True

    def bind(self, name: str, role: str, ident_: str) -> None:
        """Record that document name ``name`` in ``role`` is ``ident_`` (already taken)."""
        self.by_key[(name, role)] = ident_
