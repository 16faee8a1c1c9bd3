"""One run of a conformance search: reset the implementation, apply events, and compare each
outcome and each observation with the spec's belief (see :mod:`formalc.conform.engine`)."""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from .adapter import Outcome
from .results import Finding, Mismatch, Options, Step
from .spec_side import SpecMachine

class Run:
    """One generated trace against the adapter: reset, then events, tracking the belief."""

    def __init__(self, sm: SpecMachine, adapter, opts: Options, known: frozenset,
                 stats: dict, generated: bool = True):
        self.sm = sm
        self.adapter = adapter
        self.opts = opts
        self.known = known
        self.stats = stats
        self.steps: list[Step] = []
        self.dead = False
        self._enabled_cache: dict = {}
        counter = "examples" if generated else "tour_runs"
        stats[counter] = stats.get(counter, 0) + 1
        timeout = opts.poll_timeout
        if timeout is None:
            timeout = float(getattr(adapter, "poll_timeout", 0.0) or 0.0)
        self.timeout = timeout
        self.aliases: Mapping[str, Iterable[str]] = getattr(adapter, "aliases", None) or {}
        self.current = "?"
        self.belief = frozenset()
        try:
            adapter.reset()
        except Exception as e:  # noqa: BLE001 - an adapter failure is a finding, not a crash
            self._start_failed("crash", "a fresh instance", "", f"reset: {_exc(e)}")
            return
        expected = sm.closure(sm.initial)
        raw, vals, matching, polls = self._observe_until(expected)
        self.steps.append(Step(None, "", sm.states_text(expected), None,
                               self.resolve(raw) or raw, polls))
        if not matching:
            self._start_failed("initial", sm.states_text(expected), raw, "")
            return
        self.current = sm.state_of(next(iter(matching)))
        self.belief = matching
        self._check_invariants(matching, raw)

    def _start_failed(self, kind, expected, observed, detail) -> None:
        """A reset that failed or left the implementation outside the initial states: a
        finding once; when already known, the run ends (nothing after it can be compared)."""
        key = (kind, "", None, self.resolve(observed) or observed)
        if key in self.known:
            self._die()
            return
        self._raise(kind, None, "", expected, observed, detail, key)

    def _die(self) -> None:
        self.dead = True
        self.stats["dead_runs"] = self.stats.get("dead_runs", 0) + 1

    # ---------------------------------------------------------------- observing
    def resolve(self, raw: str) -> str | None:
        """The spec state an observed name stands for, or None."""
        sm = self.sm
        if raw in sm.states:
            return raw
        folded = {s.casefold(): s for s in sm.states}
        if raw.casefold() in folded:
            return folded[raw.casefold()]
        for cand in self.aliases.get(raw, ()) or self.aliases.get(raw.casefold(), ()):
            if cand in sm.states:
                return cand
        return None

    def _observe(self):
        t = self.adapter.observe()
        if isinstance(t, Mapping):
            vals = dict(t)
            if "state" not in vals:
                raise ValueError(f"observe() returned a dict without \"state\": {t!r}")
            raw = str(vals.pop("state"))
        else:
            raw, vals = str(t), {}
        return raw, vals

    def _match(self, candidates, raw, vals) -> frozenset:
        name = self.resolve(raw)
        if name is None:
            return frozenset()
        sm = self.sm
        idx = [(sm.names.index(k), v) for k, v in vals.items() if k in sm.names]
        return frozenset(s for s in candidates if sm.state_of(s) == name
                         and all(s[i] == v for i, v in idx))

    def _observe_until(self, candidates: frozenset, known_prefix: tuple | None = None,
                       once: bool = False):
        """Observe until the observation matches a candidate or the timeout passes (or it
        shows a difference already known for this step: ``known_prefix`` + observed state)."""
        deadline = time.monotonic() + self.timeout
        interval = self.opts.poll_interval
        polls = 0
        while True:
            try:
                raw, vals = self._observe()
            except Exception as e:  # noqa: BLE001
                self._raise("crash", self.steps[-1].event if self.steps else None,
                            self.current, "an observation", "", f"observe: {_exc(e)}")
            polls += 1
            matching = self._match(candidates, raw, vals)
            known = known_prefix is not None and \
                (*known_prefix, self.resolve(raw) or raw) in self.known
            if matching or known or once or time.monotonic() >= deadline:
                self.stats["polls"] = self.stats.get("polls", 0) + polls
                return raw, vals, matching, polls
            time.sleep(interval)
            interval = min(interval * 2, 0.05)

    # ---------------------------------------------------------------- one event
    def enables(self, event: str) -> bool:
        """Whether the spec accepts ``event`` in some state the implementation may be in."""
        if self.dead:
            return False
        key = (self.belief, event)
        hit = self._enabled_cache.get(key)
        if hit is None:
            hit = any(self.sm.successors(s, event) for s in self.sm.closure(self.belief))
            self._enabled_cache[key] = hit
        return hit

    def step(self, event: str) -> None:
        if self.dead:
            return
        sm = self.sm
        self.stats["steps"] = self.stats.get("steps", 0) + 1
        before = self.current
        pre = sm.closure(self.belief)
        targets: set = set()
        refusing = []
        for s in pre:
            nxt = sm.successors(s, event)
            if nxt:
                targets.update(nxt)
            else:
                refusing.append(s)
        after_accept = sm.closure(targets)
        after_refuse = sm.closure(refusing)
        try:
            out = self.adapter.apply(event)
        except Exception as e:  # noqa: BLE001
            self._record(event, before, "accepted or refused", None, "?")
            self._raise("crash", event, before, "accepted or refused", "?", _exc(e))
        if not isinstance(out, Outcome):
            self._record(event, before, "accepted or refused", None, "?")
            self._raise("crash", event, before, "an Outcome", "?",
                        f"apply({event!r}) returned {out!r}, not an Outcome(accepted, detail)")
        if out.accepted:
            expected = (f"accepted → {sm.states_text(after_accept)}" if targets
                        else "refused")
            allowed = after_accept
        else:
            expected = ("refused" if refusing else
                        f"accepted → {sm.states_text(after_accept)}")
            allowed = after_refuse
        prefix = ("state" if out.accepted else "unchanged", before, event)
        raw, vals, matching, polls = self._observe_until(allowed, prefix, once=not allowed)
        if vals and allowed:
            expected += _described(sm, allowed, out.accepted)
        self._record(event, before, expected, out, raw, polls, vals)
        if out.accepted and not targets:
            self._mismatch("accepted", event, before, "refused", raw, vals, out.detail, pre)
        elif not out.accepted and not refusing:
            self._mismatch("refused", event, before, expected, raw, vals, out.detail, pre,
                           after_accept)
        elif not matching:
            kind = "state" if out.accepted else "unchanged"
            exp = sm.states_text(allowed) + (_described(sm, allowed, True) if vals else "")
            self._mismatch(kind, event, before, exp, raw, vals, out.detail, pre, allowed)
        else:
            # where the event alone leads, from the belief before any internal move
            direct = {n for b in self.belief for n in sm.successors(b, event)} \
                if out.accepted else {b for b in self.belief if not sm.successors(b, event)}
            if not matching & direct:
                # only internal events explain what was seen (a process exited by itself)
                self.stats["internal_moves"] = self.stats.get("internal_moves", 0) + 1
            self.belief = matching
            self.current = sm.state_of(next(iter(matching)))
        self._check_invariants(self.belief, raw)

    def _shown(self, raw, vals) -> str:
        """An observation as text: the state, and the observed variables if any."""
        name = self.resolve(raw) or raw
        if not vals:
            return name
        return name + " (" + ", ".join(f"{k}={_val(v)}" for k, v in vals.items()) + ")"

    def _record(self, event, before, expected, out, raw, polls=1, vals=None):
        self.steps.append(Step(event, before, expected, out, self._shown(raw, vals), polls))

    def _mismatch(self, kind, event, before, expected, raw, vals, detail, pre, basis=None):
        """Raise the finding, or, when this difference is already known, resynchronise the
        belief with what was observed and go on."""
        name = self.resolve(raw)
        key = (kind, before, event, name or raw)
        if key in self.known:
            base = basis if basis else pre
            resync = self._match(frozenset(self.sm.with_state(s, name) for s in base), raw, vals) \
                if name else frozenset()
            if not resync:
                self._die()  # nothing the spec knows matches: this run ends (counted)
                return
            self.belief = resync
            self.current = name
            return
        self._raise(kind, event, before, expected, raw, detail, key, vals)

    def _check_invariants(self, belief, raw):
        sm = self.sm
        if not sm.invariants or self.dead:
            return
        for s in belief:
            for inv in sm.violated(s):
                key = ("invariant", self.current, inv.name, raw)
                if key not in self.known:
                    self._raise("invariant", self.steps[-1].event, self.current,
                                f"`{inv.name}` holds", sm.describe(s),
                                f"`{inv.name}` is false: {inv.text}", key)

    def check_belief(self) -> None:
        """The Hypothesis invariant: every state the implementation may be in keeps the
        spec's invariants."""
        self._check_invariants(self.belief, self.current)

    def _raise(self, kind, event, before, expected, observed, detail, key=None, vals=None):
        observed = self._shown(observed, vals) if vals else self.resolve(observed) or observed
        f = Finding(kind, event, before, expected, observed, detail, tuple(self.steps),
                    key or (kind, before, event, observed))
        self.stats.setdefault("seen", []).append(f)
        raise Mismatch(f)


