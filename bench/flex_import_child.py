"""Child process of bench_flex: import one Flex file, print the booked count, the RSS
just before the import (Django and the import's modules loaded) and the peak RSS after it (MB)
as JSON. Run as `python -m bench.flex_import_child <file>` with DATABASE_URL set."""

import json
import resource
import sys

import django


def _rss_now_kb() -> float:
    """The process's resident set now (not its peak so far)."""
    with open("/proc/self/statm") as stat:
        pages = int(stat.read().split()[1])
    return pages * resource.getpagesize() / 1024


def main(path: str) -> None:
    django.setup()
    from django.core.cache import caches

    from ledger.imports.flex import flex_import
    from trading.margin_tasks import margin_monitor_task  # noqa: F401 (loaded, as in a worker)

    caches["ledger"].get("bench:warm")
    before_kb = _rss_now_kb()
    result = flex_import(source=path)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "booked": result.booked,
                "before_rss_mb": before_kb / 1024,
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
