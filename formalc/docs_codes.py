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
}
