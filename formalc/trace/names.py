"""Matching the document's names with the spec's: normal forms, the lenient rules, the aliases.

A document writes ``\\mathcal{C}_{IoT}``, ``CPU_{limit}``, ``I/O`` or ``\\delta``; a spec writes
``IoTContainerClass``, ``cpuLimit``, ``io`` or ``δ``. Two names *match* when their normal forms
are equal (:func:`norm`: LaTeX markup dropped, Greek letters spelled out, case, ``_``, ``/`` and
every other non-alphanumeric character ignored), or equal up to a final plural ``s``
(``Namespace`` / ``namespaces``, ``NetworkModes`` / ``NetworkMode``). Components of a tuple are
matched more leniently still (:func:`component_matches`): by the field's name or by the name of
its type (the seed names components by their type: ``NetworkMode`` is ``mode: NetworkMode``),
and with the word every component of the tuple shares dropped (``ProcessIsolation`` …
``ResourceIsolation`` are ``process`` … ``resource``).

What these rules cannot see is a *renaming*. The known renamings of the bundled library are
listed in :data:`DECL_ALIASES` and :data:`PART_ALIASES`, each with the reason (most are the
"Naming choices" of docs/seed-coverage.md). An alias applies only within its definition.

>>> norm(r"\\mathcal{C}_{IoT}"), norm("CPU_{limit}"), norm("I/O"), norm(r"\\delta")
('ciot', 'cpulimit', 'io', 'delta')
>>> names_match("NetworkModes", "NetworkMode"), names_match("δ", "delta")
(True, True)
"""
from __future__ import annotations

import re

#: Renamed declarations: (definition, normal form of the document's name) → the spec's
#: declaration names and the reason. The document's name is its LaTeX (``Decl.source``).
DECL_ALIASES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("5.2", "cvm"): (
        ("VMContainer",),
        "the seed's C_VM is the tuple VMContainer (docs/seed-coverage.md, Naming choices)"),
    ("5.3", "cuserkernel"): (
        ("UserKernelContainer",),
        ("the seed's C_UserKernel is the tuple UserKernelContainer (docs/seed-coverage.md, "
         "Naming choices)")),
    ("6.1", "e"): (
        ("EdgeSystem",),
        ("the system tuple E is EdgeSystem; the member EdgeComputing is a deployment mode of "
         "4.3 (docs/seed-coverage.md, Naming choices)")),
    ("8.2", "imageoptimization"): (
        ("ImageOptimizationPlan",),
        ("ImageOptimization is a member of OptimizationStrategy; its tuple is "
         "ImageOptimizationPlan (docs/seed-coverage.md, Naming choices)")),
    ("8.2", "resourceoptimization"): (
        ("ResourceOptimizationPlan",),
        ("ResourceOptimization is a member of OptimizationStrategy; its tuple is "
         "ResourceOptimizationPlan (docs/seed-coverage.md, Naming choices)")),
    ("7.2", "schedulingobjective"): (
        ("Objective",),
        ("the seed's SchedulingObjective = min Σ wᵢ × Costᵢ is the metric Objective "
         "(Σ Weight × Cost) of specs/scheduling.iot, minimised by its checks")),
}

#: Renamed components and members: (definition, normal form of the document's part) → the
#: spec's field or member names and the reason.
PART_ALIASES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("2.3", "container"): (
        ("ContainerLayer",),
        ("Definition 2.3's layer Container is ContainerLayer: the tuple Container is "
         "Definition 2.1 (docs/seed-coverage.md, Naming choices)")),
    ("3.3", "ipaddress"): (
        ("ip",),
        "the seed's IPAddress component is the field `ip: IPAddress` of Network"),
    ("4.3", "scaling"): (
        ("minReplicas", "maxReplicas"),
        "the seed's Scaling component is the replica range minReplicas..maxReplicas"),
    ("5.1", "exploit"): (
        ("exploitAvailable",),
        "the seed's Exploit component is `exploitAvailable: Bool` (whether one exists)"),
}

#: Parameters a spec function has beyond the document's because the spec language has no
#: global mutable state: the state is passed explicitly. (definition, normal form of the
#: document's function name) → the spec's parameter names and the reason.
STATE_PARAMS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("7.3", "discover"): (
        ("reg",),
        ("the seed's Discover(service) reads the registry implicitly; the spec's "
         "Discover(reg, k) takes it as an argument")),
}


def state_params(definition: str, source: str) -> tuple[str, ...]:
    """The spec's explicit-state parameters of the document's function ``source``."""
    hit = STATE_PARAMS.get((definition, norm(source)))
    return hit[0] if hit else ()

_GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
          "chi", "psi", "omega")
_GREEK_CHARS = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", _GREEK))
_GREEK_CHARS.update({"ς": "sigma", "ϵ": "epsilon", "ϑ": "theta", "φ": "phi", "ϕ": "phi"})
# \mathcal{C}, \text{foo}, \operatorname{f}: keep the argument
_WRAPPER = re.compile(r"\\(?:math[a-z]*|text[a-z]*|operatorname|boldsymbol|bm|rm|it|bf)\s*"
                      r"\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")


def plain(name: str) -> str:
    """``name`` without LaTeX markup: ``\\mathcal{C}_{VM}`` → ``C_VM``, ``\\delta`` → ``delta``,
    ``optimized\\_image`` → ``optimized_image``."""
    s = name.replace("\\_", "_")
    for _ in range(4):  # nested wrappers: \mathcal{\text{X}}
        s2 = _WRAPPER.sub(r"\1", s)
        if s2 == s:
            break
        s = s2
    s = _COMMAND.sub(lambda m: m.group(1), s)
    return s.replace("{", "").replace("}", "").replace("$", "").strip()


def norm(name: str) -> str:
    """The normal form that matching compares: no markup, Greek spelled out, lower case,
    letters and digits only."""
    s = plain(name)
    s = "".join(_GREEK_CHARS.get(ch, ch) for ch in s)
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _singular(n: str) -> str:
    return n[:-1] if len(n) > 3 and n.endswith("s") and not n.endswith("ss") else n


def names_match(a: str, b: str) -> bool:
    """Whether two names denote the same thing under the lenient rules (markup, case,
    separators and a final plural ``s`` ignored)."""
    na, nb = norm(a), norm(b)
    return bool(na) and (na == nb or _singular(na) == _singular(nb))


def words(name: str) -> list[str]:
    """The words of a name, lower case: ``ProcessIsolation`` → ``['process', 'isolation']``,
    ``CPU_{limit}`` → ``['cpu', 'limit']``."""
    return [w.lower() for w in _CAMEL.findall(plain(name))]


def shared_affixes(parts) -> tuple[str | None, str | None]:
    """The first and the last word shared by every one of ``parts`` (at least two parts, each
    with more words than the shared one), or None: ``ProcessIsolation, NetworkIsolation`` share
    the last word ``isolation``."""
    ws = [words(p) for p in parts]
    if len(ws) < 2 or any(len(w) < 2 for w in ws):
        return None, None
    first = ws[0][0] if all(w[0] == ws[0][0] for w in ws) else None
    last = ws[0][-1] if all(w[-1] == ws[0][-1] for w in ws) else None
    return first, last


def _variants(part: str, affixes) -> set[str]:
    out = {norm(part)}
    first, last = affixes
    w = words(part)
    if first and w and w[0] == first:
        out.add("".join(w[1:]))
    if last and w and w[-1] == last:
        out.add("".join(w[:-1]))
    out |= {_singular(v) for v in out}
    return {v for v in out if v}


def component_matches(part: str, field: str, type_name: str | None = None,
                      affixes=(None, None)) -> bool:
    """Whether the document's component ``part`` is the spec's ``field`` (of type
    ``type_name``): by name, by the type's name, or with the tuple's shared word dropped."""
    mine = _variants(part, affixes)
    theirs = {norm(field), _singular(norm(field))}
    if type_name:
        t = type_name.removeprefix("set ")
        theirs |= {norm(t), _singular(norm(t))}
    return bool(mine & theirs)


def decl_alias(definition: str, source: str) -> tuple[tuple[str, ...], str] | None:
    """The spec names (and the reason) a document name is known to be renamed to, or None."""
    return DECL_ALIASES.get((definition, norm(source)))


def part_alias(definition: str, part: str) -> tuple[tuple[str, ...], str] | None:
    """The spec field or member names (and the reason) a component or member is renamed to."""
    return PART_ALIASES.get((definition, norm(part)))


_SCRIPT = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵"))
_GREEK_TEX = dict(zip(_GREEK, "αβγδεζηθικλμνξοπρστυφχψω"))


def pretty(source: str) -> str:
    """A document name for display: ``\\mathcal{C}_{IoT}`` → ``𝒞_IoT``, ``\\delta`` → ``δ``,
    ``Security_{VM}`` → ``Security_VM``."""
    s = re.sub(r"\\mathcal\s*\{([A-Z])\}", lambda m: _SCRIPT[m.group(1)], source)
    s = re.sub(r"\\([a-z]+)(?![A-Za-z])", lambda m: _GREEK_TEX.get(m.group(1), m.group(0)), s)
    return plain(s)
