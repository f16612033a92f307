"""Clients that reach the lab the way a service would: names through the lab DNS server."""

from __future__ import annotations

from typing import Any

import dns.resolver

from chaoskit.lab.config import DynamoRegion, LabConfig

__all__ = ["dynamodb_client", "lab_resolver", "resolve_endpoint"]


def lab_resolver(config: LabConfig, timeout_s: float = 1.0) -> dns.resolver.Resolver:
    """A resolver that asks only the lab DNS server, never the system's."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [config.dns.host]
    resolver.port = config.dns.port
    resolver.timeout = timeout_s
    resolver.lifetime = timeout_s
    resolver.cache = None
    return resolver


def resolve_endpoint(config: LabConfig, region: DynamoRegion) -> str:
    """``http://ADDRESS:PORT`` for a region's DynamoDB name, resolved through the lab DNS.

    Raises dns.resolver.NoAnswer when the record carries no addresses (the incident), or
    another dns.exception.DNSException when the lookup fails.
    """
    answer = lab_resolver(config).resolve(region.record, "A")
    return f"http://{answer[0].address}:{region.proxy.port}"


def dynamodb_client(endpoint_url: str, region: str, timeout_s: float = 2.0) -> Any:
    """A boto3 DynamoDB client with short timeouts and no hidden retries."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="chaoskit",
        aws_secret_access_key="chaoskit",
        config=Config(
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )
