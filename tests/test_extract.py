"""`formalc extract`: scanning Markdown, parsing LaTeX, lowering to `.iot`, the skeleton, the CLI.

The seed must extract completely (24 definitions, every display formula parsed, a skeleton
that `formalc check` accepts); documents written here, in English and Chinese, use every
construct the grammar supports; malformed ones must be reported with their line and reason and
never crash; Hypothesis throws random text at the scanner and random formulas at the whole
pipeline.
"""
from __future__ import annotations

import argparse
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formalc
from formalc.extract import Decl, Document, extract, skeleton
from formalc.extract.cli import add_parser, extract_command
from formalc.extract.lexer import LatexError
from formalc.extract.names import ident, reserved_words
from formalc.extract.parse import parse_formula
from formalc.extract.scan import heading_of, label_of, scan
from formalc.extract.terms import show

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "000_ba45f8451dea7433.txt"
if not SEED.exists():  # pragma: no cover - the seed lives next to the repository
    SEED = Path("/work/shared/seed/000_ba45f8451dea7433.txt")

SEED_TITLES = [
    ("1.1", "IoT容器化系统"), ("2.1", "容器"), ("2.2", "隔离模型"), ("2.3", "虚拟化层次"),
    ("2.4", "资源管理"), ("3.1", "容器生命周期"), ("3.2", "容器镜像"), ("3.3", "容器网络"),
    ("4.1", "IoT容器化分层架构"), ("4.2", "IoT容器分类"), ("4.3", "部署模式"),
    ("5.1", "安全威胁"), ("5.2", "虚拟机级容器"), ("5.3", "用户空间内核容器"),
    ("5.4", "安全机制"), ("6.1", "边缘计算"), ("6.2", "边缘容器特性"), ("6.3", "边缘编排"),
    ("7.1", "编排系统"), ("7.2", "调度算法"), ("7.3", "服务发现"), ("8.1", "性能指标"),
    ("8.2", "优化策略"), ("8.3", "监控系统")]


def _loads(doc: Document):
    """The skeleton of ``doc`` as a typed model (raises SpecError when it is not a spec)."""
    return formalc.loads(skeleton(doc), "skeleton.iot")


def _decl(doc: Document, name: str) -> Decl:
    found = [x for x in doc.decls() if x.name == name]
    assert found, f"no declaration {name}: {[x.name for x in doc.decls()]}"
    return found[0]


def _formula(doc: Document, line: int):
    found = [f for f in doc.formulas() if f.line == line]
    assert len(found) == 1, [(f.line, f.latex) for f in doc.formulas()]
    return found[0]


# ------------------------------------------------------------------------------------- seed
@pytest.fixture(scope="module")
def seed() -> Document:
    return extract(SEED.read_text(encoding="utf-8"), "seed.md")


def test_seed_definitions(seed):
    defs = [d for d in seed.definitions if d.kind == "definition"]
    assert [(d.number, d.title) for d in defs] == SEED_TITLES
    assert len(seed.definitions) == 24          # no loose formula, no theorem
    assert seed.problems == ()
    d31 = seed.definition("3.1")
    assert (d31.section, d31.line) == ("3.1 容器生命周期", 98)
    assert [f.line for f in d31.formulas] == [101, 111]


def test_seed_every_formula_parses(seed):
    formulas = seed.formulas()
    assert len(formulas) == 48
    bad = [(f.line, f.status, f.reason) for f in formulas if f.status != "parsed"]
    assert bad == []
    assert all(f.decls for f in formulas)


