"""The explicit-state engine: enumerate the reachable states of a transition system, then
decide properties on the state graph.

- :func:`explore` does a breadth-first search from every initial state. States are tuples of
  plain values in ``ts.vars`` order, numbered in BFS order (so a state's number never
  decreases with its distance from the initial states, and BFS parents give shortest paths).
  A state without an enabled transition gets a stutter self-loop (the semantics of
  :mod:`formalc.machines.ts`).
- :func:`check_explicit` decides one property: state predicates on the initial states;
  invariants (`always φ`, φ with at most `next`) state by state, with a shortest
  counterexample; every other temporal property through a Büchi automaton of its negation
  (:mod:`formalc.machines.ltl`), the product with the state graph and a search for a fair
  accepting strongly connected component (a lasso counterexample); structural properties on the
  graph.
- :func:`coverage_explicit` reports transitions that no reachable state enables.
"""
from __future__ import annotations

import time
from collections import deque
from itertools import pairwise

import networkx as nx

from ..checks.results import Verdict
from ..model import nodes as m
from ..model.machines import STATE
from .evaluate import compile_expr, finite_values, plain
from .ltl import automaton, has_temporal
from .outcome import NotApplicable, Outcome, TooLarge
from .ts import Transition, TransitionSystem


class ExploreTimeout(NotApplicable):
    """Exploring the state space took longer than the time allowed."""


# ------------------------------------------------------------------------------ the state graph
class StateGraph:
    """The reachable states of a transition system and its steps.

    ``states[i]``: a tuple of values in ``ts.vars`` order; ``index``: the reverse map;
    ``parent[i]``: ``(predecessor, transition index)`` on a shortest path (None for initial
    states); ``dist[i]``: the length of that path; ``enabled[i]``: ``(transition index,
    successor)`` for every transition enabled in state i (empty: i stutters).
    """

    def __init__(self, ts: TransitionSystem):
        self.ts = ts
        self.names = tuple(v.name for v in ts.vars)
        self.states: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.parent: list = []
        self.dist: list[int] = []
        self.enabled: list[tuple] = []
        self.initial: list[int] = []
        self.n_transitions = 0
        self.seconds = 0.0
        self._nx = None
        self._final = None

    def __len__(self) -> int:
        return len(self.states)

    def env(self, i: int) -> dict:
        return dict(zip(self.names, self.states[i]))

    def succ(self, i: int):
        """Successor state numbers of i (i itself for a stuttering state)."""
        en = self.enabled[i]
        return [j for _, j in en] if en else [i]

    def path_to(self, i: int) -> list[tuple[int, int | None]]:
        """A shortest path from an initial state to i: ``[(state, transition index or None)]``."""
        out = []
        while True:
            p = self.parent[i]
            out.append((i, p[1] if p else None))
            if p is None:
                break
            i = p[0]
        out.reverse()
        return out

    def final(self) -> list[bool]:
        """Whether each state is final."""
        if self._final is None:
            f = compile_expr(self.ts.final, self.ts.spec)
            self._final = [bool(f(self.env(i))) for i in range(len(self.states))]
        return self._final

    @property
    def graph(self) -> nx.DiGraph:
        """The state graph as a networkx DiGraph on state numbers; each edge carries
        ``transitions`` (the Transition objects it stands for) and ``stutter``."""
        if self._nx is None:
            g = nx.DiGraph()
            g.add_nodes_from(range(len(self.states)))
            trs = self.ts.transitions
            for i, en in enumerate(self.enabled):
                if not en:
                    g.add_edge(i, i, transitions=[], stutter=True)
                for k, j in en:
                    if g.has_edge(i, j):
                        g[i][j]["transitions"].append(trs[k])
                    else:
                        g.add_edge(i, j, transitions=[trs[k]], stutter=False)
            self._nx = g
        return self._nx

    def method(self) -> str:
        return f"explicit ({len(self.states):,} states, {self.n_transitions:,} transitions)"


