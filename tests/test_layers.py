"""The layers of the project, read from the source with `ast` (no database):

- the tenant apps read the shared ledger only through `ledger.selectors` (and write it through
  `ledger.services`): no module outside `ledger/` uses a ledger model's manager;
- `ledger` imports no tenant app and not the project package;
- `ledger.domain` is pure: no Django, nothing of the ledger outside itself;
- every `ledger.selectors` module imports first in a fresh interpreter (no import cycle)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "ledger"
SKIPPED_DIRS = {".venv", ".data", ".git", "node_modules", "__pycache__", "migrations"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
TENANT_APPS = {
    "branding",
    "onboarding",
    "allocations",
    "clientportal",
    "compliance",
    "funding",
    "desk",
}
# Not imported by the ledger: the project package and the demo seeds.
LEDGER_FORBIDDEN = TENANT_APPS | {"brokerportal", "demo"}


def _modules(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield Path(dirpath, name)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _ledger_models() -> set[str]:
    """The names of the model classes of ledger/models.py."""
    names = set()
    for node in _tree(LEDGER / "models.py").body:
        if isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Attribute) and base.attr == "Model" for base in node.bases
        ):
            names.add(node.name)
    return names


def _is_outside_the_rule(path: Path) -> bool:
    """Tests and their support, benchmarks, demo seeds and the ledger itself."""
    relative = path.relative_to(ROOT)
    top = relative.parts[0]
    return (
        top in ("ledger", "tests", "bench", "demo")
        or "tests" in relative.parts[:-1]
        or path.name.startswith("test_")
        or path.name in ("conftest.py", "demo.py")
    )


def _imported(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the module, nested ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_the_ledger_has_models_to_check():
    assert {"Account", "Posting", "JournalEntry", "Price", "NavSnapshot"} <= _ledger_models()


def test_no_module_outside_the_ledger_queries_a_ledger_model_manager():
    # given the ledger's models
    models = _ledger_models()
    offenders = []
    # when every application module outside ledger/ is read
    for path in _modules(ROOT):
        if _is_outside_the_rule(path):
            continue
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Attribute) and node.attr in MANAGERS):
                continue
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if name in models:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.attr}")
    # then none reads or writes a ledger table but through ledger.selectors / ledger.services
    assert not offenders, "ledger managers used outside ledger/:\n" + "\n".join(offenders)


def test_the_ledger_imports_no_tenant_app_nor_the_project():
    offenders = []
    for path in _modules(LEDGER):
        for line, module in _imported(_tree(path)):
            if module.split(".")[0] in LEDGER_FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_the_ledger_domain_is_pure():
    offenders = []
    for path in _modules(LEDGER / "domain"):
        for line, module in _imported(_tree(path)):
            top = module.split(".")[0]
            inside = module == "ledger.domain" or module.startswith("ledger.domain.")
            if top == "django" or (top == "ledger" and not inside):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_no_ledger_module_silences_a_late_import():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _modules(LEDGER)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "noqa: E402" in line
    ]
    assert not found, "\n".join(found)


SELECTOR_MODULES = sorted(
    ["ledger.selectors"]
    + [
        f"ledger.selectors.{p.stem}"
        for p in (LEDGER / "selectors").glob("*.py")
        if p.stem != "__init__"
    ]
)


@pytest.mark.parametrize("module", SELECTOR_MODULES)
def test_each_selectors_module_imports_first_in_a_fresh_interpreter(module):
    # given a fresh interpreter with the project's settings
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "brokerportal.settings.test"
        ),
    }
    # when the module is the first of the ledger it imports
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); import {module}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then it imports
    assert done.returncode == 0, done.stderr[-2000:]
