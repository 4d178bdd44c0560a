"""The soak's people (run by `bench.bench_soak` as `locust --headless -f bench/soak_locustfile.py`).

Clients browse their portal, staff work the desk's queues, programs poll the API and post
deposit notices with an Idempotency-Key. Every request must answer 200 (201 for a POST) on the
page it asked for: a redirect (to a login, say) is a failure, not a success.

The logged-in sessions and the API key come from the file `SOAK_CONFIG` names (JSON: host,
session cookie name, client and staff cookies, api key, account ids).
"""

import json
import os
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["SOAK_CONFIG"]).read())  # noqa: SIM115, PTH123


class _Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def _headers(self) -> dict[str, str]:
        return {"Host": CONFIG["host"], "X-Forwarded-Proto": "https"}

    def _get(self, path: str, name: str, *, marker: str = "", **headers) -> None:
        with self.client.get(
            path,
            name=name,
            headers={**self._headers(), **headers},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                where = response.headers.get("Location", "") or repr(response.error)[:200]
                response.failure(f"{response.status_code} {where}")
            elif marker and marker not in response.text:
                response.failure(f"{name}: {marker!r} not on the page")


class Client(_Person):
    weight = 3

    def on_start(self) -> None:
        self.client.cookies.set(CONFIG["cookie_name"], CONFIG["client_cookie"])
        self.account = CONFIG["client_account"]

    @task(4)
    def dashboard(self) -> None:
        self._get(f"/?account={self.account}", "client dashboard", marker='data-figure="nlv"')

    @task(2)
    def positions(self) -> None:
        self._get(f"/positions/?account={self.account}", "client positions")

    @task(1)
    def activity(self) -> None:
        self._get(f"/activity/?account={self.account}", "client activity")

    @task(1)
    def statements(self) -> None:
        self._get(f"/statements/?account={self.account}", "client statements")

    @task(1)
    def performance(self) -> None:
        self._get(f"/performance/?account={self.account}", "client performance")


class Staff(_Person):
    weight = 1

    def on_start(self) -> None:
        self.client.cookies.set(CONFIG["cookie_name"], CONFIG["staff_cookie"])

    @task(3)
    def accounts_search(self) -> None:
        self._get(f"/broker/accounts/?q={CONFIG['search']}", "staff accounts search")

    @task(2)
    def account_360(self) -> None:
        self._get(f"/broker/accounts/{CONFIG['client_account_number']}/", "staff account 360")

    @task(1)
    def exceptions(self) -> None:
        self._get("/broker/exceptions/", "staff exceptions")


class Program(_Person):
    weight = 2

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "Authorization": f"Bearer {CONFIG['api_key']}"}

    @task(3)
    def accounts(self) -> None:
        self._get("/api/v1/accounts/?page_size=100", "api accounts list")

    @task(2)
    def events(self) -> None:
        self._get("/api/v1/events/", "api events")

    @task(1)
    def deposit_notice(self) -> None:
        body = {
            "account": CONFIG["client_account"],
            "amount": "125.50",
            "currency": "USD",
            "method": "wire",
            "expected_on": (datetime.now(tz=UTC).date() + timedelta(days=2)).isoformat(),
            "reference": "soak",
        }
        headers = {**self._headers(), "Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(
            "/api/v1/deposit-notices/",
            json=body,
            name="api deposit notice",
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                detail = response.text[:200] if response.status_code else repr(response.error)
                response.failure(f"{response.status_code} {detail[:200]}")