def initial_states(ts: TransitionSystem) -> list[tuple]:
    """Every initial state of ``ts`` (parameters over their ranges), as tuples in ``ts.vars``
    order."""
    spec = ts.spec
    inits: dict[str, object] = {}
    extra = []
    for c in ts.init:
        if isinstance(c, m.Cmp) and c.op == "=" and isinstance(c.left, m.Var) \
                and c.left.name not in inits:
            inits[c.left.name] = c.right
        else:
            extra.append(c)
    params = {p.name: p for p in ts.machine.params}
    envs: list[dict] = [{}]
    for v in ts.vars:
        out = []
        for env in envs:
            if v.kind == "param" and v.name in params:
                p = params[v.name]
                lo = compile_expr(p.lo, spec)(env)
                hi = compile_expr(p.hi, spec)(env)
                choices = range(int(lo), int(hi) + 1)
            elif v.name in inits:
                choices = [compile_expr(inits[v.name], spec)(env)]
            else:
                vals = finite_values(v.type)
                if vals is None:
                    raise NotApplicable(f"`{v.name}` has no initial value and its type {v.type} "
                                        "has infinitely many values")
                choices = vals
            for x in choices:
                e = dict(env)
                e[v.name] = x
                out.append(e)
        envs = out
    checks = [compile_expr(a, spec) for a in (*ts.axioms, *extra)]
    names = tuple(v.name for v in ts.vars)
    seen, result = set(), []
    for env in envs:
        if all(c(env) for c in checks):
            s = tuple(env[n] for n in names)
            if s not in seen:
                seen.add(s)
                result.append(s)
    return result


def explore(ts: TransitionSystem, max_states: int = 200_000, deadline: float | None = None
            ) -> StateGraph:
    """Every reachable state of ``ts`` (breadth first). ``deadline`` is a
    :func:`time.monotonic` instant; raises :class:`TooLarge` beyond ``max_states`` states,
    :class:`ExploreTimeout` past the deadline, :class:`NotApplicable` when a value cannot be
    computed (uninterpreted constants, infinite initial choices)."""
    start = time.perf_counter()
    G = StateGraph(ts)
    spec = ts.spec
    names = G.names
    pos = {n: i for i, n in enumerate(names)}
    compiled = []
    for t in ts.transitions:
        compiled.append((compile_expr(t.guard, spec),
                         tuple((pos[n], compile_expr(e, spec)) for n, e in t.updates)))
    states, index, parent, dist, enabled = G.states, G.index, G.parent, G.dist, G.enabled
    for s in initial_states(ts):
        index[s] = len(states)
        G.initial.append(len(states))
        states.append(s)
        parent.append(None)
        dist.append(0)
    if len(states) > max_states:
        raise TooLarge(f"more than {max_states:,} initial states")
    n_tr = 0
    i = 0
    zip_ = zip
    while i < len(states):
        if deadline is not None and i % 512 == 0 and time.monotonic() > deadline:
            raise ExploreTimeout(f"exploring the state space ran out of time after "
                                 f"{len(states):,} states")
        s = states[i]
        env = dict(zip_(names, s))
        out = []
        d = dist[i] + 1
        for k, (guard, updates) in enumerate(compiled):
            if not guard(env):
                continue
            if updates:
                new = list(s)
                for p, f in updates:
                    new[p] = f(env)
                t = tuple(new)
            else:
                t = s
            j = index.get(t)
            if j is None:
                j = len(states)
                if j >= max_states:
                    raise TooLarge(f"more than {max_states:,} reachable states")
                index[t] = j
                states.append(t)
                parent.append((i, k))
                dist.append(d)
            out.append((k, j))
        n_tr += len(out)
        enabled.append(tuple(out))
        i += 1
    G.n_transitions = n_tr
    G.seconds = time.perf_counter() - start
    return G


# ------------------------------------------------------------------------------ outcomes
class _Clock:
    def __init__(self, timeout_ms):
        self.deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        self.n = 0

    def tick(self):
        self.n += 1
        if self.deadline is not None and self.n % 256 == 0 and time.monotonic() > self.deadline:
            raise ExploreTimeout("the explicit engine ran out of time")


