"""Locust users for the post-incident surge (bench/surge_bench.py runs this file).

Tipsters file tips to the public tip line (POST /api/v1/tips, each with its own
Idempotency-Key, retried with the same key after a connection error or a 5xx) and
write every receipt they are given to the receipts file; analysts read the triage queue,
search and open reports with their API token, as a fusion center does while the tips
pour in. Configured by the environment that surge_bench sets: VIGIL_SURGE_RECEIPTS (a
file), VIGIL_SURGE_TOKEN (an analyst's API token), VIGIL_SURGE_SEED.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

from bench.tips import TipFactory

RECEIPTS_PATH = os.environ.get("VIGIL_SURGE_RECEIPTS", "surge-receipts.jsonl")
TOKEN = os.environ.get("VIGIL_SURGE_TOKEN", "")
SEED = int(os.environ.get("VIGIL_SURGE_SEED", "7"))
SEARCH_TERMS = ("school", "rifle", "threat", "church", "parade", "warehouse", "posted")
RETRIES = 5
_seeds = random.Random(SEED)
_receipts = open(RECEIPTS_PATH, "a", encoding="utf-8")  # noqa: SIM115 - closed at exit


def _record(entry: dict[str, Any]) -> None:
    _receipts.write(json.dumps(entry) + "\n")
    _receipts.flush()


class Tipster(HttpUser):
    """A member of the public reporting what they saw, on the public tip line."""

    weight = 4
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.factory = TipFactory(_seeds.getrandbits(32), tipline_share=1.0)

    @task
    def file_tip(self) -> None:
        tip = self.factory.make()
        for _attempt in range(RETRIES):
            with self.client.post(
                tip.path,
                json=tip.body,
                headers={"Idempotency-Key": tip.key},
                name="POST /api/v1/tips",
                catch_response=True,
            ) as answer:
                if answer.status_code in (200, 201):
                    receipt = answer.json()
                    _record(
                        {
                            "key": tip.key,
                            "receipt_number": receipt["receipt_number"],
                            "narrative": tip.narrative,
                        }
                    )
                    answer.success()
                    return
                answer.failure(f"{answer.status_code}")
                if answer.status_code and answer.status_code < 500:
                    return  # a refusal is not retried: the error ratio shows it
        _record({"key": tip.key, "receipt_number": None, "narrative": tip.narrative})


class Analyst(HttpUser):
    """An analyst working the queue while the surge comes in."""

    weight = 1
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {TOKEN}"}
        self.random = random.Random(_seeds.getrandbits(32))

    @task(3)
    def queue(self) -> None:
        with self.client.get(
            "/api/v1/reports?limit=25",
            headers=self.headers,
            name="GET /api/v1/reports",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
                return
            items = answer.json()["items"]
            answer.success()
        if items:
            report = self.random.choice(items)
            self.client.get(
                f"/api/v1/reports/{report['id']}",
                headers=self.headers,
                name="GET /api/v1/reports/{id}",
            )

    @task(2)
    def search(self) -> None:
        term = self.random.choice(SEARCH_TERMS)
        self.client.get(f"/api/v1/search?q={term}", headers=self.headers, name="GET /api/v1/search")
