"""axe-core in the browser tests: run it on the open page and count violations by impact.

The engine is the npm package's `axe.min.js`, kept in vendor/axe-core with its version and
licence. Playwright evaluates it in the page (outside the page's Content-Security-Policy, which
allows no script but the site's own), so the policy the pages run under stays as in production.
"""

from __future__ import annotations

from pathlib import Path

AXE_SOURCE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
# WCAG 2.0-2.2 A and AA rules plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_source: str | None = None


def axe_run(page) -> list[dict]:
    """The violations axe finds on the page: [{id, impact, help, nodes: [target…]}]."""
    global _source
    if _source is None:
        _source = AXE_SOURCE.read_text(encoding="utf-8")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_source)
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }""",
        AXE_TAGS,
    )


def axe_counts(violations: list[dict]) -> dict[str, int]:
    counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for violation in violations:
        counts[violation["impact"] or "minor"] += len(violation["nodes"]) or 1
    return counts


def axe_blocking(violations: list[dict]) -> list[dict]:
    """The violations a page must not have: critical and serious."""
    return [v for v in violations if v["impact"] in ("critical", "serious")]


REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "axe-counts.txt"
_report_started = False


def axe_report(label: str, violations: list[dict]) -> None:
    """Print the page's counts (shown with `pytest -rP`, or on failure) and append them to
    artifacts/axe-counts.txt (started anew by each test session), with the blocking rules."""
    counts = axe_counts(violations)
    line = f"axe {label}: {counts['critical']} critical, {counts['serious']} serious"
    blocking = axe_blocking(violations)
    if blocking:
        line += " (" + "; ".join(f"{v['id']} {v['impact']} at {v['nodes']}" for v in blocking) + ")"
    print(line)  # noqa: T201
    global _report_started
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    if not _report_started:  # each test session writes the file anew
        REPORT.unlink(missing_ok=True)
        _report_started = True
    with REPORT.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
