"""Child process of bench_ledger: import one CSV of executions, print booked count and peak
RSS (MB) as JSON. Run as `python -m bench.ledger_import_child <file>` with DATABASE_URL set."""

import json
import resource
import sys

import django


def main(path: str) -> None:
    django.setup()
    from ledger.imports import executions_import_csv

    with open(path) as stream:
        result = executions_import_csv(stream=stream)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"booked": result.booked, "peak_rss_mb": peak_kb / 1024}))


if __name__ == "__main__":
    main(sys.argv[1])