def _val(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _described(sm: SpecMachine, states, accepted: bool, limit: int = 3) -> str:
    """" [Deployed (replicas=2), …]": the states with their variables, for a mismatch that
    may lie in a variable rather than the control state."""
    texts = sorted(sm.describe(s) for s in states)
    more = f", … {len(texts) - limit} more" if len(texts) > limit else ""
    return " [" + "; ".join(texts[:limit]) + more + "]"


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"



def settle(adapter, expected: Iterable[str], timeout: float | None = None,
           interval: float = 0.002) -> str:
    """Observe ``adapter`` until it shows one of the ``expected`` state names (through its
    aliases) or ``timeout`` seconds pass (default: the adapter's ``poll_timeout``, else 0);
    return the last observed name. Transcripts use it to replay asynchronous observations the
    way the engine made them."""
    if timeout is None:
        timeout = float(getattr(adapter, "poll_timeout", 0.0) or 0.0)
    want = set(expected)
    aliases = getattr(adapter, "aliases", None) or {}
    deadline = time.monotonic() + timeout
    while True:
        t = adapter.observe()
        raw = str(t["state"]) if isinstance(t, Mapping) else str(t)
        names = {raw, *aliases.get(raw, ())}
        if names & want or time.monotonic() >= deadline:
            return raw
        time.sleep(interval)
        interval = min(interval * 2, 0.05)