def test_seed_declarations(seed):
    lifecycle = _decl(seed, "L")
    assert (lifecycle.kind, lifecycle.parts, lifecycle.definition, lifecycle.line) == (
        "tuple", ("States", "Transitions", "Events", "Actions"), "3.1", 101)
    delta = _decl(seed, "δ")
    assert (delta.kind, delta.parts, delta.result, delta.text) == (
        "function", ("States", "Events"), "States", "δ: States × Events → States")
    sec = _decl(seed, "Security_VM")
    assert sec.kind == "predicate" and sec.source == "Security_VM"
    assert sec.text == "Security_VM := HardwareIsolation_d5_2 ∧ KernelIsolation"
    # `HardwareIsolation` is a component type of C_VM (line 207) and an atom here: two names.
    assert _decl(seed, "HardwareIsolation_d5_2").source == "HardwareIsolation"
    iso = _decl(seed, "IsolationLevel")
    assert (iso.kind, iso.text) == ("metric", "IsolationLevel := IsolatedResources / TotalResources")
    obj = _decl(seed, "SchedulingObjective")
    assert (obj.kind, obj.result) == ("objective", "min")
    assert "Σ i: Index • (w(i) × Cost(i))" in obj.text
    assert _decl(seed, "w").text == "w: Index → Real"
    iot = _decl(seed, "C_IoT")
    assert iot.kind == "enum"
    assert iot.parts == ("C_Device", "C_Gateway", "C_Edge", "C_Cloud", "C_Analytics")
    assert _decl(seed, "OptimizeImage").text == "OptimizeImage: image → optimized_image"
    assert _decl(seed, "Connect").parts == ("container", "container", "network")
    assert _decl(seed, "R").parts == ("CPU", "Memory", "Storage", "Network", "I_O")
    assert _decl(seed, "f").text == "f: Resources × Workload × Configuration → Performance"
    # Reused names are suffixed with the definition that reuses them.
    assert _decl(seed, "C_d2_1").source == "C"
    again = _decl(seed, "ImageOptimization_d8_2")
    assert (again.kind, again.source) == ("tuple", "ImageOptimization")


def test_seed_skeleton_is_a_valid_spec(seed):
    text = skeleton(seed)
    assert "@def 3.1\nL = (States, Transitions, Events, Actions)" in text
    assert "// line 111: \\delta: States \\times Events \\rightarrow States" in text
    spec = formalc.loads(text, "seed-skeleton.iot")
    report = formalc.check(spec)
    assert not [d for d in report.diagnostics if d.is_error]
    assert report.results == []                # no vacuous checks
    assert spec.types["L"].annotations.defs == ("3.1",)


# ------------------------------------------------------------------------------ LaTeX parsing
@pytest.mark.parametrize("latex, shown", [
    (r"\mathcal{L} = (States, Events)", "L = (States, Events)"),
    (r"\mathcal{C}_{IoT} = \{C_{Device}, C_{Edge}\}", "C_{IoT} = \\{C_{Device}, C_{Edge}\\}"),
    (r"\delta: States \times Events \rightarrow States", "(δ : ((States × Events) → States))"),
    (r"f: A \to \mathbb{R}", "(f : (A → ℝ))"),
    (r"S = A \land \neg B \lor C \Rightarrow D", "S = (((A ∧ ¬B) ∨ C) ⇒ D)"),
    (r"X = \frac{a}{b} + \frac{1}{2}", "X = (\\frac{a}{b} + \\frac{1}{2})"),
    (r"O = \min(\sum_{i=1}^{n} w_i \times c_i)", "O = min (Σ_{(i = 1)}^{n} (w_{i} × c_{i}))"),
    (r"M = \max_{x \in S} f(x)", "M = max_{(x ∈ S)} f(x)"),
    (r"OptimizeImage(image) = optimized\_image", "OptimizeImage(image) = optimized_image"),
    (r"\forall x \in S: P(x) \Rightarrow \exists y \in T. Q(x, y)",
     "∀ (x ∈ S) • (P(x) ⇒ ∃ (y ∈ T) • Q(x, y))"),
    (r"\forall x, y \in S, R(x, y)", "∀ x, (y ∈ S) • R(x, y)"),
    (r"A \subseteq B", "(A ⊆ B)"),
    (r"x \notin S", "(x ∉ S)"),
    (r"\left( a + b \right) \cdot c", "((a + b)) · c)".replace("((a + b)) · c)", "(((a + b)) · c)")),
    (r"T = \text{Total}\,\quad + 1", "T = (\\text{Total} + 1)"),
    (r"|S| \leq 2", "(|S| ≤ 2)"),
    (r"\{x \in S \mid x > 0\}", "\\{((x ∈ S) | (x > 0))\\}"),
    (r"2x + y", "(2 x + y)"),
    (r"\hat{x}' = x^2", "\\hat{x}' = x^{2}"),
    (r"a = 1, \quad b = 2", "a = 1 ;; b = 2"),
    (r"x \in \mathbb{R}", "(x ∈ ℝ)"),
    (r"p = \langle a, b \rangle", "p = ⟨a, b⟩"),
    (r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
     "f(x) = cases(1 if (x > 0); 0 if \\text{otherwise})"),
    (r"\begin{aligned} a &= 1 \\ b &= 2 \end{aligned}", "a = 1 ;; b = 2"),
    (r"R = (CPU, I/O)", "R = (CPU, (I / O))"),
    ("x ∧ y ⇒ z", "((x ∧ y) ⇒ z)"),
    (r"\sum_{s \in S} \lceil d(s) \rceil", "Σ_{(s ∈ S)} ⌈d(s)⌉"),
])
def test_latex_parses(latex, shown):
    assert " ;; ".join(show(t) for t in parse_formula(latex)) == shown


