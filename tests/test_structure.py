"""The house's structure: imports run one way along the data flow (DESIGN.md section 2).

Layers, from the kernel up. A module may import modules of its own layer or below, never
above; the web and command-line modules (``routes``, ``forms``, ``commands``, ``cli``,
``views``, ``demo``) may import every area, but never another area's routes. Only imports
at module level count as edges: an import inside a function is allowed only to break a
real cycle, and must say so in a comment.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from consult import ROOT

PACKAGE = ROOT / "consult"
KERNEL = ("consult", "consult.config", "consult.db", "consult.models", "consult.core",
          "consult.audit", "consult.extensions", "consult.i18n", "consult.security",
          "consult.cache", "consult.delivery", "consult.ratelimit", "consult.forms",
          "consult.translations",
          "consult.accounts.auth", "consult.accounts.services", "consult.accounts.navigation")
# Areas in the order data flows through them; each may import those before it.
# consult.mail.outbox (queue and cancel) sits below the comments that call it; the rest of
# consult.mail reads comments.public and is called by synthesis and publication.
AREAS = ("consult.drafts", "consult.mail.outbox", "consult.comments", "consult.mail",
         "consult.hearings", "consult.intake", "consult.synthesis", "consult.publication")
WEB = ("routes", "forms", "commands")
TOP = ("consult.cli", "consult.demo", "consult.views", "consult.accounts.routes",
       "consult.accounts.forms", "consult.settings")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(name: str, node: ast.ImportFrom, package: str, known: set[str]) -> list[str]:
    if node.level:
        base = package.split(".")
        base = base[:len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    targets = []
    for alias in node.names:
        candidate = f"{prefix}.{alias.name}"
        targets.append(candidate if candidate in known else prefix)
    return targets


def edges() -> dict[str, set[str]]:
    """Module -> consult modules it imports at module level."""
    found = modules()
    known = set(found)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                targets.update(t for t in resolve(name, node, package, known)
                               if t.startswith("consult"))
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("consult"))
        graph[name] = {t for t in targets if t != name}
    return graph


def layer(name: str) -> float:
    """Where a module stands: kernel 0, areas 1..n in data-flow order, web and CLI on top."""
    last = name.rsplit(".", 1)[-1]
    if name in TOP or any(name.startswith(top + ".") for top in TOP) or (
            last in WEB and name.count(".") >= 2):
        return 100
    for index, area in enumerate(AREAS, start=1):
        if name == area or name.startswith(area + "."):
            return index
    if any(name == k or name.startswith(k + ".") for k in KERNEL):
        return 0
    raise AssertionError(f"{name} belongs to no layer: place it in tests/test_structure.py")


def test_every_module_has_a_layer():
    for name in modules():
        layer(name)


def test_imports_run_one_way():
    wrong = []
    for name, targets in edges().items():
        for target in targets:
            if target == "consult":
                continue  # the package itself (ROOT, create_app), which imports no area
            if layer(target) > layer(name):
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_blueprint_imports_another_areas_routes():
    wrong = []
    for name, targets in edges().items():
        area = ".".join(name.split(".")[:2])
        for target in targets:
            if target.endswith(".routes") and not target.startswith(area + "."):
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_import_cycle():
    graph = edges()
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_imports_inside_functions_say_which_cycle_they_break():
    unexplained = []
    for name, path in modules().items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        before = " ".join(lines[node.lineno - 1:inner.lineno])
                        if "cycle" not in before:
                            unexplained.append(f"{name}:{inner.lineno}")
    assert unexplained == []


@pytest.mark.parametrize("rule, home", [
    ("who may see a name", "consult/comments/public.py"),
    ("what a channel is", "consult/core/vocab.py"),
    ("which languages exist", "consult/core/languages.py"),
    ("when a cached page changes", "consult/cache.py"),
])
def test_each_rule_has_its_one_home(rule, home):
    assert (ROOT / home).exists(), rule
