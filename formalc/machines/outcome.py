"""What a machine engine returns: a verdict with how it was reached, and the run behind it.

Both engines (explicit and symbolic) return an :class:`Outcome`; the check runner turns it into
a :class:`~formalc.checks.results.Result` with a readable trace. No solver objects in here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..checks.results import Verdict


class TooLarge(Exception):
    """The explicit engine met more reachable states than it may store."""


class NotApplicable(Exception):
    """An engine cannot decide this machine or property (the message says why)."""


@dataclass
class Outcome:
    """One engine's answer about one property of one machine.

    ``method`` says how: "k-induction (k=2)", "BMC (depth 30)", "Spacer (CHC)",
    "explicit (1,820 states)". A violated safety property or a satisfied `sat` property comes
    with a run: ``states[i]`` maps each state variable to its plain value and ``taken[i]`` is
    the :class:`~formalc.machines.ts.Transition` that led to it (``taken[0]`` is None);
    ``loop`` makes the run a lasso (it continues at step ``loop`` after the last step).
    ``formula`` is the sub-formula that is false at step ``failed_at``. ``paths`` gives, for
    `reachable`, a shortest path of transition labels to each state. ``depth`` is how far a
    bounded search got (for an unknown verdict).
    """
    verdict: Verdict
    method: str
    states: list | None = None
    taken: list | None = None
    loop: int | None = None
    failed_at: int | None = None
    formula: object | None = None  # a model expression, or a text
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    paths: dict = field(default_factory=dict)
    depth: int | None = None
