"""Package boundaries, read from the source with `ast` (no import is executed):

- no app imports the demo, any `tests` package, the benchmarks or another app's `testing`
  module: the demo and the test support call the apps, never the other way round;
- the benchmarks and the shared test support import nothing from an app's `tests` package;
- the top-level packages import each other without cycles, except the known ones below.

Imports inside functions count like module-level ones. Each package's own `tests/` folders and
migrations are left out (tests may import anything; migrations are frozen history), apart from
the top-level `tests` package itself, which is a package of its own.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Development tooling: the demo seeds, the shared tests and their support, the benchmarks.
TOOLING = frozenset({"demo", "tests", "bench"})
PACKAGES = frozenset(path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file())
APPS = PACKAGES - TOOLING

# Cycles between top-level packages that exist today, each named by its packages in import order
# starting from the alphabetically first (a, b, c: a imports b, b imports c, c imports a). They go
# through brokerportal's shared helpers (csvsafe, ratelimit) and compliance's
# audit and invitations. A new cycle fails the test; so does one of these once it is gone (then
# remove it here).
KNOWN_CYCLES = {
    # brokerportal.ratelimit takes the client address from compliance.services;
    # compliance.access_review writes its CSV through brokerportal.csvsafe.
    ("brokerportal", "compliance"),
    # compliance.services.invitations sends branded e-mails (branding.emails, branding.selectors);
    # branding.statements.services audits statement runs (compliance.services.audit).
    ("branding", "compliance"),
    # branding.statements -> brokerportal.csvsafe; brokerportal.ratelimit -> compliance.services;
    # compliance.services.invitations -> branding.emails.
    ("branding", "brokerportal", "compliance"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every module of a top-level package, without its `tests/` folders
    (unless the package is `tests` itself) and migrations."""
    for path in sorted((ROOT / package).rglob("*.py")):
        inner = path.relative_to(ROOT / package).parts[:-1]
        if "migrations" in inner or (package != "tests" and "tests" in inner):
            continue
        yield _module_name(path), path


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(absolute dotted name, line) of every module that `module` imports, relative imports
    resolved, `importlib.import_module("literal")` included."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield name, node.lineno
            # `from pkg import module` names a module too, e.g. `from tests.support import workers`.
            for alias in node.names:
                yield f"{name}.{alias.name}", node.lineno
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def _project_imports(packages) -> Iterator[tuple[str, str, str, str]]:
    """(importing package, importing module:line, imported name, imported top-level package) for
    every import of a project package by a module of `packages`."""
    for package in sorted(packages):
        for module, path in _modules(package):
            for name, line in _imports(module, path):
                top = name.split(".")[0]
                if top in PACKAGES:
                    yield package, f"{module}:{line}", name, top


def _refused_in_app(package: str, name: str) -> bool:
    parts = name.split(".")
    if parts[0] in TOOLING:
        return True
    if "tests" in parts[1:]:
        return True
    return parts[0] != package and "testing" in parts[1:]


def test_no_app_imports_the_demo_tests_benchmarks_or_another_apps_testing_module():
    # given / when
    found = sorted(
        f"{where} imports {name}"
        for package, where, name, _ in _project_imports(APPS)
        if _refused_in_app(package, name)
    )
    # then
    assert found == [], "App code must not import development tooling:\n" + "\n".join(found)


def test_benchmarks_and_test_support_import_no_apps_tests_package():
    # given the benchmarks and the shared test support, which the benchmarks import
    importers = [
        (package, where, name)
        for package, where, name, _ in _project_imports({"bench", "tests"})
        if package == "bench" or where.startswith("tests.support")
    ]
    # when
    found = sorted(
        f"{where} imports {name}"
        for _, where, name in importers
        if name.split(".")[0] in APPS and "tests" in name.split(".")[1:]
    )
    # then
    assert found == [], "Move what they need into tests/support:\n" + "\n".join(found)


def _cycles(edges: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Every elementary cycle, each starting from its alphabetically first package."""
    cycles = set()

    def walk(start: str, node: str, path: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target == start:
                cycles.add(tuple(path))
            elif target > start and target not in path:
                walk(start, target, [*path, target])

    for start in sorted(edges):
        walk(start, start, [start])
    return cycles


def test_top_level_packages_import_each_other_without_new_cycles():
    # given the import graph between top-level packages, with one example import per edge
    edges: dict[str, set[str]] = {}
    example: dict[tuple[str, str], str] = {}
    for package, where, name, top in _project_imports(PACKAGES):
        if top != package:
            edges.setdefault(package, set()).add(top)
            example.setdefault((package, top), f"{where} imports {name}")
    # when
    cycles = _cycles(edges)
    # then
    new = sorted(cycles - KNOWN_CYCLES)
    gone = sorted(KNOWN_CYCLES - cycles)
    report = [
        " -> ".join([*cycle, cycle[0]])
        + "".join(
            f"\n    {example[(a, b)]}" for a, b in zip(cycle, (*cycle[1:], cycle[0]), strict=True)
        )
        for cycle in new
    ]
    assert new == [], "New import cycles between packages:\n" + "\n".join(report)
    assert gone == [], f"Cycles no longer there; remove them from KNOWN_CYCLES: {gone}"
