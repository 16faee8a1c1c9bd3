"""The traceability matrix: each numbered definition of the document → the spec declarations
tagged with it → the checks that cover it → their latest verdicts, and the problems found.

**Which checks cover a definition.** A check covers Definition N.M when it is tagged
``@def N.M`` (*via tag*), or when its formula mentions by name one of the declarations tagged
``@def N.M`` (*via mention*; :func:`formalc.trace.specs.mentions` lists what a mention is —
names reached only through another definition's body do not count, or the fleet's checks would
cover everything). A definition with neither is ``unchecked``.

**Whose failures are reported where.** A violated or unknown check is a ``not-proved`` problem
of each definition it is tagged with; a check with no tag at all is one of each definition it
covers by mention. A check tagged elsewhere that merely mentions a declaration is listed in the
row with its verdict but reported under its own definitions, so one failure is one problem per
definition that claims it.

Only numbered blocks of kind ``definition`` are rows: ``@def`` tags cite definitions. Theorems,
lemmas and loose formulas of the document are not traced.
"""
from __future__ import annotations

from .compare import compare
from .model import Coverage, Location, Problem, Row, TraceReport
from .specs import Outcome, SpecCheck, SpecIndex, verdict_key

_NOT_RUN = Outcome(None)


def build(document, index: SpecIndex, outcomes: dict, verdicts: str = "run",
          spec_args: list[str] | None = None) -> TraceReport:
    """The :class:`TraceReport` of ``document`` (a :class:`formalc.extract.Document`) against
    the spec ``index``; ``outcomes`` maps ``(file, check name)`` to its latest
    :class:`~formalc.trace.specs.Outcome` (a check without one is "not run")."""
    doc = document.file
    report = TraceReport(doc, list(index.files), list(spec_args or index.files),
                         diagnostics=list(index.diagnostics),
                         sources=dict(index.sources), verdicts=verdicts)
    for line, message in document.problems:
        report.problems.append(Problem("document", None, message, (Location(doc, line),)))
    numbers: dict[str, int] = {}
    for block in document.definitions:
        if block.kind != "definition" or not block.number:
            continue
        if block.number in numbers:
            report.problems.append(Problem(
                "document", block.number,
                f"Definition {block.number} is numbered again (first at line "
                f"{numbers[block.number]}); only the first is traced",
                (Location(doc, block.line), Location(doc, numbers[block.number]))))
            continue
        numbers[block.number] = block.line
        row = _row(block, doc, index, outcomes)
        report.rows.append(row)
        report.problems.extend(row.problems)
    report.problems.extend(_unknown_tags(index, set(numbers)))
    report.problems.sort(key=Problem.sort_key)
    return report


