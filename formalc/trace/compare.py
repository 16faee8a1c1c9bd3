"""Comparing one declaration of the document with the declarations tagged with its definition.

The counterpart of a document declaration is found, in this order:

1. **by name** — a tagged declaration whose name matches the document's (:func:`names_match`);
2. **by result** — a function the document names by what it computes
   (``Performance = f(Resources, Workload, Configuration)``): the tagged declaration named
   like its result;
3. **by alias** — a known renaming (:data:`~formalc.trace.names.DECL_ALIASES`);
4. **by shape** — for a tuple, the tagged tuple type whose fields match the most components;
   for an enumeration, the tagged enumeration (or named subset) sharing the most members;
   for an objective, a tagged ``schedule`` with ``minimize``. The best must match at least half
   of the parts — that is how the seed's script letters (𝒞, 𝓘, 𝒮, …) find their tuples;
5. **by components** — a tuple none of whose tagged tuple types fits, but whose components are
   each a tagged declaration (Definition 3.1's ``(States, Transitions, Events, Actions)``,
   7.1's ``(Deploy, Scale, Update, Rollback)``), again at least half of them.

Then the two are compared: every component of a tuple must be a field (extra fields are a
refinement, not a disagreement); an enumeration's members must be the same both ways; a
function written as a signature (``δ: States × Events → States``) must have the same arity,
parameter types and result type; one written as an application (``BuildImage(layers, config)
= image``, whose parts name arguments, not types) the same arity; a predicate written
``X = P ∧ Q`` must use P and Q in its body.
"""
from __future__ import annotations

import re
from dataclasses import replace

from .model import Location, Match, Problem
from .names import (
    component_matches,
    decl_alias,
    names_match,
    norm,
    part_alias,
    plain,
    pretty,
    shared_affixes,
    state_params,
)
from .specs import SpecDecl

#: Which kinds of spec declaration can formalise each kind of document declaration.
COMPATIBLE: dict[str, tuple[str, ...]] = {
    "tuple": ("tuple",),
    "enum": ("enum", "set"),
    "function": ("function", "predicate", "metric"),
    "predicate": ("predicate", "function", "value"),
    "metric": ("metric", "function", "value"),
    "objective": ("metric", "schedule", "value"),
    "constant": ("constant", "value", "function"),
    "relation": ("function", "predicate", "metric", "value", "constant", "tuple", "enum", "set",
                 "machine", "schedule"),
}

_ARROW = re.compile(r"\\(?:rightarrow|to|longrightarrow|mapsto)\b|→|->")


def compatible(doc_kind: str, d: SpecDecl) -> bool:
    """Whether the spec declaration ``d`` can formalise a document declaration of ``doc_kind``
    (a predicate's function or value must be Boolean, a metric's must not)."""
    if d.kind not in COMPATIBLE.get(doc_kind, ()):
        return False
    if doc_kind == "predicate" and d.kind in ("function", "value"):
        return d.result == "Bool"
    if doc_kind in ("metric", "objective") and d.kind in ("function", "value"):
        return d.result != "Bool"
    if doc_kind == "objective" and d.kind == "schedule":
        return d.objective
    return True


def _source(decl) -> str:
    return getattr(decl, "source", "") or decl.name


_SCRIPT_NAME = re.compile(r"\\math(?:cal|scr|frak|bb)\s*\{\s*([A-Za-z])\s*\}"
                          r"(?:\s*_\s*(?:\{([^{}]*)\}|([A-Za-z0-9])))?")


def display_name(decl, latex: str) -> str:
    """The name as the document shows it: extraction flattens ``\\mathcal{C}_{IoT}`` to
    ``C_IoT``; when the formula writes it so, it is shown as ``𝒞_IoT``."""
    src = _source(decl)
    for m in _SCRIPT_NAME.finditer(latex):
        sub = m.group(2) or m.group(3)
        flat = m.group(1) + (f"_{plain(sub)}" if sub else "")
        if norm(flat) == norm(src):
            return pretty(m.group(0))
    return pretty(src)


def is_signature(latex: str) -> bool:
    """Whether a function's formula is a signature ``f: A × B → C`` (its parts are types)
    rather than an application ``f(a, b) = c`` (its parts name arguments). The formula's
    LaTeX decides, not the declaration's ``.iot`` text, which is a signature either way."""
    return bool(_ARROW.search(latex))


