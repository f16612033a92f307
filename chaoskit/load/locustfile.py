"""The gateway's traffic mix: order reads, lists, writes and instance launches.

A 404 for an order is a correct answer, not a failure; every 5xx and every connection
error is. Request names are stable (``/orders/[id]``) so stats group by route.
"""

from __future__ import annotations

import os
import random
from typing import Any

from locust import FastHttpUser, between, constant_pacing, task

from chaoskit.load import PACING_ENV, parse_mix

MIX = parse_mix(os.environ.get("CHAOSKIT_MIX"))
WAIT_MIN_S = float(os.environ.get("CHAOSKIT_WAIT_MIN_S", "0.05"))
WAIT_MAX_S = float(os.environ.get("CHAOSKIT_WAIT_MAX_S", "0.2"))
PACING_S = os.environ.get(PACING_ENV)


class GatewayUser(FastHttpUser):
    wait_time = constant_pacing(float(PACING_S)) if PACING_S else between(WAIT_MIN_S, WAIT_MAX_S)
    network_timeout = 5.0
    connection_timeout = 2.0

    def on_start(self) -> None:
        self.order_ids: list[str] = []

    @task(MIX.get("read", 0))
    def read(self) -> None:
        order_id = random.choice(self.order_ids) if self.order_ids else "none-yet"
        with self.client.get(
            f"/orders/{order_id}", name="/orders/[id]", catch_response=True
        ) as response:
            if response.status_code in (200, 404):
                response.success()

    @task(MIX.get("list", 0))
    def list_orders(self) -> None:
        self.client.get("/orders?limit=10", name="/orders")

    @task(MIX.get("write", 0))
    def write(self) -> None:
        body: dict[str, Any] = {"item": random.choice(["widget", "gadget"]), "quantity": 1}
        with self.client.post("/orders", json=body, catch_response=True) as response:
            if response.status_code == 201:
                order_id = response.json().get("id")
                if order_id:
                    self.order_ids = [*self.order_ids[-49:], order_id]

    @task(MIX.get("launch", 0))
    def launch(self) -> None:
        self.client.post("/launch")