@pytest.mark.parametrize("latex, message, pos", [
    (r"X = \frac{a}{b", "unbalanced brackets: `{` is never closed", 12),
    (r"X = (a, b]", "unbalanced brackets: `(` is closed by `]`", 4),
    (r"X = a)", "unbalanced brackets: `)` closes nothing", 5),
    (r"X = \foo{x}", "unknown macro `\\foo`", 4),
    (r"\begin{tikzpicture} x \end{tikzpicture}", "unknown environment `tikzpicture`", 0),
    (r"X = |a", "`|` opened here is never closed", 4),
    (r"X = a \land", "`∧` has nothing on its right", 6),
    (r"X = $a$", "a `$` inside a display formula", 4),
    ("(" * 100 + ")" * 100, "brackets nested deeper than 60", 60),
])
def test_latex_errors(latex, message, pos):
    with pytest.raises(LatexError) as e:
        parse_formula(latex)
    assert (e.value.message, e.value.pos) == (message, pos)


def test_names():
    assert ident("Security_{VM}") == "Security_VM"
    assert ident("set") == "set_" and ident("check") == "check_" and ident("true") == "true_"
    assert ident("3D") == "n3D"
    assert {"check", "machine", "forall", "minimize", "true"} <= reserved_words()


# --------------------------------------------------------------------------- own documents
ENGLISH = r"""# An analysis of edge schedulers

## 1. Model

**Definition 1.1** (Node)
A node is
$$Node = (location: Location, cpu: \mathbb{R}, Tags)$$
with states
$$States = \{Idle, Busy, Failed\}$$

**Definition 1.2 (Transition function).**
$$\delta: States \times Events \to States$$
$$\tau : Node \rightarrow \mathcal{P}(Tags)$$

**Definition 1.3** (Security)
$$Secure = \neg Exposed \land (Isolated \lor Sandboxed) \Rightarrow Trusted$$
$$Safe = \forall n \in Node: Healthy(n) \Rightarrow \exists t \in Tags: Labelled(n, t)$$
$$Placed = \forall n \in Node: n \in Active \land Active \subseteq Known$$

**Definition 1.4** (Metrics)
$$Utilisation = \frac{Used_{cpu}}{Capacity_{cpu}} \times 100$$
$$Score = 0.4 \cdot Latency + 0.6 \cdot \left( 1 - \frac{a}{b} \right)$$
$$Load = \sum_{s \in Services} demand(s)$$
$$Penalty = \begin{cases} 1 & \text{if } Load > Capacity_{cpu} \\ 0 & \text{otherwise} \end{cases}$$

**Definition 1.5** (Objective)
$$Plan = \arg\min_{p \in Placements} cost(p)$$
$$Best = \max(\sum_{i=1}^{n} w_i x_i)$$

**Theorem 1.1** (Safety)
$$\forall n \in Node: Safe$$

**Lemma 1.2**
$$u \in \mathbb{R}, \quad y, z \in Node$$

## 2. Loose

\[ Total = Load + Penalty \]

**Definition 2.1** (Shape)
$$Build(layers, config) = image$$
$$Performance = g(Resources, Workload)$$
$$Weights = \{1, 2, 3\}$$
$$Busy2 = \{Idle, Busy\}$$
"""


@pytest.fixture(scope="module")
def english() -> Document:
    return extract(ENGLISH, "en.md")