def _run(G: StateGraph, steps) -> tuple[list, list]:
    """``steps``: [(state, transition index or None)] → (states as dicts, transitions)."""
    trs = G.ts.transitions
    states, taken = [], []
    for i, k in steps:
        states.append({n: plain(v) for n, v in zip(G.names, G.states[i])})
        taken.append(trs[k] if k is not None else None)
    return states, taken


def _outcome(G, verdict, steps=None, **kw) -> Outcome:
    o = Outcome(verdict, G.method(), **kw)
    if steps is not None:
        o.states, o.taken = _run(G, steps)
    return o


def check_explicit(ts: TransitionSystem, prop, kind: str, timeout_ms: int, *,
                   max_states: int = 200_000, graph: StateGraph | None = None) -> Outcome:
    """Decide ``ts ⊨ prop`` (``kind`` "valid": on every run; "sat": on some run) on the
    explicit state graph. Raises :class:`TooLarge` or :class:`NotApplicable` when the engine
    cannot work; running out of time gives an UNKNOWN outcome."""
    clock = _Clock(timeout_ms)
    try:
        G = graph if graph is not None else explore(ts, max_states, clock.deadline)
        return _check(G, prop, kind, clock)
    except ExploreTimeout as e:
        method = graph.method() if graph is not None else "explicit"
        return Outcome(Verdict.UNKNOWN, method, reason=f"timeout: {e}")


def _check(G: StateGraph, prop, kind: str, clock: _Clock) -> Outcome:
    if isinstance(prop, m.Structural):
        return _structural(G, prop.name, kind, clock)
    if not has_temporal(prop):
        return _state_predicate(G, prop, kind)
    if kind == "valid" and _is_safety(prop):
        return _safety(G, _conjuncts(prop), clock)
    return _ltl(G, prop, kind, clock)


def _conjuncts(e) -> list:
    if isinstance(e, m.BoolOp) and e.op == "∧":
        return [x for y in e.operands for x in _conjuncts(y)]
    return [e]


def _next_only(e) -> bool:
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, m.Temporal):
            if x.op != "next":
                return False
            todo.extend(x.operands)
            continue
        if has_temporal(x) and not isinstance(x, (m.Not, m.BoolOp, m.Implies, m.Ite)):
            return False
        todo.extend(m.children(x))
    return True


def _is_safety(prop) -> bool:
    """A conjunction of state predicates and `always [within k] φ`, φ with at most `next`."""
    for c in _conjuncts(prop):
        if not has_temporal(c):
            continue
        if isinstance(c, m.Temporal) and c.op == "always" and _next_only(c.operands[0]):
            continue
        return False
    return True


# ------------------------------------------------------------------------------ state predicates
def _state_predicate(G: StateGraph, prop, kind: str) -> Outcome:
    f = compile_expr(prop, G.ts.spec)
    for i in G.initial:
        holds = bool(f(G.env(i)))
        if kind == "valid" and not holds:
            return _outcome(G, Verdict.VIOLATED, [(i, None)], failed_at=0,
                            formula=_failing(G, _conjuncts(prop), [i], 0) or prop)
        if kind == "sat" and holds:
            return _outcome(G, Verdict.SATISFIED, [(i, None)])
    if kind == "valid":
        return _outcome(G, Verdict.PROVED)
    return _outcome(G, Verdict.VIOLATED, reason="no initial state satisfies the property")


def _failing(G, parts, path, at):
    for p in parts:
        if not _eval_path(G, p, path, at):
            return p
    return None


# ------------------------------------------------------------------------------ invariants
def _depth(e) -> int:
    """How many `next` deep a next-only formula reads."""
    if isinstance(e, m.Temporal):
        return 1 + _depth(e.operands[0])
    if not has_temporal(e):
        return 0
    return max((_depth(x) for x in m.children(e)), default=0)


