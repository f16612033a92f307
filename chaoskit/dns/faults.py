"""DNS faults: what the server does wrong, to which names, and until when.

A fault is an envelope (kind, name pattern, probability, duration) plus the kind's own
parameters, validated in that order, like a Toxiproxy toxic. Faults never change the records:
they bend answers on the way out, so lifting one restores exactly what was served before.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chaoskit.dns.zone import normalise_name

__all__ = [
    "FAULT_KINDS",
    "MAX_DURATION_S",
    "DnsFault",
    "FaultSet",
    "FaultSpec",
    "is_pattern",
    "parse_fault_params",
]

MAX_DURATION_S = 24 * 3600.0
DEFAULT_DURATION_S = 300.0
OutcomeKind = Literal["blank", "nxdomain", "servfail", "refused", "drop"]


def is_pattern(name: str) -> bool:
    """Whether a fault's name is a glob (``*.lab.test``, ``dynamodb.us-east-?.lab.test``)
    rather than one name."""
    return any(char in name for char in "*?[")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NoParams(_Params):
    """Kinds that need nothing more than a name."""


class DelayParams(_Params):
    ms: float = Field(ge=0, le=60_000, description="added latency in milliseconds")
    jitter_ms: float = Field(default=0, ge=0, le=60_000, description="uniform +/- jitter")


class WrongIpParams(_Params):
    address: str | None = Field(
        default=None, description="the address to answer with; random in 127.240.0.0/12 if unset"
    )

    def model_post_init(self, __context: Any) -> None:
        if self.address is not None:
            address = ipaddress.ip_address(self.address)  # a ValueError with a clear message
            if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
                raise ValueError(
                    f"{self.address!r} has a zone index (%{address.scope_id}), which no DNS "
                    "answer can hold: give the address alone"
                )


class TtlParams(_Params):
    ttl: int = Field(ge=0, le=2_147_483_647, description="TTL to put on every record served")


class NegativeTtlParams(_Params):
    ttl: int = Field(
        ge=0, le=2_147_483_647,
        description="TTL and MINIMUM of the SOA in negative answers (RFC 2308: how long "
        "resolvers cache that the name has no such record)",
    )  # fmt: skip


class FlapParams(_Params):
    period_s: float = Field(gt=0, le=3600, description="seconds in each good or bad phase")
    bad: OutcomeKind = "blank"


_PARAMS_BY_KIND: dict[str, type[_Params]] = {
    "blank": NoParams,
    "nxdomain": NoParams,
    "servfail": NoParams,
    "refused": NoParams,
    "drop": NoParams,
    "delay": DelayParams,
    "wrong_ip": WrongIpParams,
    "ttl": TtlParams,
    "negative_ttl": NegativeTtlParams,
    "flap": FlapParams,
}
FAULT_KINDS = tuple(_PARAMS_BY_KIND)


class FaultSpec(BaseModel):
    """The envelope of a fault request, as the admin API and the CLI accept it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Annotated[str, Field(description="one of " + ", ".join(FAULT_KINDS))]
    name: Annotated[str, Field(min_length=1, max_length=255, description="name or glob")]
    probability: Annotated[float, Field(gt=0, le=1)] = 1.0
    duration_s: Annotated[float, Field(gt=0, le=MAX_DURATION_S)] = DEFAULT_DURATION_S
    params: dict[str, Any] = Field(default_factory=dict)
    actor: Annotated[str, Field(max_length=200)] = "api"
    id: Annotated[
        str | None,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$",
            description="the fault's id, chosen by the client so it can lift it without an answer"
            " (adding an id already in force changes nothing)",
        ),
    ] = None


def parse_fault_params(kind: str, params: dict[str, Any]) -> _Params:
    """Validate a kind's own parameters; an unknown kind is a ValueError listing known ones."""
    model = _PARAMS_BY_KIND.get(kind)
    if model is None:
        raise ValueError(f"unknown fault kind {kind!r}; known kinds: {', '.join(FAULT_KINDS)}")
    return TypeAdapter(model).validate_python(params)


@dataclass
class DnsFault:
    """An active fault: its spec, its validated parameters and its lifetime."""

    spec: FaultSpec
    params: Any
    id: str = field(default_factory=lambda: "dnsf-" + secrets.token_hex(4))
    created_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.monotonic)
    pattern: str = ""

    def __post_init__(self) -> None:
        self.pattern = normalise_name(self.spec.name)

    @property
    def expires_at(self) -> float:
        return self.created_at + self.spec.duration_s

    @property
    def expires_monotonic(self) -> float:
        return self.started + self.spec.duration_s

    @property
    def deterministic(self) -> bool:
        """True when every query gets the same answer, so the answer may be cached."""
        kind = self.spec.kind
        if self.spec.probability < 1 or kind in ("delay", "flap", "drop"):
            return False
        return not (kind == "wrong_ip" and self.params.address is None)

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.pattern)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.spec.kind,
            "name": self.spec.name,
            "probability": self.spec.probability,
            "duration_s": self.spec.duration_s,
            "params": self.params.model_dump(),
            "actor": self.spec.actor,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "remaining_s": max(0.0, self.expires_monotonic - time.monotonic()),
        }


class FaultSet:
    """The faults in force, oldest first."""

    def __init__(self) -> None:
        self._faults: dict[str, DnsFault] = {}

    def __len__(self) -> int:
        return len(self._faults)

    def add(self, spec: FaultSpec) -> DnsFault:
        params = parse_fault_params(spec.kind, spec.params)
        if spec.id is not None and spec.id in self._faults:
            return self._faults[spec.id]  # the client's retry of a fault already in force
        fault = DnsFault(spec=spec, params=params)
        if spec.id is not None:
            fault.id = spec.id
        self._faults[fault.id] = fault
        return fault

    def get(self, fault_id: str) -> DnsFault | None:
        return self._faults.get(fault_id)

    def remove(self, fault_id: str) -> DnsFault | None:
        return self._faults.pop(fault_id, None)

    def all(self) -> list[DnsFault]:
        return list(self._faults.values())

    def expired(self, now_monotonic: float) -> list[DnsFault]:
        return [f for f in self._faults.values() if f.expires_monotonic <= now_monotonic]

    def matching(self, name: str, now_monotonic: float) -> list[DnsFault]:
        return [
            f
            for f in self._faults.values()
            if f.expires_monotonic > now_monotonic and f.matches(name)
        ]