def test_english_blocks(english):
    got = [(d.number, d.kind, d.title, d.section, d.line) for d in english.definitions]
    assert got == [
        ("1.1", "definition", "Node", "1. Model", 5),
        ("1.2", "definition", "Transition function", "1. Model", 11),
        ("1.3", "definition", "Security", "1. Model", 15),
        ("1.4", "definition", "Metrics", "1. Model", 20),
        ("1.5", "definition", "Objective", "1. Model", 26),
        ("1.1", "theorem", "Safety", "1. Model", 30),
        ("1.2", "lemma", "", "1. Model", 33),
        (None, "formula", "", "2. Loose", 38),
        ("2.1", "definition", "Shape", "2. Loose", 40)]


def test_english_lowering(english):
    assert [f.line for f in english.formulas() if f.status != "parsed"] == [31]
    theorem = _formula(english, 31)
    assert theorem.status == "partial" and "no name to define" in theorem.reason
    assert _decl(english, "Node").text == "Node = (location: Location, cpu: Real, Tags)"
    assert _decl(english, "Node").parts == ("location", "cpu", "Tags")
    assert _decl(english, "States").kind == "enum"
    assert _decl(english, "τ").text == "τ: Node → set Tags"
    assert _decl(english, "Secure").text == "Secure := (¬Exposed ∧ (Isolated ∨ Sandboxed)) ⇒ Trusted"
    assert _decl(english, "Secure").parts == ("Exposed", "Isolated", "Sandboxed", "Trusted")
    assert _decl(english, "Healthy").kind == "relation"
    assert _decl(english, "Labelled").parts == ("Node", "Tags")
    assert _decl(english, "Safe").text == \
        "Safe := ∀ n: Node • (Healthy(n) ⇒ (∃ t: Tags • Labelled(n, t)))"
    assert _decl(english, "Active").text == "Active: set Node"
    assert _decl(english, "Placed").text == \
        "Placed := ∀ n: Node • ((n ∈ Active) ∧ (Active ⊆ Known))"
    assert _decl(english, "Utilisation").text == "Utilisation := (Used_cpu / Capacity_cpu) × 100"
    assert _decl(english, "Load").text == "Load := Σ s: Services • demand(s)"
    assert _decl(english, "Penalty").text == "Penalty := if (Load > Capacity_cpu) then 1 else 0"
    plan = _decl(english, "Plan")
    assert (plan.kind, plan.result, plan.text) == ("objective", "min",
                                                   "Plan(p: Placements) := cost(p)")
    assert _decl(english, "Best").result == "max"
    assert _decl(english, "u").text == "u: Real"
    assert _decl(english, "y").text == "y: Node"       # `y, z ∈ Node`: y takes z's domain
    theorem_tagged = next(x for x in english.decls() if x.name == "u")
    assert theorem_tagged.definition == "lemma 1.2"
    assert _decl(english, "Total").definition is None   # a loose formula: no tag
    assert _decl(english, "Build").text == "Build: layers × config → image"
    assert _decl(english, "g").text == "g: Resources × Workload → Performance"
    assert _decl(english, "Weights").text == "Weights := {1, 2, 3}"
    subset = _decl(english, "Busy2")
    assert (subset.kind, subset.result) == ("enum", "States")   # a subset of States


def test_english_skeleton_loads(english):
    text = skeleton(english)
    assert '@def "lemma 1.2"\nu: Real' in text
    assert "// line 31: \\forall n \\in Node: Safe\n// not lowered: " in text
    spec = _loads(english)
    # The typed model: the same one the .iot front end produces.
    assert spec.definitions["Secure"].annotations.defs == ("1.3",)
    assert set(spec.functions) >= {"δ", "τ", "Healthy", "Labelled", "demand", "cost", "Build"}
    assert spec.types["Node"].annotations.defs == ("1.1",)


