"""Run every benchmark and write `bench/results.json`: one flat object of named figures, with the
unit in each name. `python -m bench --only <prefix>` runs the benchmarks whose figures start with
that prefix (several: `--only access,allocations`).

Each `bench/bench_*.py` module declares `FIGURES` (the figure names it produces) and
`run() -> dict[str, float]`. Benchmarks run against the real services in the environment
(DATABASE_URL, CELERY_BROKER_URL) in a database of their own, `<db>_bench`, created here.
"""

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


def _modules():
    import bench

    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name.startswith("bench_"):
            yield importlib.import_module(f"bench.{info.name}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=None, help="figure name prefix or module name")
    args = parser.parse_args(argv)

    from django.db import connection

    from bench.setup import bench_database

    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with bench_database():
        for module in _modules():
            figures = getattr(module, "FIGURES", ())
            # A figure prefix, or the module's own name (`--only portal` for bench_portal).
            # Several, comma-separated: `--only access,allocations`.
            wanted = args.only.split(",") if args.only else []
            named = module.__name__.rsplit(".", 1)[-1] in {f"bench_{w}" for w in wanted}
            if wanted and not named and not any(n.startswith(tuple(wanted)) for n in figures):
                continue
            started = time.monotonic()
            print(f"== {module.__name__}", flush=True)  # noqa: T201
            # Each benchmark starts on the public schema, whatever the one before it left set.
            connection.set_schema_to_public()
            figures_out = module.run()
            for name, value in figures_out.items():
                print(f"   {name} = {value}", flush=True)  # noqa: T201
            print(f"   ({time.monotonic() - started:.1f} s)", flush=True)  # noqa: T201
            results.update(figures_out)
            RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
