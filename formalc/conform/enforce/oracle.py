"""The verdict oracle: which outcome an enforcement spec forces for a probe under one policy,
decided by Z3 through ``formalc.check`` (:class:`VerdictOracle`).

>>> oracle = VerdictOracle(SpecFacts.of("specs/enforcement.iot"), "strict")  # doctest: +SKIP
>>> oracle.expected(Probe("Mkdir")).outcome                                  # doctest: +SKIP
<Outcome.DENIED: 'Denied'>
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .facts import Outcome, Probe, SpecFacts

__all__ = ["Expectation", "VerdictOracle"]


@dataclass(frozen=True)
class Expectation:
    """The verdict the spec forces for one probe (or UNKNOWN and why), and the spec text whose
    checks decided it."""
    outcome: Outcome
    reason: str | None
    check_text: str
    seconds: float


class VerdictOracle:
    """Which outcome the spec forces for a probe under one policy, decided by Z3.

    For probe ``q`` it checks ``Verdict(P, q) = v`` for every outcome ``v`` (a spec that imports
    the enforcement spec, checked with ``formalc.check``). Exactly one proved is the answer;
    anything else — no verdict forced, several proved, a check unknown — is UNKNOWN with the
    reason. ``policy_text`` is the policy as a spec expression: a named value (``strict``).
    """
    PREFIX = "formalc_expect_"

    def __init__(self, facts: SpecFacts, policy_text: str, timeout: float = 10.0):
        from ...model.loader import Loader
        self.facts, self.policy_text, self.timeout = facts, policy_text, timeout
        self._loader = Loader()  # keeps the parsed imports: one query costs a few ms
        self._memo: dict[Probe, Expectation] = {}
        self.seconds = 0.0

    def check_text(self, probe: Probe) -> str:
        """A spec, beside the enforcement spec, whose checks decide ``probe``."""
        return self._text([probe], numbered=False)

    def _text(self, probes: list[Probe], numbered: bool = True) -> str:
        lines = [f'import "{self.facts.file.name}"']
        for i, probe in enumerate(probes):
            q = probe.spec_text(self.facts)
            tag = f"{i}_" if numbered else ""
            lines += [f"check {self.PREFIX}{tag}{v}: Verdict({self.policy_text}, {q}) = {v}"
                      for v in self.facts.outcomes]
        return "\n".join(lines) + "\n"

    def expected(self, probe: Probe) -> Expectation:
        """The verdict the spec forces for ``probe`` (decided once, then remembered)."""
        if probe not in self._memo:
            self.prefetch([probe])
        return self._memo[probe]

    def prefetch(self, probes) -> None:
        """Decide every probe of ``probes`` not decided yet, in one spec and one
        ``formalc.check`` run (about twice as fast per probe as one at a time)."""
        import formalc

        from ...model.compile import compile_text
        todo = list(dict.fromkeys(p for p in probes if p not in self._memo))
        if not todo:
            return
        t0 = time.perf_counter()
        diags, spec = compile_text(self._text(todo), "<expected verdicts>", self._loader,
                                   self.facts.file.parent)
        results: dict[str, object] = {}
        failure = None
        if spec is None:
            failure = "the query does not compile: " + "; ".join(
                d.message for d in diags if d.is_error)
        else:
            report = formalc.check(spec, timeout=self.timeout, select=[self.PREFIX])
            results = {r.check[len(self.PREFIX):]: r for r in report.results}
        dt = time.perf_counter() - t0
        self.seconds += dt
        for i, probe in enumerate(todo):
            outcome, reason = (Outcome.UNKNOWN, failure) if failure else self._verdict(
                {v: results.get(f"{i}_{v}") for v in self.facts.outcomes})
            self._memo[probe] = Expectation(outcome, reason, self.check_text(probe),
                                            dt / len(todo))

    @staticmethod
    def _verdict(by_outcome: dict) -> tuple[Outcome, str | None]:
        missing = [v for v, r in by_outcome.items() if r is None]
        if missing:
            return Outcome.UNKNOWN, f"no result for {', '.join(missing)}"
        proved = [v for v, r in by_outcome.items() if r.verdict.value == "proved"]
        unknown = [f"{v}: {r.reason}" for v, r in by_outcome.items()
                   if r.verdict.value == "unknown"]
        if unknown:
            return Outcome.UNKNOWN, "Z3 could not decide " + "; ".join(unknown)
        if len(proved) == 1:
            return Outcome(proved[0]), None
        if not proved:
            return Outcome.UNKNOWN, ("the spec forces no verdict (each one is possible): is a "
                                     "table of `Verdict` partial?")
        return Outcome.UNKNOWN, (f"several verdicts are proved ({', '.join(proved)}): the "
                                 "spec's assumptions contradict each other")
