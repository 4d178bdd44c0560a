"""Child process of bench_flex: import one Flex file, print booked count and peak RSS (MB) as
JSON. Run as `python -m bench.flex_import_child <file>` with DATABASE_URL set."""

import json
import resource
import sys

import django


def main(path: str) -> None:
    django.setup()
    from ledger.imports.flex import flex_import

    result = flex_import(source=path)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"booked": result.booked, "peak_rss_mb": peak_kb / 1024}))


if __name__ == "__main__":
    main(sys.argv[1])
