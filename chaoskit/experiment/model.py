"""The experiment file, as pydantic models (``chaoskit schema`` exports their JSON Schema)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chaoskit.experiment.durations import Duration
from chaoskit.load import MAX_WEIGHT
from chaoskit.services.resilience.settings import ProfileName

__all__ = [
    "Experiment",
    "Lesson",
    "LoadSpec",
    "ManualStep",
    "Probe",
    "RecoverySpec",
    "Slo",
    "StackSpec",
    "SteadyState",
    "Step",
    "StopCondition",
    "Variant",
]

ProbeWhen = Literal["before", "during", "after"]
DEFAULT_WHEN: tuple[ProbeWhen, ...] = ("before", "after")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ServiceChoice(Strict):
    profile: ProfileName = "naive"
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="dotted settings, e.g. dns.serve_stale: false"
    )


class ResolverChoice(Strict):
    profile: ProfileName = "naive"
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="resolver settings, e.g. serve_expired: false"
    )


class LoadBalancerChoice(Strict):
    replicas: int = Field(default=3, ge=1, le=16, description="gateways behind it")


class StackSpec(Strict):
    backend: Literal["any", "local", "compose"] = Field(
        default="any",
        description="the backend the experiment needs; any: the lab that is up, else local",
    )
    profile: ProfileName = Field(
        default="naive", description="profile for every service not listed"
    )
    services: dict[str, ProfileName | ServiceChoice] = Field(default_factory=dict)
    resolver: ProfileName | ResolverChoice | None = Field(
        default=None,
        description="the lab resolver's profile (naive: Unbound's defaults; resilient: "
        "serve-expired and prefetch); unset: the stack's profile (local backend)",
    )
    load_balancer: bool | LoadBalancerChoice | None = Field(
        default=None,
        description="the sample load balancer (HAProxy, gateway replicas, its control plane) "
        "for this run: true or {replicas: N}; false: none; unset: as the lab file says "
        "(local backend)",
    )
    automation: Literal["off", "legacy", "safe"] = Field(
        default="off",
        description="run the DNS automation that keeps the us-east-1 record: legacy has the "
        "October 2025 race, safe compare-and-sets",
    )


class Slo(Strict):
    """Client-side objectives over a sliding window of samples."""

    error_rate_below: float = Field(default=0.01, ge=0, le=1)
    p95_below_ms: float | None = Field(
        default=300.0, gt=0, le=86_400_000, description="milliseconds, at most 24 hours"
    )
    window: Duration = Field(default=1.0, gt=0, description="the sliding window (> 0)")
    availability_target: float = Field(
        default=0.999,
        gt=0,
        lt=1,
        description="for the error budget: e.g. 0.999 allows 0.1 % errors",
    )


class Probe(Strict):
    """A steady-state check. ``http``: url/service+path and expected status; ``dns``: a record
    that must resolve; ``dynamodb``: a region whose table list must answer; ``slo``: the
    client SLOs over the recent window."""

    name: str
    type: Literal["http", "dns", "dynamodb", "slo"]
    when: list[ProbeWhen] = Field(default_factory=lambda: list(DEFAULT_WHEN))
    service: str | None = None
    path: str = "/health"
    url: str | None = None
    expect_status: int = Field(default=200, ge=100, le=599)
    record: str | None = None
    region: str | None = None
    timeout: Duration = Field(default=2.0, gt=0)
    interval: Duration = Field(default=1.0, description="how often a 'during' probe runs")

    @model_validator(mode="after")
    def _fields_for_type(self) -> Probe:
        if self.type == "http" and not (self.url or self.service):
            raise ValueError("an http probe needs service (and path) or url")
        if self.type == "dns" and not self.record:
            raise ValueError("a dns probe needs record")
        if self.type == "dynamodb" and not self.region:
            raise ValueError("a dynamodb probe needs region")
        return self


class SteadyState(Strict):
    slo: Slo = Slo()
    probes: list[Probe] = Field(default_factory=list)


class LoadSpec(Strict):
    locustfile: str = Field(default="builtin", description="'builtin' (the gateway mix) or a path")
    mix: (
        dict[Literal["read", "list", "write", "launch"], Annotated[int, Field(ge=0, le=MAX_WEIGHT)]]
        | None
    ) = Field(default=None, description="task weights, e.g. {read: 6, write: 2}, each 0-1000")
    users: int = Field(default=10, ge=1, le=10_000)
    spawn_rate: float = Field(default=10.0, gt=0)
    workers: int = Field(default=0, ge=0, le=64, description="Locust workers (0: one process)")
    host: str | None = Field(default=None, description="default: the gateway")
    warmup: Duration = 3.0
    pacing: Duration | None = Field(
        default=None, gt=0, le=3600,
        description="each user starts a request every pacing seconds, however long the last "
        "took (Locust's constant_pacing): users / pacing requests per second offered; "
        "default: a 0.05-0.2 s pause after each answer",
    )  # fmt: skip

    @field_validator("mix")
    @classmethod
    def _some_traffic(cls, mix: dict[str, int] | None) -> dict[str, int] | None:
        if mix is not None and not any(mix.values()):
            raise ValueError("every weight is 0, so no user would send a request")
        return mix


class ManualStep(Strict):
    prompt: str
    runbook: str = ""
    timeout: Duration = 60.0
    on_timeout: Literal["continue", "fail"] = "continue"
    unattended: Literal["automation.repair"] | None = Field(
        default=None,
        description="what an unattended run does in place of a person: automation.repair "
        "restores the record as the operators did",
    )


class Step(Strict):
    """One entry of the method: exactly one of fault, wait, probe, manual, rollback."""

    name: str | None = None
    at: Duration | None = Field(default=None, description="offset from the start of the method")
    fault: str | None = Field(default=None, description="a fault kind, e.g. dns.blank")
    target: str | None = None
    duration: Duration | None = None
    probability: float = Field(
        default=1.0, gt=0, le=1, description="share of queries or connections affected"
    )
    params: dict[str, Any] = Field(default_factory=dict)
    wait: Duration | None = None
    probe: Probe | None = None
    manual: ManualStep | None = None
    rollback: str | None = Field(default=None, description="a fault step's name, or 'all'")

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        actions = [
            a
            for a in ("fault", "wait", "probe", "manual", "rollback")
            if getattr(self, a) is not None
        ]
        if len(actions) != 1:
            found = ", ".join(actions) or "none"
            raise ValueError(
                f"a step needs exactly one of fault, wait, probe, manual, rollback (found {found})"
            )
        if self.fault is not None:
            if self.target is None:
                raise ValueError("a fault step needs target")
            if self.duration is None:
                raise ValueError("a fault step needs duration (every fault ends)")
        return self

    @property
    def action(self) -> str:
        return next(
            a
            for a in ("fault", "wait", "probe", "manual", "rollback")
            if getattr(self, a) is not None
        )


class StopCondition(Strict):
    name: str
    metric: Literal["error_rate", "p95_ms", "rps"]
    above: float | None = None
    below: float | None = None
    for_: Duration = Field(default=5.0, alias="for")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _a_bound(self) -> StopCondition:
        if (self.above is None) == (self.below is None):
            raise ValueError("a stop condition needs exactly one of above, below")
        side, bound = ("above", self.above) if self.above is not None else ("below", self.below)
        assert bound is not None
        top = 1.0 if self.metric == "error_rate" else math.inf  # error_rate: a share
        never = bound >= top if side == "above" else bound <= 0
        always = bound < 0 if side == "above" else bound > top
        if never or always:
            scale = "a share from 0 to 1" if top == 1 else "never below 0"
            verdict = "could never trip" if never else "always trips"
            raise ValueError(f"{side}: {self.metric} is {scale}, so {side} {bound:g} {verdict}")
        return self


class RecoverySpec(Strict):
    consecutive_samples: int = Field(default=10, ge=1, description="good samples in a row")
    timeout: Duration = 60.0


class StepChange(Strict):
    """What a variant changes in one named fault step."""

    params: dict[str, Any] = Field(default_factory=dict)
    """Parameters set over the step's own (e.g. a record's TTL 60 in one variant, 5 in another)."""


class Variant(Strict):
    """A way to run the same experiment: the stack it changes (a lesson's "off" and "on"),
    and the parameters of named fault steps."""

    profile: ProfileName | None = None
    services: dict[str, ProfileName | ServiceChoice] = Field(default_factory=dict)
    resolver: ProfileName | ResolverChoice | None = None
    automation: Literal["off", "legacy", "safe"] | None = None
    steps: dict[str, StepChange] = Field(default_factory=dict)

    def apply(self, stack: StackSpec) -> StackSpec:
        changes: dict[str, object] = {}
        if self.profile is not None:
            changes["profile"] = self.profile
        if self.services:
            changes["services"] = self.services
        if self.resolver is not None:
            changes["resolver"] = self.resolver
        if self.automation is not None:
            changes["automation"] = self.automation
        return stack.model_copy(update=changes)

    def apply_to_method(self, method: list[Step]) -> list[Step]:
        return [
            step.model_copy(update={"params": {**step.params, **self.steps[step.name].params}})
            if step.name in self.steps
            else step
            for step in method
        ]


class Lesson(Strict):
    """What a lesson experiment teaches, and the metrics that show it (for the suite table)."""

    text: str
    metrics: list[str] = Field(min_length=1)


class Experiment(Strict):
    title: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    stack: StackSpec = StackSpec()
    steady_state: SteadyState = SteadyState()
    load: LoadSpec | None = None
    method: list[Step] = Field(min_length=1)
    stop_conditions: list[StopCondition] = Field(default_factory=list)
    recovery: RecoverySpec = RecoverySpec()
    sample_hz: float = Field(default=10.0, ge=10, le=100)
    variants: dict[str, Variant] = Field(
        default_factory=dict, description="run once per variant by `chaoskit suite run`"
    )
    lesson: Lesson | None = None
    stages: list[str] = Field(
        default_factory=list, max_length=50,
        description="named steps that each begin a stage of the run, in method order; the "
        "report says how long each stage lasted for the clients and its outage",
    )  # fmt: skip

    def variant(self, name: str) -> Experiment:
        """This experiment with variant ``name`` applied to its stack and method."""
        variant = self.variants[name]
        stack, method = variant.apply(self.stack), variant.apply_to_method(self.method)
        return self.model_copy(update={"stack": stack, "method": method}, deep=True)
