"""The commented lab file ``chaoskit init`` writes."""

from __future__ import annotations

__all__ = ["STARTER"]

STARTER = """\
# chaoskit lab file: the system chaoskit brings up and breaks. `chaoskit schema lab` prints
# its JSON Schema; `chaoskit validate` checks it (every problem, file:line:col).
#
# Without services below, the lab runs chaoskit's sample stack (gateway, orders, fleet,
# status). Uncomment and edit to bring your own.
zone: lab.test                  # the lab's zone (any below a TLD); dependencies get NAME.<zone>
# zone_files: [extra.zone]      # more RFC 1035 zones the lab DNS server serves
# subnet: 127.0.10              # the lab's own components listen on SUBNET.0/24

dependencies:
  # Each dependency gets its own Toxiproxy proxy on a lab address and an A record
  # NAME.lab.test pointing at it, so DNS and network faults reach your service.
  # redis:
  #   upstream: 127.0.10.61:6390      # where the real thing listens (loopback or private)
  #   command: [redis-server, --port, "6390", --bind, 127.0.10.61, --save, ""]
  #   health: tcp                      # tcp, or http:/path
  dynamodb-us-east-1:
    dynamodb: {region: us-east-1}      # the built-in DynamoDB Local

services:
  # Your own service: started with the lab resolver as its system resolver, in its own
  # process group, its log in the state directory, stopped by `chaoskit down`.
  # api:
  #   command: [./api]                 # argv, relative to cwd
  #   cwd: .                           # relative to this file
  #   listen: 127.0.10.70:8080
  #   health: http:/healthz
  #   start_timeout: 20s
  #   env:
  #     REDIS_ADDR: "${dependencies.redis.host}:${dependencies.redis.port}"
  #     AWS_ENDPOINT_URL_DYNAMODB: "${dependencies.dynamodb-us-east-1.url}"
  #     AWS_REGION: us-east-1
  #     AWS_ACCESS_KEY_ID: lab
  #     AWS_SECRET_ACCESS_KEY: lab
  #   metrics: http://127.0.10.70:8080/metrics   # Prometheus series to record

# compose:                            # `chaoskit up --backend compose`: the same lab with
#   files: [docker-compose.yml]        # your services from your own compose files
#   services: [api]                    # services above that are compose services there
#   dependencies: {redis: "redis:6379"}   # and dependencies, with the port they serve on

# load:
#   host: "${services.api.url}"        # where load and the recorder's probe go
#   probe: /healthz
"""
