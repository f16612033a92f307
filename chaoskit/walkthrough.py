"""The end-to-end walkthrough: the incident in miniature on a real lab.

Brings the lab up, resolves the DynamoDB name through the lab DNS server, writes and reads an
item through Toxiproxy, empties the record (what happened on 19 October 2025), shows the
client failing, restores it and measures how long until the client succeeds again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dns.exception

from chaoskit.lab.backend import LabBackend
from chaoskit.lab.clients import dynamodb_client, resolve_endpoint

__all__ = ["run_walkthrough"]

TABLE = "chaoskit-walkthrough"


def _ensure_table(client: Any) -> None:
    if TABLE in client.list_tables()["TableNames"]:
        return
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def run_walkthrough(
    lab: LabBackend, echo: Callable[[str], None], blank_s: float = 3.0
) -> dict[str, Any]:
    """Run the walkthrough on a lab that is up; returns what it measured."""
    region = lab.config.region("us-east-1")
    endpoint = resolve_endpoint(lab.config, region)
    echo(f"{region.record} resolves to {endpoint} (Toxiproxy in front of DynamoDB)")
    client = dynamodb_client(endpoint, region.region)
    _ensure_table(client)
    client.put_item(TableName=TABLE, Item={"pk": {"S": "order-1"}, "state": {"S": "placed"}})
    item = client.get_item(TableName=TABLE, Key={"pk": {"S": "order-1"}})["Item"]
    echo(f"put and got an item through the lab name: {item}")

    with lab.dns_admin() as admin:
        fault = admin.add_fault("blank", region.record, duration_s=blank_s)
        injected = time.monotonic()
        echo(f"record emptied ({fault['id']}, lifted by the server after {blank_s:g}s)")
        try:
            resolve_endpoint(lab.config, region)
            echo("unexpected: the name still resolved")
            failed = False
        except dns.resolver.NoAnswer:
            echo("a fresh lookup gets NOERROR with no addresses: new connections cannot be made")
            failed = True
        attempts = 0
        while True:
            attempts += 1
            try:
                endpoint = resolve_endpoint(lab.config, region)
                dynamodb_client(endpoint, region.region).get_item(
                    TableName=TABLE, Key={"pk": {"S": "order-1"}}
                )
                break
            except dns.exception.DNSException:
                if time.monotonic() - injected > blank_s + 10:
                    raise
                time.sleep(0.05)
        recovered_after = time.monotonic() - injected
    echo(
        f"client recovered {recovered_after:.2f}s after the record was emptied "
        f"({attempts} attempts, one every 50 ms)"
    )
    return {"blank_observed": failed, "recovered_after_s": recovered_after, "attempts": attempts}
