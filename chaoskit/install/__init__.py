"""Finding and installing the real components the lab runs: Toxiproxy and DynamoDB Local."""

from __future__ import annotations

from chaoskit.install.dynamodb_local import (
    DYNAMODB_LOCAL_VERSION,
    DynamoDBLocalInstall,
    find_dynamodb_local,
    install_dynamodb_local,
)
from chaoskit.install.toxiproxy import (
    TOXIPROXY_VERSION,
    find_toxiproxy,
    install_toxiproxy,
)

__all__ = [
    "DYNAMODB_LOCAL_VERSION",
    "TOXIPROXY_VERSION",
    "DynamoDBLocalInstall",
    "find_dynamodb_local",
    "find_toxiproxy",
    "install_dynamodb_local",
    "install_toxiproxy",
]