CHINESE = r"""# 边缘调度的形式化分析

## 1. 基本模型

**定义 1.1**（边缘节点）
边缘节点 $\mathcal{N}$ 表示为：

$$
\mathcal{N} = (Location, CPU_{limit},
               Memory_{limit})
$$

<!--
$$ 注释中的公式 $$
-->

<pre>
$$ 预格式化 $$
</pre>

~~~python
x = "$$not math$$"
~~~

```
$$ 代码 $$
```

内联代码 `$$x$$` 不是公式。

**定义 1.2** (节点状态)
\[ NodeStates = \{Online, Offline, Draining\} \]

\begin{equation}
\phi: NodeStates \times Events \to NodeStates
\end{equation}

**定理 1.1** (安全性)
$$\forall n \in \mathcal{N}: 可信(n) \Rightarrow \neg 暴露(n)$$

**引理 1.2** (辅助)
$$安全 = 隔离 \land 加密$$

**定义 1.3** (未闭合)
$$Broken = (a, b)

后面的文字。

$$Fine = \frac{a}{c}$$
$$Bad = \frac{a}{c$$
$$Odd = \foo{a}$$
$$Builder = \{x \in S \mid x > 0\}$$

设置标题
--------

$$ Loose = x + y $$
$$Never = closed
"""


@pytest.fixture(scope="module")
def chinese() -> Document:
    return extract(CHINESE, "zh.md")


def test_chinese_blocks(chinese):
    got = [(d.number, d.kind, d.title, d.section, d.line, [f.line for f in d.formulas])
           for d in chinese.definitions]
    assert got == [
        ("1.1", "definition", "边缘节点", "1. 基本模型", 5, [8]),
        ("1.2", "definition", "节点状态", "1. 基本模型", 31, [32, 34]),
        ("1.1", "theorem", "安全性", "1. 基本模型", 38, [39]),
        ("1.2", "lemma", "辅助", "1. 基本模型", 41, [42]),
        ("1.3", "definition", "未闭合", "1. 基本模型", 44, [45, 49, 50, 51, 52]),
        (None, "formula", "", "设置标题", 57, [57]),
        (None, "formula", "", "设置标题", 58, [58])]


def test_chinese_statuses_and_reasons(chinese):
    got = {f.line: (f.status, f.reason) for f in chinese.formulas()}
    assert got[8] == ("parsed", None)                  # spread over three lines
    assert _decl(chinese, "N").parts == ("Location", "CPU_limit", "Memory_limit")
    assert got[32] == ("parsed", None) and got[34] == ("parsed", None)
    assert _decl(chinese, "φ").text == "φ: NodeStates × Events → NodeStates"
    assert got[39][0] == "partial"
    assert got[42] == ("parsed", None)
    assert _decl(chinese, "安全").text == "安全 := 隔离 ∧ 加密"
    assert got[45] == ("unparsed", ("`$$` opened here is never closed (no `$$` before a "
                                    "blank line on line 46)"))
    assert got[49] == ("parsed", None)
    assert got[50] == ("unparsed", "unbalanced brackets: `{` is never closed (line 50, column 17)")
    assert got[51] == ("unparsed", "unknown macro `\\foo` (line 51, column 9)")
    assert got[52] == ("partial", "a set given by a condition")
    assert got[58][0] == "unparsed" and "before the end of the document" in got[58][1]
    assert chinese.problems == (
        (45, "`$$` opened here is never closed (no `$$` before a blank line on line 46)"),
        (58, "`$$` opened here is never closed (no `$$` before the end of the document)"))
    # Nothing from the comment, the <pre> block, the fences or the inline code.
    assert not any("注释" in f.latex or "预格式化" in f.latex or "代码" in f.latex or
                   "not math" in f.latex or f.latex == "x" for f in chinese.formulas())


def test_chinese_skeleton_keeps_everything(chinese):
    text = skeleton(chinese)
    assert "// line 51: Odd = \\foo{a}\n// not parsed: unknown macro `\\foo` (line 51, column 9)" \
        in text
    assert "// problem at line 45:" in text
    assert "@def 1.1\nN = (Location, CPU_limit, Memory_limit)" in text
    assert '@def "lemma 1.2"' in text
    _loads(chinese)


