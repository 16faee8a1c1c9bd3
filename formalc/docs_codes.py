"""Longer explanations for `formalc explain FCnnn`, with an example of each problem."""

EXPLANATIONS: dict[str, str] = {
    "FC101": """The parser met a token that cannot stand here. The message names the token and
what was expected instead. Example: `check foo: a = = b`.""",
    "FC103": """A statement stops before it is complete, e.g. `x := 1 +` at the end of a file.""",
    "FC104": """An expression is nested more deeply than formalc accepts (200 levels). Split it
into named definitions: `part := …` and use `part` in the larger formula.""",
    "FC105": """A number carries a unit formalc does not know, e.g. `512Mb`. Known units:
CPU `m` (milli-cores); Bytes `B KB MB GB TB KiB MiB GiB TiB`; Time `ns us µs ms s min h`;
Bandwidth `bps Kbps Mbps Gbps`; ratio `%`.""",
    "FC201": """A name is used that no declaration in this file or its imports introduces.
The hint suggests the closest declared names. A warning with this code means that a type name in
a tuple or signature is declared nowhere and was taken as an uninterpreted sort, and a declared
name is close to it (a likely typo).""",
    "FC202": """The same name is declared twice. A file and everything it imports share one
namespace, and enumeration members are names too.""",
    "FC204": """Spec files import each other in a cycle. Move the shared declarations into a
module that both import.""",
    "FC206": """A definition refers to itself, directly or through others. Definitions are
expanded in place (like macros), so they cannot be recursive.""",
    "FC207": """An enumeration `X = {a, b}` lists some names that are new and some that are
members of another enumeration. List only new names (a new type) or only existing members (a
named subset).""",
    "FC302": """Quantities of different dimensions are added, subtracted or compared, e.g.
`512MiB + 20ms`. `×` and `/` may combine dimensions (`100Mbps × 2s` is Bytes).""",
    "FC306": """A bare number stands where a quantity with a unit is expected, e.g.
`n.memory ≥ 512`. Write `512MiB`. Bare numbers are accepted for CPU (cores) and for 0.""",
    "FC401": """A check uses a construct the Z3 back end cannot encode faithfully, e.g. the size
of a set over an infinite type that is a field value. The verdict is unknown, never a pass.""",
    "FC501": """A machine names something it does not have: a δ row whose state or event is not a
member of the enumerations in δ's signature (`δ(Created, strat) = Running`), an `initial`,
`final`, `internal` or `fair` name that is not one of its states or events, a `do` item that is
neither a named effect of the machine nor an action (a member of an enumeration such as
`Actions`), or, in a composition, a rule or `fair` entry `c.e` whose component or event does not
exist, or `count(c, S)` with `c` not a component. The hint suggests the closest names.""",
    "FC502": """Two rows of δ give one state and event two different targets, and neither row has a
guard: δ would not be a function. Keep one row, or guard both with conditions that exclude each
other: `δ(Stopped, start) = Running when restarts < 3` and
`δ(Stopped, start) = Deleted when restarts ≥ 3`. (Overlapping guards are allowed; the
structural property `deterministic` checks them.)""",
    "FC503": """A machine is incomplete or malformed. A basic machine needs δ's signature
`δ: States × Events → States` (two enumerations, the first one also the result) and exactly one
`initial` state. A machine is either basic (δ and its rows) or a composition (components
`c[1..N]: M`, rules, shared variables), never both; components are basic machines; a composition
has no `initial`, `final` or `internal` of its own (its instances have them).""",
    "FC504": """`always`, `eventually`, `next`, `until` and `~>` speak of runs, so they stand only in a
machine property `check name: M ⊨ φ`. A guard (`when …`), an update (`x := …`), an instance
bound, a definition, an assumption and a check without `⊨` need a predicate about one state.""",
    "FC505": """The number of instances of a component, `c[lo..hi]: M`, must be a literal, a named value
(`K := 6`) or a parameter of the machine with bounds (`param N ∈ 1..200`, then `c[1..N]`). An
uninterpreted constant (`K: Int`) could be any integer, so formalc cannot bound the system.""",
    "FC506": """Only the machine's variables (`var x: T = …`) can be assigned, each at most once per step.
A parameter is rigid (the same value in every state of a run), `state` is set by the row's
target, and an undeclared name needs a `var`. Assigning a variable twice in one step (twice
in a `do` list, once directly and once through a named effect, or by two rules on the same
component event) is ambiguous and rejected.""",
    "FC507": """`M ⊨ φ` (ASCII `M models φ`) is a check's whole formula: `check live: M ⊨ φ`, with `M` a
machine declared with `machine M { … }`. It cannot be combined with other formulas
(`(M ⊨ φ) ∧ ψ`: write two checks), used in a definition or assumption, or have something other
than a machine's name on its left.""",
    "FC508": """formalc verifies a composition of N instances by counting how many instances are in each
state instead of tracking each one, so properties speak of `count(c, S)`, not of single
instances. This requires components without variables or parameters. Move the
variables to the composition as shared `var`s, updated by rules such as
`c.start when count(c, Running) < K do mem := mem + 64MiB`.""",
    "FC701": """The objective of a schedule names a cost it does not declare (`minimize 2 × latncy`), or
`peak(…)` names a capacity it does not have. An objective adds the schedule's costs, `peak`,
`peak(c, …)` and `nodes_used`.""",
    "FC702": """A schedule needs exactly one `services s ∈ S` and one `nodes n ∈ N`, and at most one
`replicas: e`. Its capacities, requirements, rules and costs have distinct names, and no cost is
called `peak`, `nodes_used` or `placements`.""",
    "FC703": """A capacity compares the demand of one service with the capacity of one node in one
resource dimension: `capacity memory: s.request.memory ≤ n.resources.memory`. Both sides are
numbers or quantities of the same dimension (memory is not demanded in milliseconds), never whole
tuples.""",
    "FC704": """Each statement of a schedule sees its own variables: the demand of a capacity and the
number of replicas the service `s`; the capacity the node `n`; requirements and costs both;
`near r (a, b)` / `apart r (a, b)` their `a` and `b`; the objective none (it is about the whole
placement — per-placement values belong in a `cost`).""",
    "FC705": """A cost is summed over placements and weighed in the objective, so it is a plain number
without a unit: divide a quantity by a unit, `n.connectivity.latency / 1ms`.""",
    "FC706": """An objective is Σ wᵢ × termᵢ (+ a constant) with constant, non-negative weights made of
literals, named values and `placements`. Not allowed: a product of two terms, a term as a divisor
or inside a condition, a weight with a unit, a weight that comes out negative (to prefer large
values of something, minimise a cost that decreases with it).""",
    "FC707": """`placements` is Σ replicas, a constant of the objective: it stands in a weight only,
multiplying a term (`minimize 4 × placements × peak`).""",
    "FC708": """The number of replicas of every service is a whole number ≥ 0 (`replicas: s.replicas`);
so is the count given to `scale(svc, m)`.""",
    "FC709": """A schedule over an empty service or node set has nothing to place or nowhere to place
it; formalc reports it instead of returning an empty placement.""",
    "FC710": """A schedule is computed from the spec's constants: every value in its sets and
statements needs a definition (`e3 := EdgeNode(…)`), every function a table row for the
arguments met, and its sets are sets of values, not types (`nodes n ∈ {e1, e2}`).""",
    "FC711": """Services and nodes are known by their `name` field: two elements of one set with the
same name could not be told apart in a placement or an explanation.""",
    "FC712": """The schedule properties are `S ⊨ feasible`, `S ⊨ failover(k)`, `S ⊨ scale(svc, m)` and
`S ⊨ placed_by(plan)`, stated with `check` (they are about the schedule as a whole, so not with
`check sat`).""",
    "FC601": """An artifact given to `formalc audit` is not valid JSON or YAML: a syntax error
(e.g. a trailing comma in a `config.json`), a duplicate key, nesting that is too deep, or YAML
aliases that expand too far. The location is where the parser stopped.""",
    "FC602": """A field of an artifact has the wrong type, e.g. `hostPID: "true"` (a string, not a
boolean) in a Kubernetes manifest. formalc does not coerce: write `hostPID: true`.""",
    "FC603": """A warning: an artifact has a field formalc does not know, e.g. `hostNetwrok: true`.
The field is not checked, and the artifact is audited as if it were absent. The hint suggests
the closest known fields.""",
    "FC604": """A seccomp profile names a system call that exists on no architecture, e.g. `wirte`.
A rule for it never matches, so it allows or blocks nothing.""",
    "FC605": """A seccomp profile names an architecture libseccomp does not know. Use libseccomp's
names (`SCMP_ARCH_X86_64`, `SCMP_ARCH_AARCH64`, …), not `amd64` or `SCMP_ARCH_AMD64`.""",
    "FC606": """An unknown Linux capability in a Kubernetes `capabilities` list, an OCI config's
`process.capabilities` or a seccomp entry's `includes.caps`/`excludes.caps`, e.g. `NET_ADMN`.""",
    "FC607": """An artifact lacks a required field, e.g. a seccomp `syscalls` entry without
`names` or `action`, or an argument condition without `index`, `value` or `op`.""",
    "FC608": """A file is not an artifact formalc can import. The kind is told from the top-level
keys: `kind`/`apiVersion` (Kubernetes), `ociVersion` or `process` with `root`/`linux` (OCI
runtime config), `defaultAction` (seccomp profile). Kubernetes objects that are not workloads
(Service, ConfigMap, …) are skipped with a note of this code.""",
    "FC609": """An artifact field has a value outside its allowed set, e.g. the seccomp action
`SCMP_ACT_ALOW`, a Kubernetes `seccompProfile.type: RuntimeDefualt`, an errno above 65535, or
a CPU limit `2 cores` that is not a Kubernetes quantity.""",
}