def _row(block, doc: str, index: SpecIndex, outcomes: dict) -> Row:
    number = block.number
    here = Location(doc, block.line)
    tagged = index.tagged(number)
    problems: list[Problem] = []
    matches = []
    if not tagged:
        problems.append(Problem(
            "unformalised", number,
            f"Definition {number} ({block.title}) is formalised nowhere: no declaration is "
            f"tagged @def {number}", (here,),
            hint=f"write its declarations in a spec, each preceded by `@def {number}`"))
    for f in block.formulas:
        if f.status != "parsed":
            what = "was not parsed" if f.status == "unparsed" else "was only partly parsed"
            problems.append(Problem(
                "unparsed-formula", number,
                f"the formula `{_short(f.latex)}` {what}" + (f": {f.reason}" if f.reason else "")
                + ("" if f.status == "unparsed" else "; its other declarations were compared"),
                (Location(doc, f.line),)))
        if not tagged:
            continue
        defined, sources = _defined(f.decls)
        for decl in defined:
            match, probs = compare(number, doc, decl, tagged, f.latex, sources)
            matches.append(match)
            problems.extend(probs)
    checks = _coverage(number, tagged, index, outcomes)
    if tagged and not checks:
        problems.append(Problem(
            "unchecked", number,
            f"Definition {number} is formalised ({_names(tagged)}) but no check is tagged "
            f"@def {number} or mentions one of its declarations", (here,) + tuple(
                Location(d.file, d.line) for d in tagged[:3]),
            hint=f"state a property of it: `@def {number}` then `check name: …`"))
    not_run = []
    for c in checks:
        claims = number in c.check.defs or not c.check.defs
        if not claims or c.outcome.holds:
            continue
        where = (here, Location(c.check.file, c.check.line))
        if c.outcome.value is None:
            not_run.append(c.check)
        else:
            reason = f" ({c.outcome.reason})" if c.outcome.reason and \
                c.outcome.value == "unknown" else ""
            problems.append(Problem(
                "not-proved", number, f"check `{c.check.name}` is {c.outcome.value}{reason}",
                where, hint=f"formalc check {c.check.file} -k {c.check.name}"))
    if not_run:  # one problem per definition: the cause (no verdicts at hand) is shared
        names = ", ".join(f"`{c.name}`" for c in not_run[:5]) + (" …" if len(not_run) > 5 else "")
        problems.append(Problem(
            "not-run", number, f"{_count(len(not_run), 'check')} covering Definition {number} "
            f"{'has' if len(not_run) == 1 else 'have'} no verdict (not run, none in the result "
            f"cache): {names}", (here,) + tuple(Location(c.file, c.line) for c in not_run),
            hint="run without --no-check, or `formalc check` the specs first"))
    problems.sort(key=Problem.sort_key)
    return Row(number, block.kind, block.title, block.section, block.line, tuple(tagged),
               tuple(matches), tuple(checks), tuple(problems))


def _defined(decls) -> tuple[list, dict[str, str]]:
    """The declarations a formula defines, without those it only uses: extraction declares
    every free name of a formula too (``IsolationLevel = \\frac{IsolatedResources}{
    TotalResources}`` gives two constants and a metric over them), and those operands are the
    document's words, not its definitions. Also the operands' names as the document writes
    them (extraction suffixes a name already taken: ``HardwareIsolation_d5_2``)."""
    names = {d.name for d in decls}
    used = {p for d in decls for p in d.parts if p in names and p != d.name}
    operands = [d for d in decls if d.name in used]
    return ([d for d in decls if d.name not in used],
            {d.name: getattr(d, "source", "") or d.name for d in operands})


def _coverage(number: str, tagged, index: SpecIndex, outcomes: dict) -> list[Coverage]:
    names = {d.name for d in tagged}
    out = []
    for c in index.checks:
        hit = tuple(sorted(c.mentions & names))
        if number in c.defs:
            via = "tag"
        elif hit:
            via = "mention"
        else:
            continue
        out.append(Coverage(c, via, hit, outcomes.get(verdict_key(c.file, c.name), _NOT_RUN)))
    return out


def _unknown_tags(index: SpecIndex, numbers: set[str]) -> list[Problem]:
    cited: dict[str, list] = {}
    for item in [*index.decls, *index.checks]:
        for n in item.defs:
            if n not in numbers:
                cited.setdefault(n, []).append(item)
    out = []
    for n, items in cited.items():
        decls = sum(not isinstance(i, SpecCheck) for i in items)
        checks = len(items) - decls
        who = " and ".join(x for x in (_count(decls, "declaration"), _count(checks, "check")) if x)
        first = ", ".join(f"`{i.name}`" for i in items[:4]) + (" …" if len(items) > 4 else "")
        out.append(Problem(
            "unknown-definition", n,
            f"@def {n} is cited by {who} ({first}), but the document has no Definition {n}",
            tuple(Location(i.file, i.line) for i in items),
            hint="correct the tag, or trace against the document that defines it"))
    return out


def _count(n: int, word: str) -> str:
    return "" if not n else f"{n} {word}{'s' * (n != 1)}"


def _names(decls, limit: int = 4) -> str:
    shown = ", ".join(f"`{d.name}`" for d in decls[:limit])
    return shown + (f" and {len(decls) - limit} more" if len(decls) > limit else "")


def _short(latex: str, limit: int = 60) -> str:
    one = " ".join(latex.split())
    return one if len(one) <= limit else one[:limit - 1] + "…"
