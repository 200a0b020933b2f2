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

# package prefix -> bridge/radicale_plugins modules it may import (prefix match); the longest
# prefix wins. docs/architecture.md explains the table.
LEAVES = (
    "bridge.model",
    "bridge.errors",
    "bridge.plainwords",
    "bridge.settings",
    "bridge.secrets",
    "bridge.delegate",
    "bridge.offload",
)
ALLOWED: dict[str, tuple[str, ...]] = {
    # adapters: the facade (plus pure vCard helpers for rendering DAV answers)
    "radicale_plugins": ("bridge.api", "bridge.contacts", "radicale_plugins"),
    "bridge.portal": ("bridge.api", "bridge.portal"),
    "bridge.entry.cli_users": (
        "bridge.api",
        "bridge.entry.commands",
        "bridge.organisation.administration",  # OPERATOR and GroupRecord (values)
        "bridge.organisation.policy",  # the policy's field names (values)
        "bridge.errors",
    ),
    "bridge.entry.cli_connect": (
        "bridge.api",
        "bridge.entry.commands",
        "bridge.accounts.registry",
        "bridge.model",
    ),
    "bridge.entry.cli_policy": (
        "bridge.api",
        "bridge.entry.commands",
        "bridge.organisation.administration",  # OPERATOR (a value)
        "bridge.organisation.policy",  # the policy's field names (values)
        "bridge.errors",
    ),
    "bridge.entry.commands": ("bridge.api", "bridge.organisation.administration"),
    # the facade and its parts
    "bridge.api": (
        "bridge.facade",
        "bridge.accounts",
        "bridge.organisation",
        "bridge.contacts",
        "bridge.sync",
        "bridge.store",
        "bridge.files",
        *LEAVES,
    ),
    "bridge.facade": (
        "bridge.accounts",
        "bridge.organisation",
        "bridge.sync",
        "bridge.contacts",
        "bridge.store",
        *LEAVES,
    ),
    # accounts: the provider registry is a table the sync engine may read
    "bridge.accounts.registry": (
        "bridge.accounts.kit",
        "bridge.accounts.kits",
        "bridge.store",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.accounts.kit": ("bridge.accounts.apps", "bridge.providers.base", "bridge.store"),
    "bridge.accounts.statuses": ("bridge.accounts.registry", "bridge.store", "bridge.model"),
    "bridge.accounts": (
        "bridge.accounts",
        "bridge.organisation.policy",
        "bridge.providers",
        "bridge.store",
        "bridge.sync",
        *LEAVES,
    ),
    # the organisation
    "bridge.organisation": (),
    "bridge.organisation.policy": ("bridge.errors",),
    "bridge.organisation.throttle": ("bridge.errors",),
    "bridge.organisation.dav_logins": ("bridge.organisation.throttle", "bridge.errors"),
    # the same throttle with its counts in the store (several processes, issue 17)
    "bridge.organisation.throttle_shared": ("bridge.organisation.throttle", "bridge.store"),
    "bridge.organisation.administration": (
        "bridge.organisation.policy",
        "bridge.organisation.throttle",
        "bridge.store",
        *LEAVES,
    ),
    "bridge.organisation.signin": ("bridge.providers", "bridge.settings", "bridge.errors"),
    # the domain below the services
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
        "bridge.offload",  # a large listing's conversion shared with the worker process
    ),
    "bridge.providers": (
        "bridge.providers",
        "bridge.ical",
        "bridge.model",
        "bridge.errors",
        "bridge.plainwords",
        "bridge.offload",  # a large listing's mapping shared with the worker process
    ),
    "bridge.store": ("bridge.store", "bridge.files", "bridge.model", "bridge.errors"),
    "bridge.ical": ("bridge.ical", "bridge.model", "bridge.errors"),
    "bridge.joinlinks": ("bridge.joinlinks", "bridge.model", "bridge.errors"),
    "bridge.contacts": (
        "bridge.contacts",
        "bridge.ical.contentlines",
        "bridge.model",
        "bridge.errors",
    ),
    # leaves
    "bridge.model": (),
    "bridge.errors": ("bridge.plainwords",),
    "bridge.plainwords": (),
    "bridge.logs": (),
    "bridge.files": (),
    "bridge.delegate": (),
    "bridge.offload": (),
    "bridge.entry.allocator": (),
    "bridge.settings": ("bridge.errors",),
    "bridge.secrets": ("bridge.files", "bridge.errors"),
    "bridge.__init__": (),
    # entry points: composition roots wire everything together
    "bridge.entry": ("bridge", "radicale_plugins"),
    "bridge.entry.http_linger": (),
    "bridge.entry.http_lanes": (),
    "bridge.entry.demo_signin": (),
    "bridge.entry.demo_sandboxes": ("bridge.model", "bridge.settings", "bridge.errors"),
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
        name
        for name in found
        if name.split(".")[0] in ("bridge", "radicale_plugins", "radicale", "sandbox")
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
            if name == "bridge" and layer == "bridge.entry":
                continue
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                problems.append(f"{module} imports {name} (layer {layer} allows {allowed})")
    assert problems == []


# -- the facade rule ------------------------------------------------------------------------------
ADAPTERS = (
    "radicale_plugins",
    "bridge.portal",
    "bridge.entry.cli",
    "bridge.entry.cli_users",
    "bridge.entry.cli_connect",
    "bridge.entry.commands",
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


def test_the_product_never_imports_the_emulators() -> None:
    """The provider emulators (sandbox/) are a separate top-level package that an image may
    leave out: `davbridge demo` starts them as a child process (`python -m sandbox.demo_host`)
    and nothing in bridge/ or radicale_plugins/ imports them."""
    importers = [
        f"{module_name(path)} imports {name}"
        for path in [
            *ROOT.joinpath("bridge").rglob("*.py"),
            *ROOT.joinpath("radicale_plugins").rglob("*.py"),
        ]
        for name in imports_of(path)
        if name == "sandbox" or name.startswith("sandbox.")
    ]
    assert importers == []


def test_the_emulators_never_import_the_product() -> None:
    """The emulators play the vendors: they know nothing of davbridge's own code."""
    files = list(ROOT.joinpath("sandbox").rglob("*.py"))
    assert len(files) > 50
    importers = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imports_of(path)
        if name.split(".")[0] in ("bridge", "radicale_plugins", "radicale")
    ]
    assert importers == []


def _provider_imports(path: Path) -> set[str]:
    """Modules under bridge.providers that `path` imports (`from bridge.providers import x`
    counted as bridge.providers.x)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bridge.providers":
                found.update(f"bridge.providers.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return {name for name in found if name.startswith("bridge.providers.")}


def test_no_provider_package_imports_another() -> None:
    """Each provider package (graph, google, ews …) uses its own modules, the shared toolkit
    (bridge.providers.common) and the interface (bridge.providers.base) only; the toolkit uses
    no provider package. Adding a provider is then a folder of its own (issue 12)."""
    providers = ROOT / "bridge" / "providers"
    packages = sorted(
        p.name for p in providers.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    )
    assert {"common", "graph", "google", "ews"} <= set(packages)
    problems = []
    for package in packages:
        own = f"bridge.providers.{package}"
        shared = ("bridge.providers.common", "bridge.providers.base")
        allowed = (own, *shared) if package != "common" else shared
        for path in (providers / package).rglob("*.py"):
            for name in _provider_imports(path):
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []
