"""Every package that holds tests is one `make test` collects (pyproject's `testpaths`): a
package left out has its tests silently skipped by the suite and CI."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_with_tests_is_in_testpaths():
    testpaths = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
            "testpaths"
        ]
    )
    with_tests = {
        path.relative_to(ROOT).parts[0]
        for path in ROOT.glob("*/**/test_*.py")
        if not path.relative_to(ROOT).parts[0].startswith(".")
        and path.relative_to(ROOT).parts[0] not in {"bench", "node_modules", "artifacts"}
    }
    assert with_tests, "no tests found at all"
    assert with_tests - testpaths == set()