def _eval_path(G: StateGraph, e, path: list, i: int) -> bool:
    """The value of next-only formula ``e`` at position ``i`` of the state path ``path``."""
    if not has_temporal(e):
        return bool(compile_expr(e, G.ts.spec)(G.env(path[i])))
    if isinstance(e, m.Temporal):  # next
        return _eval_path(G, e.operands[0], path, i + 1)
    if isinstance(e, m.Not):
        return not _eval_path(G, e.operand, path, i)
    if isinstance(e, m.Implies):
        return (not _eval_path(G, e.left, path, i)) or _eval_path(G, e.right, path, i)
    if isinstance(e, m.Ite):
        return _eval_path(G, e.then if _eval_path(G, e.cond, path, i) else e.orelse, path, i)
    if isinstance(e, m.BoolOp):
        vals = [_eval_path(G, x, path, i) for x in e.operands]
        if e.op == "∧":
            return all(vals)
        if e.op == "∨":
            return any(vals)
        acc = vals[0]
        for v in vals[1:]:
            acc = acc == v
        return acc
    raise NotApplicable(f"`next` inside {type(e).__name__}")


def _paths_from(G: StateGraph, i: int, d: int):
    """Every path of ``d`` steps from state i: lists of d+1 states."""
    if d == 0:
        yield [i]
        return
    for j in G.succ(i):
        for rest in _paths_from(G, j, d - 1):
            yield [i, *rest]


def _safety(G: StateGraph, parts: list, clock: _Clock) -> Outcome:
    spec = G.ts.spec
    init_parts = [compile_expr(p, spec) for p in parts if not has_temporal(p)]
    init_exprs = [p for p in parts if not has_temporal(p)]
    inv = []  # (body, bound, depth, compiled body when depth 0)
    for p in parts:
        if has_temporal(p):
            body = p.operands[0]
            d = _depth(body)
            inv.append((body, p.bound, d, compile_expr(body, spec) if d == 0 else None))
    init = set(G.initial)
    for i in range(len(G.states)):
        clock.tick()
        env = None
        if i in init:
            env = G.env(i)
            for f, e in zip(init_parts, init_exprs):
                if not f(env):
                    return _outcome(G, Verdict.VIOLATED, [(i, None)], failed_at=0,
                                    formula=_failing(G, _conjuncts(e), [i], 0) or e)
        for body, bound, d, f in inv:
            if bound is not None and G.dist[i] > bound:
                continue
            if f is not None:
                if env is None:
                    env = G.env(i)
                if f(env):
                    continue
                path = [i]
            else:
                path = next((p for p in _paths_from(G, i, d)
                             if not _eval_path(G, body, p, 0)), None)
                if path is None:
                    continue
            failing = _failing(G, _conjuncts(body), path, 0) or body
            path = path[:_depth(failing) + 1]  # only the look-ahead the failing part needs
            steps = G.path_to(i)
            at = len(steps) - 1
            for a, b in pairwise(path):
                steps.append((b, _transition_between(G, a, b)))
            return _outcome(G, Verdict.VIOLATED, steps, failed_at=at, formula=failing)
    return _outcome(G, Verdict.PROVED)


def _transition_between(G: StateGraph, a: int, b: int, label: str | None = None):
    """A transition index from a to b (with ``label`` if given and possible); None: stutter."""
    best = None
    for k, j in G.enabled[a]:
        if j == b:
            if label is None or G.ts.transitions[k].label == label:
                return k
            if best is None:
                best = k
    return best


