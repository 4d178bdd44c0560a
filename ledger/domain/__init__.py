"""The ledger's pure computation: valuation, performance, FIFO lots, settlement dates and FX
conversion. No Django import (checked by `tests/test_layers.py`, typed with `mypy --strict`):
each function takes plain values and returns plain values, so it is tested on its own and with
Hypothesis, and the selectors and services feed it from the database."""