def find(number: str, decl, tagged: list[SpecDecl]) -> tuple[tuple[SpecDecl, ...], str | None,
                                                              tuple[str, ...]]:
    """The counterpart(s) of the document's ``decl`` among ``tagged``, how it was found, and
    notes (an alias's reason)."""
    src = _source(decl)
    named = [d for d in tagged if names_match(src, d.name) or names_match(decl.name, d.name)]
    named.sort(key=lambda d: norm(d.name) not in (norm(src), norm(decl.name)))  # exact first
    if named:
        fit = [d for d in named if compatible(decl.kind, d)]
        return (fit or named)[:1], "name", ()
    if decl.kind == "function" and decl.result:
        # `Performance = f(Resources, Workload, Configuration)`: a function named by its result
        byresult = [d for d in tagged if names_match(decl.result, d.name) and
                    compatible(decl.kind, d)]
        if byresult:
            return tuple(byresult[:1]), "result", ()
    alias = decl_alias(number, src)
    if alias is not None:
        hits = [d for d in tagged if d.name in alias[0]]
        if hits:
            return tuple(hits[:1]), "alias", (alias[1],)
    if decl.kind in ("tuple", "enum") and decl.parts:
        kinds = ("tuple",) if decl.kind == "tuple" else ("enum", "set")
        best, best_score = None, 0
        for d in tagged:
            if d.kind in kinds:
                score = len(decl.parts) - len(_unpaired(number, decl, d))
                if score > best_score:
                    best, best_score = d, score
        # a tuple whose components are declarations of their own beats a tuple type that
        # only shares some of them (3.1's States … Actions against Transition's field types)
        parts = _as_declarations(number, decl, tagged) if decl.kind == "tuple" else []
        if len(parts) > best_score and 2 * len(parts) >= len(decl.parts):
            return tuple(parts), "components", ()
        if best is not None and 2 * best_score >= len(decl.parts):
            return (best,), "shape", ()
    if decl.kind == "objective":
        plans = [d for d in tagged if d.kind == "schedule" and d.objective]
        if plans:
            return (plans[0],), "shape", ()
    return (), None, ()


def _as_declarations(number: str, decl, tagged: list[SpecDecl]) -> list[SpecDecl]:
    out = []
    for p in decl.parts:
        alias = part_alias(number, p)
        hit = next((d for d in tagged if norm(p) == norm(d.name) or
                    (alias is not None and d.name in alias[0])), None) or \
            next((d for d in tagged if names_match(p, d.name)), None)
        if hit is not None and hit not in out:
            out.append(hit)
    return out


def _unpaired(number: str, decl, d: SpecDecl) -> list[str]:
    """The document's parts of ``decl`` that no part of ``d`` matches."""
    affixes = shared_affixes(decl.parts) if decl.kind == "tuple" else (None, None)
    missing = []
    for p in decl.parts:
        alias = part_alias(number, p)
        if alias is not None and any(name in alias[0] for name, _ in d.parts):
            continue
        if decl.kind == "tuple":
            ok = any(component_matches(p, f, t, affixes) for f, t in d.parts)
        else:
            ok = any(names_match(p, member) for member, _ in d.parts)
        if not ok:
            missing.append(p)
    return missing


def compare(number: str, doc_file: str, decl, tagged: list[SpecDecl], latex: str = "",
            sources: dict[str, str] | None = None) -> tuple[Match, list[Problem]]:
    """Compare the document's ``decl`` (a :class:`formalc.extract.Decl` of definition
    ``number``) with the declarations ``tagged`` with that definition; ``latex`` is its
    formula, ``sources`` the document's spelling of operand names extraction renamed."""
    if sources:
        decl = replace(decl, parts=tuple(sources.get(p, p) for p in decl.parts))
    spec, how, notes = find(number, decl, tagged)
    src = _source(decl)
    here = Location(doc_file, decl.line)
    display = display_name(decl, latex)
    shown = _shown(decl, display)

    def match(status: str, extra: tuple[str, ...] = ()) -> Match:
        return Match(decl.line, decl.kind, src, tuple(decl.parts), decl.result, how, status,
                     spec, notes + extra, display)

    if not spec:
        near = ", ".join(f"`{d.name}`" for d in tagged[:6]) + (" …" if len(tagged) > 6 else "")
        msg = (f"the document's {decl.kind} {shown} has no counterpart among the declarations "
               f"tagged @def {number}" + (f" ({near})" if near else ""))
        return match("unmatched"), [Problem(
            "unmatched", number, msg, (here,),
            hint=f"tag its formalisation with @def {number}, or add the renaming to the alias "
                 f"table (formalc/trace/names.py)")]
    if how == "components":
        missing = [p for p in decl.parts
                   if not any(names_match(p, d.name) for d in spec)
                   and not (part_alias(number, p) and
                            any(d.name in part_alias(number, p)[0] for d in spec))]
        probs = [Problem("missing-component", number,
                         f"the document's tuple {shown} is formalised by its components as "
                         f"declarations, but `{p}` is none of those tagged @def {number}",
                         (here,), hint=f"declare `{p}` with the tag @def {number}")
                 for p in missing]
        return match("disagrees" if probs else "consistent"), probs
    d = spec[0]
    there = Location(d.file, d.line)
    if not compatible(decl.kind, d):
        return match("disagrees"), [Problem(
            "different-kind", number,
            f"the document's {decl.kind} {shown} is `{d.name}` in the spec, a {d.kind} "
            f"({d.shape()})", (here, there))]
    probs = _compare_parts(number, decl, d, shown, latex, (here, there))
    return match("disagrees" if probs else "consistent", _pairing(number, decl, d)), probs