# ------------------------------------------------------------------------------ general LTL
def _ltl(G: StateGraph, prop, kind: str, clock: _Clock) -> Outcome:
    """Search a fair run of ``G`` accepted by the automaton of ¬prop (valid) or prop (sat)."""
    A = automaton(prop, negate=(kind == "valid"))
    spec = G.ts.spec
    atom_fns = [compile_expr(e, spec) for e in A.atoms.exprs]
    compat: dict[int, frozenset] = {}

    def ok(s) -> frozenset:
        """The automaton states whose label state s satisfies."""
        v = compat.get(s)
        if v is None:
            env = G.env(s)
            vals = [bool(f(env)) for f in atom_fns]
            v = compat[s] = frozenset(q for q in range(A.n)
                                      if all(vals[a] == pol for a, pol in A.labels[q]))
        return v

    # The product, explored breadth first: node k is (ps[k], pq[k]); BFS order gives shortest
    # prefixes. Adjacency lists on node numbers keep it fast (no networkx graph here).
    ids: dict[tuple, int] = {}
    ps: list[int] = []
    pq: list[int] = []
    parent: list = []
    adj: list[list[int]] = []
    for s in G.initial:
        for q in A.init:
            if q in ok(s) and (s, q) not in ids:
                ids[(s, q)] = len(ps)
                ps.append(s)
                pq.append(q)
                parent.append(None)
    k = 0
    while k < len(ps):
        clock.tick()
        s, q = ps[k], pq[k]
        out = []
        qs = A.succ[q]
        for t in G.succ(s):
            good = ok(t)
            for q2 in qs:
                if q2 not in good:
                    continue
                y = ids.get((t, q2))
                if y is None:
                    y = ids[(t, q2)] = len(ps)
                    ps.append(t)
                    pq.append(q2)
                    parent.append(k)
                out.append(y)
        adj.append(out)
        k += 1
    fair = sorted(G.ts.fair)
    trs = G.ts.transitions
    enabled_labels: dict = {}

    def labels_at(s):
        v = enabled_labels.get(s)
        if v is None:
            v = enabled_labels[s] = {trs[k].label for k, _ in G.enabled[s]}
        return v

    best = None
    for comp in _sccs(adj, clock):
        if len(comp) == 1 and comp[0] not in adj[comp[0]]:
            continue
        entry = min(comp)  # node numbers are in BFS order
        if best is not None and entry >= best[0]:
            continue
        members = set(comp)
        targets = _fair_targets(G, A, adj, ps, pq, members, fair, labels_at)
        if targets is not None:
            best = (entry, members, targets)
    if best is None:
        if kind == "valid":
            return _outcome(G, Verdict.PROVED)
        return _outcome(G, Verdict.VIOLATED, reason="no run satisfies the property" +
                        (" (under the fairness of " + ", ".join(fair) + ")" if fair else ""))
    entry, members, targets = best
    prefix = []
    x = entry
    while x is not None:
        prefix.append(x)
        x = parent[x]
    prefix.reverse()
    cycle = _cycle(adj, members, entry, targets)  # [(node, label wanted on the edge into it)]
    steps = []
    prev = None
    for x in prefix:
        s = ps[x]
        steps.append((s, _transition_between(G, prev, s) if prev is not None else None))
        prev = s
    loop = len(steps) - 1
    for x, label in cycle[:-1]:
        s = ps[x]
        steps.append((s, _transition_between(G, prev, s, label)))
        prev = s
    # the step that closes the loop (last state → states[loop]); not part of the run's list
    closing = _transition_between(G, prev, ps[entry], cycle[-1][1])
    # start the loop as early as possible: while the state before the loop equals the loop's
    # last state, the same run is the shorter lasso that loops one step earlier
    while loop > 0 and steps[loop - 1][0] == steps[-1][0]:
        if len(steps) - 1 > loop:
            s_loop, _ = steps[loop]
            steps[loop] = (s_loop, closing)
            closing = steps[-1][1]
        steps.pop()
        loop -= 1
    verdict = Verdict.VIOLATED if kind == "valid" else Verdict.SATISFIED
    o = _outcome(G, verdict, steps, loop=loop)
    if kind == "valid":
        o.formula = prop  # the lasso itself says where it repeats from
    return o


