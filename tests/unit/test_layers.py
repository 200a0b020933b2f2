"""The dependency rules between the packages (the table below), checked by walking every
import (ast)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]

# package prefix -> bridge/radicale_plugins modules it may import (prefix match)
ALLOWED: dict[str, tuple[str, ...]] = {
    "radicale_plugins": ("bridge.api", "radicale_plugins"),
    "bridge.model": (),
    "bridge.errors": ("bridge.plainwords",),
    "bridge.plainwords": (),
    "bridge.logs": (),
    "bridge.files": (),
    "bridge.allocator": (),
    "bridge.settings": ("bridge.errors",),
    "bridge.secrets": ("bridge.files", "bridge.errors"),
    "bridge.ical": ("bridge.ical", "bridge.model", "bridge.errors"),
    "bridge.joinlinks": ("bridge.joinlinks", "bridge.model", "bridge.errors"),
    "bridge.contacts": (
        "bridge.contacts",
        "bridge.ical.contentlines",
        "bridge.model",
        "bridge.errors",
    ),
    "bridge.store": ("bridge.store", "bridge.files", "bridge.model", "bridge.errors"),
    "bridge.providers": (
        "bridge.providers",
        "bridge.ical",
        "bridge.model",
        "bridge.errors",
        "bridge.plainwords",
    ),
    "bridge.sync": (
        "bridge.sync",
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
    "bridge.http_lanes": (),
    "bridge.administration": (
        "bridge.policy",
        "bridge.throttle",
        "bridge.store",
        "bridge.secrets",
        "bridge.settings",
        "bridge.errors",
    ),
    "bridge.statuses": ("bridge.store", "bridge.sync", "bridge.model", "bridge.errors"),
    "bridge.managed": (
        "bridge.connections",
        "bridge.statuses",
        "bridge.policy",
        "bridge.store",
        "bridge.errors",
    ),
    "bridge.onboarding": (
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
    "bridge.api": (
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
    "bridge.demo_sandboxes": ("bridge.model", "bridge.settings", "bridge.errors"),
    "bridge.cli": ("bridge", "radicale_plugins"),
    "bridge.cli_users": ("bridge",),
    "bridge.cli_connect": ("bridge",),
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
            else:
                found.add(node.module)
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
            if name == "bridge" and layer in ("bridge.serve", "bridge.demo", "bridge.cli"):
                continue
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                problems.append(f"{module} imports {name} (layer {layer} allows {allowed})")
    assert problems == []


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