# ------------------------------------------------------------------------------- scanning
@pytest.mark.parametrize("line, label", [
    ("**定义 3.1** (容器生命周期)", ("definition", "3.1", "容器生命周期")),
    ("**定义 3.1**（容器生命周期）", ("definition", "3.1", "容器生命周期")),
    ("**定义3.1**(紧凑)", ("definition", "3.1", "紧凑")),
    ("**Definition 2.4** (Resource management)", ("definition", "2.4", "Resource management")),
    ("**Definition 2.4 (Resource management).** A resource…",
     ("definition", "2.4", "Resource management")),
    ("**Theorem 5** (Safety (strong))", ("theorem", "5", "Safety (strong)")),
    ("**引理 2.1.3**", ("lemma", "2.1.3", "")),
    ("**推论 1.2** (推论)", ("theorem", "1.2", "推论")),
    ("> **Lemma 1.1** (Quoted)", ("lemma", "1.1", "Quoted")),
    ("- **Axiom 1** (Listed)", ("definition", "1", "Listed")),
])
def test_labels(line, label):
    assert label_of(line) == label


@pytest.mark.parametrize("line", ["见**定义 3.1**。", "**状态转换函数**：", "定义 3.1", "**定义**"])
def test_not_labels(line):
    assert label_of(line) is None


def test_headings_and_delimiters():
    assert heading_of("### 3.1 容器生命周期 ###") == "3.1 容器生命周期"
    assert heading_of("#hashtag") is None or heading_of("#hashtag") == "hashtag"
    text = ("$$a = 1$$ and $$b = 2$$\n"
            "$$c\n= 3$$ trailing $$d = 4$$\n"
            r"money \$\$ is not math" "\n"
            "````\n```\n$$ inside a longer fence $$\n```\n````\n"
            "<script>\n$$ script $$\n</script>\n"
            "`` $$ inline code with ` inside $$ ``\n"
            "<!-- one --> $$e = 5$$ <!-- two\n$$ hidden $$\n-->\n$$f = 6$$\n")
    r = scan(text)
    got = [(f.line, f.latex) for b in r.blocks for f in b.formulas]
    assert got == [(1, "a = 1"), (1, "b = 2"), (2, "c\n= 3"), (3, "d = 4"), (14, "e = 5"),
                   (17, "f = 6")]
    assert r.problems == []


def test_unclosed_delimiters_resume():
    r = scan("$$a = (1\n\n$$b = 2$$\n\\[ c = 3\n## heading\n\\begin{align} d \\end{align}\n")
    assert r.problems == [
        (1, "`$$` opened here is never closed (no `$$` before a blank line on line 2)"),
        (4, "`\\[` opened here is never closed (no `\\]` before a heading on line 5)")]
    got = [(f.line, f.latex, f.error is None) for b in r.blocks for f in b.formulas]
    assert got == [(1, "a = (1", False), (3, "b = 2", True), (4, "c = 3", False),
                   (6, "d", True)]


# --------------------------------------------------------------------------------- the CLI
def _run(*argv: str) -> tuple[int, str, str]:
    p = argparse.ArgumentParser(prog="formalc")
    add_parser(p.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = extract_command(p.parse_args(["extract", *argv]))
    return code, out.getvalue(), err.getvalue()


def test_cli_seed(tmp_path):
    out_file = tmp_path / "seed.iot"
    code, out, err = _run(str(SEED), "-o", str(out_file))
    assert code == 0
    assert out.splitlines()[0].split() == ["def", "title", "line", "parsed/partial/unparsed",
                                           "declarations"]
    row = next(x for x in out.splitlines() if x.startswith("3.1 "))
    assert row.split() == ["3.1", "容器生命周期", "98", "2/0/0", "L,", "δ"]
    assert err == "24 definitions, 48 formulas: 48 parsed, 0 partial, 0 unparsed\n"
    assert formalc.load(out_file).types["L"].annotations.defs == ("3.1",)


def test_cli_json(tmp_path):
    doc = tmp_path / "zh.md"
    doc.write_text(CHINESE, encoding="utf-8")
    code, out, _ = _run(str(doc), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["format"] == "formalc-extract"
    assert data["summary"] == {"definitions": 5, "formulas": 12, "parsed": 6, "partial": 2,
                               "unparsed": 4}
    f = data["definitions"][4]["formulas"][2]
    assert (f["line"], f["status"], f["reason"]) == (
        50, "unparsed", "unbalanced brackets: `{` is never closed (line 50, column 17)")
    assert data["definitions"][0]["formulas"][0]["decls"][0]["text"] == \
        "N = (Location, CPU_limit, Memory_limit)"
    assert data["problems"][0] == {"line": 45, "message": "`$$` opened here is never closed "
                                                         "(no `$$` before a blank line on line 46)"}


def test_cli_text_lists_what_did_not_parse(tmp_path):
    doc = tmp_path / "zh.md"
    doc.write_text(CHINESE, encoding="utf-8")
    code, out, _ = _run(str(doc), "-o", "-")
    assert code == 1
    assert "// Skeleton extracted by `formalc extract`" in out      # -o -: skeleton on stdout


def test_cli_unreadable(tmp_path):
    assert _run(str(tmp_path / "missing.md"))[0] == 2
    assert _run(str(tmp_path))[0] == 2
    latin = tmp_path / "latin.md"
    latin.write_bytes("d\xe9finition $$x$$".encode("latin-1"))
    code, out, err = _run(str(latin))
    assert code == 2 and "not UTF-8" in err and out == ""
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\0\1\2$$")
    assert _run(str(binary))[0] == 2


# ------------------------------------------------------------------------------- fuzzing
_PIECES = st.sampled_from(["$$", "$", "\\[", "\\]", "```", "~~~", "`", "<!--", "-->", "<pre>",
                           "</pre>", "\n", "\n\n", "# ", "## 标题\n", "**定义 1.1** (t)\n",
                           "**Theorem 2** (x)\n", "---\n", "\\begin{equation}",
                           "\\end{equation}", "\\frac{", "}", "{", "(", ")", "x = ", "\\land",
                           "a_{i}", "\\{", "\\}", "|", "&", "\\\\", " ", "中文", "\r\n", "\\"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(_PIECES, max_size=60).map("".join)))
def test_fuzz_scanner_and_extract_never_raise(text):
    r = scan(text)
    n_lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for b in r.blocks:
        for f in b.formulas:
            assert 1 <= f.line <= n_lines
    for line, _ in r.problems:
        assert 1 <= line <= n_lines
    doc = extract(text)
    for f in doc.formulas():
        assert f.status in ("parsed", "partial", "unparsed")
        assert (f.reason is None) == (f.status == "parsed")


_NAMES = st.sampled_from(["A", "B", "x", "S", "f", "Node", "set", "check", "Int", "Real", "CPU",
                          "\\delta", "\\mathcal{C}", "C_{1}", "w_i", "\\mathbb{R}", "Index",
                          "i", "true", "1", "2.5"])
_TOKENS = st.one_of(_NAMES, st.sampled_from(
    ["=", "\\land", "\\lor", "\\Rightarrow", "\\neg", "\\times", "\\rightarrow", "\\in", "+",
     "/", ":", ",", "\\frac{A}{B}", "\\sum_{i}", "\\sum_{i \\in S}", "\\min", "\\forall",
     "\\exists", "|", "(", ")", "\\{", "\\}", "\\ldots", "^2", "\\leq"]))


@st.composite
def _formulas_st(draw):
    n = draw(_NAMES)
    shape = draw(st.integers(0, 5))
    names = draw(st.lists(_NAMES, min_size=1, max_size=4))
    if shape == 0:
        return f"{n} = ({', '.join(names)})"
    if shape == 1:
        return f"{n} = \\{{{', '.join(names)}\\}}"
    if shape == 2:
        return n + ": " + " \\times ".join(names) + " \\rightarrow " + draw(_NAMES)
    if shape == 3:
        return f"{n}({', '.join(names)}) = {draw(_NAMES)}"
    return f"{n} = " + " ".join(draw(st.lists(_TOKENS, min_size=1, max_size=8)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_formulas_st(), min_size=1, max_size=8))
def test_fuzz_skeleton_is_always_a_spec(formulas):
    text = "\n".join(f"**定义 {i // 2}.{i % 2 + 1}** (t)\n$${f}$$\n"
                     for i, f in enumerate(formulas))
    _loads(extract(text))          # raises SpecError (a failure) when it is not a valid spec


def test_nested_powers_stay_small():
    # x^2 is written out as x × x: nested powers must not grow the text exponentially
    x = "x"
    for _ in range(22):
        x = "{" + x + "^2}"
    doc = extract("**Definition 1.1** (P)\n\n$$Pow = " + x + "$$\n", "p.md")
    f, = doc.definitions[0].formulas
    assert f.status == "partial" and "too large to expand" in f.reason