def _sccs(adj: list, clock: _Clock):
    """Strongly connected components of the graph ``adj`` (Tarjan, iterative)."""
    n = len(adj)
    index = [-1] * n
    low = [0] * n
    onstack = [False] * n
    stack: list[int] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        clock.tick()
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        onstack[root] = True
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            nbrs = adj[v]
            if i < len(nbrs):
                work[-1] = (v, i + 1)
                w = nbrs[i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    onstack[w] = True
                    work.append((w, 0))
                elif onstack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    onstack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                yield comp


def _fair_targets(G, A, adj, ps, pq, comp, fair, labels_at):
    """What a cycle in ``comp`` must visit: a node of each acceptance set and, for each fair
    label, an edge taking it or a node where it is disabled. None when impossible."""
    targets = []
    for acc in A.accept:
        node = next((x for x in comp if pq[x] in acc), None)
        if node is None:
            return None
        targets.append(("node", node, None))
    for f in fair:
        node = next((x for x in comp if f not in labels_at(ps[x])), None)
        if node is not None:
            targets.append(("node", node, None))
            continue
        edge = None
        for x in comp:
            dsts = {j for k, j in G.enabled[ps[x]] if G.ts.transitions[k].label == f}
            y = next((y for y in adj[x] if ps[y] in dsts and y in comp), None)
            if y is not None:
                edge = (x, y)
                break
        if edge is None:
            return None
        targets.append(("edge", edge, f))
    return targets


def _bfs_in(adj, comp, src, dst, at_least_one: bool):
    """A shortest path src → dst inside comp, as the list of nodes after src (at least one
    step when ``at_least_one``)."""
    if src == dst and not at_least_one:
        return []
    parent: dict = {}
    seen = {src} if src != dst else set()
    todo = deque([src])
    while todo:
        x = todo.popleft()
        for y in adj[x]:
            if y in seen or y not in comp:
                continue
            seen.add(y)
            parent[y] = x
            if y == dst:
                path = [y]
                while parent[path[-1]] != src:
                    path.append(parent[path[-1]])
                path.reverse()
                return path
            todo.append(y)
    raise AssertionError("no path inside a strongly connected component")


def _cycle(adj, comp, entry, targets):
    """A cycle from entry back to entry through every target: [(node, label)] after entry."""
    out: list = []
    cur = entry
    for kind, what, label in targets:
        if kind == "node":
            out += [(y, None) for y in _bfs_in(adj, comp, cur, what, False)]
            cur = what
        else:
            u, v = what
            out += [(y, None) for y in _bfs_in(adj, comp, cur, u, False)]
            out.append((v, label))
            cur = v
    out += [(y, None) for y in _bfs_in(adj, comp, cur, entry, not out)]
    return out


# ------------------------------------------------------------------------------ structural
def _control(G: StateGraph):
    """Per state: the occupied control states — (component or None, state name)."""
    ts = G.ts
    if not ts.machine.is_composition:
        p = G.names.index(STATE)
        return lambda i: [(None, G.states[i][p])]
    counts = [(G.names.index(v.name), v.component, v.state) for v in ts.vars
              if v.kind == "count"]
    return lambda i: [(c, x) for p, c, x in counts if G.states[i][p] >= 1]


def _all_controls(ts: TransitionSystem):
    mach = ts.machine
    if not mach.is_composition:
        return [(None, x) for x in mach.state_type.members]
    return [(c.name, x) for c in mach.components
            for x in ts.spec.machines[c.machine].state_type.members]


def _events_of(ts: TransitionSystem, component):
    mach = ts.machine
    if component is None:
        return mach.event_type.members
    c = next(c for c in mach.components if c.name == component)
    return ts.spec.machines[c.machine].event_type.members


def _name(c, x) -> str:
    return x if c is None else f"{c}.{x}"


def _row(t: Transition) -> str:
    line = f", line {t.span.line}" if t.span is not None else ""
    what = f"δ({t.src}, {t.event})" if t.component is None else \
        f"{t.component}: δ({t.src}, {t.event})"
    return what + line


def _structural(G: StateGraph, name: str, kind: str, clock: _Clock) -> Outcome:
    ts = G.ts
    trs = ts.transitions
    bad = None  # (steps, reason)
    paths: dict = {}
    if name == "deterministic":
        for i, en in enumerate(G.enabled):
            clock.tick()
            seen: dict = {}
            for k, j in en:
                t = trs[k]
                key = (t.label, t.src)
                if key in seen and trs[seen[key]] is not t:
                    u = trs[seen[key]]
                    bad = (G.path_to(i) + [(j, k)],
                           (f"two transitions of `{t.label}` from {t.src} are enabled: "
                            f"{_row(u)} and {_row(t)}"))
                    break
                seen[key] = k
            if bad:
                break
    elif name == "total":
        control = _control(G)
        for i, en in enumerate(G.enabled):
            clock.tick()
            have = {(trs[k].component, trs[k].src, trs[k].event) for k, _ in en}
            for c, x in control(i):
                missing = next((e for e in _events_of(ts, c) if (c, x, e) not in have), None)
                if missing is not None:
                    who = x if c is None else f"an instance of {c} in {x}"
                    bad = (G.path_to(i),
                           f"event `{missing}` has no enabled transition from {who}")
                    break
            if bad:
                break
    elif name == "reachable":
        control = _control(G)
        for i in range(len(G.states)):  # BFS order: the first state met is the closest
            clock.tick()
            for c, x in control(i):
                key = _name(c, x)
                if key not in paths:
                    paths[key] = [trs[k].label for _, k in G.path_to(i)[1:]]
        missing = [_name(c, x) for c, x in _all_controls(ts) if _name(c, x) not in paths]
        order = [_name(c, x) for c, x in _all_controls(ts)]
        paths = {k: paths[k] for k in order if k in paths}
        if missing:
            bad = (None, "never reached: " + ", ".join(missing))
    elif name == "no_trap":
        final = G.final()
        pred: list[list[int]] = [[] for _ in G.states]
        for i in range(len(G.states)):
            for j in G.succ(i):
                pred[j].append(i)
        good = [False] * len(G.states)
        todo = deque(i for i, f in enumerate(final) if f)
        for i in todo:
            good[i] = True
        while todo:
            clock.tick()
            j = todo.popleft()
            for i in pred[j]:
                if not good[i]:
                    good[i] = True
                    todo.append(i)
        trap = next((i for i, g in enumerate(good) if not g), None)
        if trap is not None:
            bad = (G.path_to(trap), "no final state is reachable from the last state")
    elif name == "deadlock_free":
        final = G.final()
        dead = next((i for i, en in enumerate(G.enabled) if not en and not final[i]), None)
        if dead is not None:
            bad = (G.path_to(dead),
                   "no transition is enabled in the last state, which is not final")
    elif name == "final_absorbing":
        final = G.final()
        basic = not ts.machine.is_composition
        p = G.names.index(STATE) if basic else None
        for i, en in enumerate(G.enabled):
            if not final[i]:
                continue
            for k, j in en:
                if not final[j] or (basic and G.states[j][p] != G.states[i][p]):
                    bad = (G.path_to(i) + [(j, k)], f"{_row(trs[k])} leaves a final state")
                    break
            if bad:
                break
    else:
        raise NotApplicable(f"unknown structural property `{name}`")
    if bad is None:
        return _outcome(G, Verdict.PROVED if kind == "valid" else Verdict.SATISFIED, paths=paths)
    steps, reason = bad
    o = _outcome(G, Verdict.VIOLATED, steps, reason=reason, paths=paths, formula=reason)
    if steps is not None:
        o.failed_at = len(steps) - 1 if name not in ("deterministic", "final_absorbing") \
            else len(steps) - 2
        if name == "deadlock_free":
            o.loop = len(steps) - 1  # the deadlock stutters forever
    return o


# ------------------------------------------------------------------------------ coverage
def coverage_explicit(ts: TransitionSystem, graph: StateGraph) -> list[str]:
    """Warnings for transitions that no reachable state enables."""
    fired = set()
    for en in graph.enabled:
        for k, _ in en:
            fired.add(k)
    out = []
    for k, t in enumerate(ts.transitions):
        if k in fired:
            continue
        line = f" (line {t.span.line})" if t.span is not None else ""
        what = f"δ({t.src}, {t.event})" if t.component is None else f"`{t.label}` from {t.src}"
        out.append(f"{what}{line} can never fire: its guard is false in every reachable state")
    return out


__all__ = [
    "ExploreTimeout",
    "NotApplicable",
    "StateGraph",
    "TooLarge",
    "check_explicit",
    "coverage_explicit",
    "explore",
]
