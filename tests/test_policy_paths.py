"""Path rules with globs (formalc.policy.paths), decided with Z3 regular expressions."""
import pytest

from formalc.diagnostics import SpecError
from formalc.policy.paths import (
    Policy,
    access,
    compile_glob,
    conflicts,
    exists_access,
    overlap,
    parse_policy,
    parse_rules,
    shadowed,
)

PROC = """
# a container profile
deny  /proc/** r
allow /proc/self/status r
allow /tmp/** rw
deny  /proc/sys/** w
allow /proc/sys/kernel/* w   # shadowed by the deny above
"""


def test_deny_takes_precedence_regardless_of_order():
    p = parse_policy(PROC)
    r = access(p, "/proc/self/status", "r")
    assert r.allowed is False and r.allowed_by == (1,) and r.denied_by == (0,)
    # the same rules in first-match mode: the first matching rule decides
    assert access(parse_policy(PROC, mode="first-match"), "/proc/self/status", "r").allowed is False
    flipped = "allow /proc/self/status r\ndeny /proc/** r"
    assert access(parse_policy(flipped, mode="first-match"), "/proc/self/status", "r").allowed
    assert not access(parse_policy(flipped), "/proc/self/status", "r").allowed


def test_star_stays_within_one_component():
    # `deny /proc/* r` does not reach /proc/self/status: it is readable
    p = parse_policy("deny /proc/* r\nallow /proc/self/status r")
    assert access(p, "/proc/self/status", "r").allowed
    assert not access(p, "/proc/cpuinfo", "r").allowed  # denied (and never allowed)
    assert access(parse_policy("allow /tmp/** rw"), "/tmp/a/b/c", "w").allowed
    assert not access(parse_policy("allow /tmp/** rw"), "/tmp", "w").allowed


@pytest.mark.parametrize("glob,yes,no", [
    ("/proc/*", ["/proc/1", "/proc/self"], ["/proc/", "/proc/self/status", "/proc"]),
    ("/tmp/**", ["/tmp/a", "/tmp/a/b/c"], ["/tmp/", "/tmp//x", "/tmpx"]),
    ("/a/*.png", ["/a/x.png", "/a/.png"], ["/a/b/x.png"]),
    ("/a/?", ["/a/b"], ["/a/", "/a/bc", "/a//"]),
    ("/{usr,www}/pages/**", ["/usr/pages/x", "/www/pages/y/z"], ["/opt/pages/x"]),
    ("/home[01]/*/.plan", ["/home0/u/.plan", "/home1/v/.plan"], ["/home2/u/.plan"]),
    ("/dev/tty[^0-9]", ["/dev/ttyS", "/dev/tty/"], ["/dev/tty1"]),
])
def test_glob_semantics(glob, yes, no):
    import z3
    c = z3.Context()
    r = compile_glob(glob, c)
    for path, want in [(x, True) for x in yes] + [(x, False) for x in no]:
        s = z3.Solver(ctx=c)
        s.add(z3.InRe(z3.StringVal(path, c), r))
        assert (s.check() == z3.sat) is want, (glob, path)


def test_overlap_witnesses():
    p = parse_policy("allow /var/log/*.log r\nallow /var/*/app.* r\nallow /etc/** r")
    w = overlap(p, 0, 1).witness
    assert w is not None and w.startswith("/var/log/app.") and w.endswith(".log")
    assert overlap(p, 0, 2).witness is None  # proved disjoint
    # the witness matches both rules
    for i in (0, 1):
        assert access(Policy([p.rules[i]]), w, "r").allowed


def test_shadowed_rule_proved_by_unsat():
    p = parse_policy(PROC)
    assert [(s.rule, s.perm, s.by) for s in shadowed(p)] == [(1, "r", (0,)), (4, "w", (3,))]
    fm = parse_policy("allow /a/** r\nallow /a/b/* r\ndeny /a/b/c r\nallow /b/* r", mode="first-match")
    assert [(s.rule, s.by) for s in shadowed(fm)] == [(1, (0,)), (2, (1,))]  # a minimal cover (unsat core)


def test_conflicts_with_witness():
    p = parse_policy(PROC)
    got = conflicts(p)
    assert [(c.allow, c.deny, c.perm) for c in got] == [(1, 0, "r"), (4, 3, "w")]
    assert got[0].witness == "/proc/self/status"
    assert got[1].witness.startswith("/proc/sys/kernel/")


def test_is_anything_under_proc_writable():
    p = parse_policy(PROC)
    assert exists_access(p, "/proc/**", "w").verdict == "no"  # an unsat proof
    q = parse_policy(PROC + "allow /proc/self/** w\n")
    e = exists_access(q, "/proc/**", "w")
    assert e.verdict == "yes" and e.witness.startswith("/proc/self/")
    assert access(q, e.witness, "w").allowed


def test_bad_rule_lines_have_codes_and_positions():
    text = ("allow /tmp/** rq\n"          # 1: FC609 at the `q`
            "permit /x r\n"               # 2: FC601
            "deny /x{a} r\n"              # 3: FC601, one alternative
            "  allow /a/[b r\n"           # 4: FC601, unclosed class
            "allow relative r\n"          # 5: FC601, not absolute
            "# fine\n\nallow /ok rw,\n")  # 8: a rule, AppArmor's trailing comma allowed
    diags, rules = parse_rules(text, "p.rules")
    got = [(d.code, d.span.line, d.span.column) for d in diags]
    assert got == [("FC609", 1, 16), ("FC601", 2, 1), ("FC601", 3, 8), ("FC601", 4, 12),
                   ("FC601", 5, 7)]
    assert [(r.action, r.glob, r.perms, r.line) for r in rules] == [("allow", "/ok", "rw", 8)]
    with pytest.raises(SpecError):
        parse_policy(text)
