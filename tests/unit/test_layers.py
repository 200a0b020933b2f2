"""The dependency rules between the packages (the table below), checked by walking every
import (ast); and the facade rule: the adapters (Radicale plugins, portal, CLI) use only methods
of the one service object, bridge.api.Bridge — never its services (`bridge.store`, `.admin`,
`.onboarding`, …) — checked by walking every attribute they read on it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from bridge.api import Bridge

ROOT = Path(__file__).parents[2]

# package prefix -> bridge/radicale_plugins modules it may import (prefix match)
ALLOWED: dict[str, tuple[str, ...]] = {
    # adapters: the facade, plus pure vCard helpers for rendering
    "radicale_plugins": ("bridge.api", "bridge.contacts", "radicale_plugins"),
    "bridge.model": (),
    "bridge.errors": ("bridge.plainwords",),
    "bridge.plainwords": (),
    "bridge.logs": (),
    "bridge.files": (),
    "bridge.settings": ("bridge.errors",),
    "bridge.secrets": ("bridge.files", "bridge.errors"),
    "bridge.ical": ("bridge.ical", "bridge.model", "bridge.errors"),
    "bridge.joinlinks": ("bridge.joinlinks", "bridge.model", "bridge.errors"),
    "bridge.contacts": ("bridge.contacts", "bridge.model", "bridge.errors"),
    "bridge.store": ("bridge.store", "bridge.files", "bridge.model", "bridge.errors"),
    # the provider registry: a table; kits (and the provider packages) load on first use
    "bridge.accounts.registry": (
        "bridge.accounts.kit",
        "bridge.accounts.kits",
        "bridge.store",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.accounts.kit": ("bridge.accounts.apps", "bridge.providers.base", "bridge.store"),
    "bridge.accounts": (
        "bridge.accounts",
        "bridge.connections",
        "bridge.statuses",
        "bridge.providers",
        "bridge.store",
        "bridge.secrets",
        "bridge.settings",
        "bridge.policy",
        "bridge.sync",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.providers": (
        "bridge.providers",
        "bridge.ical",
        "bridge.model",
        "bridge.errors",
        "bridge.plainwords",
    ),
    "bridge.sandbox": ("bridge.sandbox", "bridge.model"),
    "bridge.sync": (
        "bridge.sync",
        "bridge.accounts.registry",
        "bridge.contacts",
        "bridge.store",
        "bridge.providers.base",
        "bridge.ical",
        "bridge.joinlinks",
        "bridge.model",
        "bridge.errors",
        "bridge.settings",
    ),
    "bridge.connections": (
        "bridge.accounts",
        "bridge.providers",
        "bridge.store",
        "bridge.secrets",
        "bridge.settings",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.policy": ("bridge.errors",),
    "bridge.throttle": ("bridge.errors",),
    "bridge.dav_logins": ("bridge.throttle", "bridge.errors"),
    "bridge.http_linger": (),
    "bridge.administration": (
        "bridge.policy",
        "bridge.throttle",
        "bridge.store",
        "bridge.secrets",
        "bridge.settings",
        "bridge.errors",
    ),
    "bridge.statuses": (
        "bridge.accounts.registry",
        "bridge.store",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.managed": (
        "bridge.connections",
        "bridge.model",
        "bridge.statuses",
        "bridge.policy",
        "bridge.store",
        "bridge.errors",
    ),
    "bridge.onboarding": (
        "bridge.accounts",
        "bridge.managed",
        "bridge.connections",
        "bridge.statuses",
        "bridge.policy",
        "bridge.store",
        "bridge.sync",
        "bridge.settings",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.signin": ("bridge.providers", "bridge.settings", "bridge.errors"),
    # the web portal reaches the bridge only through its facade (bridge.api is its facade)
    "bridge.portal": ("bridge.api", "bridge.portal"),
    "bridge.facade": (
        "bridge.administration",
        "bridge.dav_logins",
        "bridge.policy",
        "bridge.signin",
        "bridge.connections",
        "bridge.onboarding",
        "bridge.store",
        "bridge.settings",
        "bridge.model",
    ),
    "bridge.api": (
        "bridge.facade",
        "bridge.files",
        "bridge.administration",
        "bridge.dav_logins",
        "bridge.onboarding",
        "bridge.policy",
        "bridge.signin",
        "bridge.contacts",
        "bridge.connections",
        "bridge.sync",
        "bridge.store",
        "bridge.secrets",
        "bridge.settings",
        "bridge.model",
        "bridge.errors",
    ),
    # composition roots wire everything together
    "bridge.serve": ("bridge", "radicale_plugins"),
    "bridge.demo": ("bridge", "radicale_plugins"),
    "bridge.demo_signin": (),
    "bridge.demo_sandboxes": ("bridge.model", "bridge.settings", "bridge.sandbox"),
    "bridge.cli": ("bridge", "radicale_plugins"),
    "bridge.cli_users": ("bridge.api", "bridge.administration", "bridge.policy", "bridge.errors"),
    "bridge.cli_connect": ("bridge.api", "bridge.accounts.registry", "bridge.model"),
    "bridge.check": ("bridge",),
    "bridge.check_providers": ("bridge",),
    "bridge.__init__": (),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1 and parts[:2] != ["bridge", "__init__"]:
        parts = parts[:-1] if len(parts) > 2 or parts[0] != "bridge" else parts
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bridge":
                found.update(f"bridge.{alias.name}" for alias in node.names)
            else:  # `from bridge.x import y` where y is a module counts as bridge.x.y
                for alias in node.names:
                    sub = ROOT.joinpath(*node.module.split("."), alias.name)
                    is_module = sub.with_suffix(".py").is_file() or sub.is_dir()
                    found.add(f"{node.module}.{alias.name}" if is_module else node.module)
    return {
        name for name in found if name.split(".")[0] in ("bridge", "radicale_plugins", "radicale")
    }


def rule_for(module: str) -> tuple[str, tuple[str, ...]]:
    best = max(
        (p for p in ALLOWED if module == p or module.startswith(p + ".")), key=len, default=None
    )
    assert best is not None, f"{module} has no layer rule: add it to ALLOWED"
    return best, ALLOWED[best]


def test_every_import_follows_the_layer_rules() -> None:
    problems = []
    files = [
        *ROOT.joinpath("bridge").rglob("*.py"),
        *ROOT.joinpath("radicale_plugins").rglob("*.py"),
    ]
    assert len(files) > 20
    for path in files:
        module = module_name(path)
        layer, allowed = rule_for(module)
        for name in imports_of(path):
            if name == "radicale" or name.startswith("radicale."):
                if layer != "radicale_plugins":
                    problems.append(f"{module} imports {name}: only radicale_plugins may")
                continue
            if name == "bridge" and layer in ("bridge.serve", "bridge.demo", "bridge.cli"):
                continue
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                problems.append(f"{module} imports {name} (layer {layer} allows {allowed})")
    assert problems == []


# -- the facade rule ------------------------------------------------------------------------------
ADAPTERS = (
    "radicale_plugins",
    "bridge.portal",
    "bridge.cli",
    "bridge.cli_users",
    "bridge.cli_connect",
)
FACADE_METHODS = frozenset(
    name
    for name, value in inspect.getmembers(Bridge)
    if not name.startswith("_") and inspect.isfunction(value)
)


def _is_adapter(module: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in ADAPTERS)


class FacadeUse(ast.NodeVisitor):
    """Finds what a module reads on the facade object. The facade is: `api.current()`, any
    `….bridge`, a call of `bridge_of(…)`, the name `bridge`, and every name bound to one of
    these (assignment or a parameter annotated Bridge)."""

    def __init__(self) -> None:
        self.names: set[str] = {"bridge"}
        self.problems: list[tuple[int, str]] = []
        self.current_calls: list[int] = []

    def is_facade(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Attribute):
            return node.attr == "bridge"
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            return name in ("current", "bridge_of")
        return False

    def collect_names(self, tree: ast.AST) -> None:
        for _ in range(3):  # aliases of aliases
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and self.is_facade(node.value):
                    self.names.update(t.id for t in node.targets if isinstance(t, ast.Name))
                elif isinstance(node, ast.arg) and _annotated_bridge(node.annotation):
                    self.names.add(node.arg)

    def visit_Attribute(self, node: ast.Attribute) -> None:  # noqa: N802 - ast API
        if self.is_facade(node.value) and node.attr not in FACADE_METHODS:
            self.problems.append((node.lineno, ast.unparse(node)))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802 - ast API
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "current":
            self.current_calls.append(node.lineno)
        self.generic_visit(node)


def _annotated_bridge(annotation: ast.expr | None) -> bool:
    return annotation is not None and ast.unparse(annotation) in ("Bridge", "api.Bridge")


def facade_problems(source: str, module: str) -> list[str]:
    tree = ast.parse(source)
    use = FacadeUse()
    use.collect_names(tree)
    use.visit(tree)
    found = [
        f"{module}:{line}: {text} is not a method of the facade" for line, text in use.problems
    ]
    if not module.startswith("radicale_plugins"):
        # only the plugins Radicale builds from class names need the installed handle
        found += [
            f"{module}:{line}: api.current() outside radicale_plugins" for line in use.current_calls
        ]
    return found


def test_adapters_use_only_methods_of_the_facade() -> None:
    problems = []
    adapters = [
        path
        for path in [
            *ROOT.joinpath("bridge").rglob("*.py"),
            *ROOT.joinpath("radicale_plugins").rglob("*.py"),
        ]
        if _is_adapter(module_name(path))
    ]
    assert len(adapters) > 20
    for path in adapters:
        problems += facade_problems(path.read_text(), module_name(path))
    assert problems == []


def test_the_facade_rule_catches_reaching_through() -> None:
    source = (
        "def page(portal, b: Bridge):\n"
        "    admin = portal.bridge.admin\n"
        "    b.store.user_by_name('x')\n"
        "    portal.bridge.collection('alex', 'cal')\n"
        "    api.current().settings\n"
    )
    found = facade_problems(source, "bridge.portal.x")
    assert [p.split(": ", 1)[1] for p in found] == [
        "portal.bridge.admin is not a method of the facade",
        "b.store is not a method of the facade",
        "api.current().settings is not a method of the facade",
        "api.current() outside radicale_plugins",
    ]
