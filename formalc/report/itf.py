"""Machine traces as ITF JSON: the Informal Trace Format of Apalache and Quint (ADR-015).

A trace file is ``{"#meta": {...}, "vars": [...], "states": [...], "loop": L}``: each state
is an object with its ``"#meta": {"index": i}`` and one entry per variable. Values are encoded
as ITF does: Int as ``{"#bigint": "5"}``, sets as ``{"#set": [...]}``, tuples/records as plain
objects, enum members as strings, booleans as JSON booleans; Real values, which ITF cannot
express, as ``{"#unserializable": "3/2"}``.

Like Quint's model-based-testing traces, every state also carries ``mbt::actionTaken`` (the
event that led to it, ``"init"`` for the first state; ``"c.start"`` in a composition) and
``mbt::nondetPicks`` (which instance moved: ``{"instance": {"tag": "Some", "value": "c[3]"}}``,
or ``None``); the state's ``#meta`` repeats the event, the instance and the actions executed.
``loop`` is present only for a lasso: after the last state the run continues at that index.
"""
from __future__ import annotations

import json
from fractions import Fraction

from ..checks.results import Result

ITF_ADR = "https://apalache-mc.org/docs/adr/015adr-trace.html"
ACTION_TAKEN = "mbt::actionTaken"
NONDET_PICKS = "mbt::nondetPicks"


def itf_value(v):
    """A plain trace value in ITF's JSON encoding."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return {"#bigint": str(v.numerator)}
        return {"#unserializable": f"{v.numerator}/{v.denominator}"}
    if isinstance(v, float):
        return {"#unserializable": repr(v)}
    if isinstance(v, dict):
        return {str(k): itf_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return {"#set": [itf_value(x) for x in v]}
    if v is None:
        return {"#unserializable": "undefined"}
    return str(v)


def _none() -> dict:
    return {"tag": "None", "value": {"#tup": []}}


def trace_to_itf(r: Result, *, engine: str | None = None) -> dict:
    """The ITF object of ``r.trace`` (ValueError when the result has no trace)."""
    t = r.trace
    if t is None:
        raise ValueError(f"check `{r.check}` has no trace")
    names: list[str] = []
    for s in t.steps:
        for k in s.state:
            if k not in names:
                names.append(k)
    states = []
    for s in t.steps:
        meta = {"index": s.index}
        if s.event is not None:
            meta["event"] = s.event
        if s.instance is not None:
            meta["instance"] = s.instance
        if s.actions:
            meta["actions"] = list(s.actions)
        st: dict = {"#meta": meta}
        st.update({k: itf_value(s.state[k]) for k in names if k in s.state})
        if s.event is None:
            action = "init"
        elif s.instance is not None:
            action = f"{s.instance.split('[')[0]}.{s.event}"
        else:
            action = s.event
        st[ACTION_TAKEN] = action
        st[NONDET_PICKS] = {"instance": {"tag": "Some", "value": s.instance}
                            if s.instance is not None else _none()}
        states.append(st)
    meta = {
        "format": "ITF",
        "format-description": ITF_ADR,
        "source": r.file,
        "description": f"formalc: {r.verdict.value} {r.check}: {r.formula}",
        "check": r.check,
        "machine": t.machine,
        "verdict": r.verdict.value,
    }
    if r.method:
        meta["method"] = r.method
    if engine:
        meta["engine"] = engine
    if t.formula:
        meta["formula"] = t.formula
    if t.failed_at is not None:
        meta["failed_at"] = t.failed_at
    out = {"#meta": meta, "vars": names + [ACTION_TAKEN, NONDET_PICKS], "states": states}
    if t.loop is not None:
        out["loop"] = t.loop
    return out


def render_itf(r: Result, *, engine: str | None = None) -> str:
    return json.dumps(trace_to_itf(r, engine=engine), ensure_ascii=False, indent=2)


def read_itf(text: str) -> dict:
    """Parse an ITF file (ValueError with a short reason when it is not one)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e.msg} at line {e.lineno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("states"), list):
        raise ValueError("not an ITF trace (no \"states\" list)")
    return data


def plain_value(v):
    """An ITF value back as a plain Python value (enum members and strings as str)."""
    if isinstance(v, dict):
        if "#bigint" in v:
            return int(v["#bigint"])
        if "#set" in v:
            return [plain_value(x) for x in v["#set"]]
        if "#tup" in v:
            return [plain_value(x) for x in v["#tup"]]
        if "#unserializable" in v:
            return v["#unserializable"]
        return {k: plain_value(x) for k, x in v.items() if k != "#meta"}
    return v