def _shown(decl, display: str) -> str:
    name = f"`{display}`"
    if decl.kind == "tuple":
        return f"{name} = ({', '.join(decl.parts)})"
    if decl.kind == "enum":
        return f"{name} = {{{', '.join(decl.parts)}}}"
    return name


def _compare_parts(number, decl, d: SpecDecl, shown, latex, locs) -> list[Problem]:
    if decl.kind == "tuple" and d.kind == "tuple":
        fields = ", ".join(f for f, _ in d.parts)
        return [Problem("missing-component", number,
                        f"`{p}` of the document's tuple {shown} has no field in `{d.name}` "
                        f"({fields})", locs,
                        hint=f"add a field for `{p}` to `{d.name}`, or, if a field is `{p}` "
                             f"under another name, add the renaming to the alias table")
                for p in _unpaired(number, decl, d)]
    if decl.kind == "enum" and d.kind in ("enum", "set"):
        missing = _unpaired(number, decl, d)
        extra = [mem for mem, _ in d.parts
                 if not any(names_match(p, mem) for p in decl.parts)
                 and not any(part_alias(number, p) and mem in part_alias(number, p)[0]
                             for p in decl.parts)]
        if not missing and not extra:
            return []
        said = []
        if missing:
            said.append("the spec lacks " + ", ".join(f"`{x}`" for x in missing))
        if extra:
            said.append("the document lacks " + ", ".join(f"`{x}`" for x in extra))
        return [Problem("different-members", number,
                        f"the document's {shown} and `{d.name}` differ: " + "; ".join(said),
                        locs)]
    if decl.kind == "function" and d.kind in ("function", "predicate", "metric"):
        return _signature(number, decl, d, shown, latex, locs)
    if decl.kind == "predicate" and decl.parts and d.uses:
        unused = [p for p in decl.parts if not any(names_match(p, u) for u in d.uses)]
        if unused:
            return [Problem("different-operands", number,
                            f"the document's {shown} is built from "
                            + ", ".join(f"`{p}`" for p in unused)
                            + f", which `{d.name}` does not use", locs)]
    return []


def _signature(number, decl, d: SpecDecl, shown, latex, locs) -> list[Problem]:
    explicit = state_params(number, decl.source or decl.name)
    if explicit and len(d.parts) == len(decl.parts) + len(explicit):
        d = replace(d, parts=tuple(p for p in d.parts if p[0] not in explicit))
    if d.kind == "function":
        spec_sig = f"`{d.name}: {' × '.join(t for _, t in d.parts)} → {d.result}`"
    else:
        spec_sig = f"`{d.name}({', '.join(f'{p}: {t}' for p, t in d.parts)}) → {d.result}`"
    said = []
    if len(decl.parts) != len(d.parts):
        said.append(f"{len(decl.parts)} parameter{'s' * (len(decl.parts) != 1)} in the "
                    f"document, {len(d.parts)} in the spec")
    elif is_signature(latex):
        for i, (p, (_, t)) in enumerate(zip(decl.parts, d.parts), 1):
            if not names_match(p, _base(t)):
                said.append(f"parameter {i} is `{p}` in the document, `{t}` in the spec")
        if decl.result and d.result and not names_match(decl.result, _base(d.result)):
            said.append(f"the result is `{decl.result}` in the document, `{d.result}` in the spec")
    if not said:
        return []
    if is_signature(latex):
        doc_sig = f"`{shown.strip('`')}: {' × '.join(decl.parts)} → {decl.result}`"
    else:
        doc_sig = f"`{shown.strip('`')}({', '.join(decl.parts)})" + \
            (f" = {decl.result}`" if decl.result else "`")
    return [Problem("different-signature", number,
                    f"the document's function {doc_sig} and the spec's {spec_sig} differ: "
                    + "; ".join(said), locs)]


def _base(type_name: str) -> str:
    return type_name.removeprefix("set ")


def _pairing(number, decl, d: SpecDecl) -> tuple[str, ...]:
    """How the parts were paired, where names differ (``Namespace → namespaces``)."""
    if decl.kind != "tuple" or d.kind != "tuple":
        return ()
    affixes = shared_affixes(decl.parts)
    out = []
    for p in decl.parts:
        alias = part_alias(number, p)
        for f, t in d.parts:
            if (alias and f in alias[0]) or component_matches(p, f, t, affixes):
                if norm(p) != norm(f):
                    out.append(f"{p} → {f}")
                break
    return tuple(out)
