"""What a run asks of the lab before its method: each sample service's profile, the
resolver's, and the DNS name the recorder watches."""

from __future__ import annotations

from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.model import Experiment
from chaoskit.lab import catalogue
from chaoskit.lab.config import LabConfig
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile

__all__ = [
    "load_balancer_wanted",
    "resolver_profile",
    "run_config",
    "service_profiles",
    "watched_record",
]

DEFAULT_TARGETS = 3


def load_balancer_wanted(experiment: Experiment, configured: int | None) -> int | None:
    """The load balancer's targets for this run (None: none): the stack's choice, else
    what the lab file configured."""
    choice = experiment.stack.load_balancer
    if choice is None:
        return configured
    if isinstance(choice, bool):
        return (configured or DEFAULT_TARGETS) if choice else None
    return choice.replicas


def run_config(experiment: Experiment, config: LabConfig) -> LabConfig:
    """The lab as this run will have it: with or without the load balancer it asks for."""
    wanted = load_balancer_wanted(experiment, catalogue.load_balancer_targets(config))
    if wanted == catalogue.load_balancer_targets(config) or not config.sample_services:
        return config
    return config.with_load_balancer(wanted) if wanted else config.without_load_balancer()


def service_profiles(
    experiment: Experiment, config: LabConfig, profile: str | None
) -> dict[str, ServiceProfile]:
    """``profile`` (the run's ``--profile``) for every service, else each one's choice in
    the stack (a gateway replica's unless named: the gateway's), else the stack's profile."""
    stack = experiment.stack
    default = profile or stack.profile
    profiles: dict[str, ServiceProfile] = {}
    for name in catalogue.sample_services(config):
        choice = stack.services.get(name, stack.services.get(catalogue.sample_role(name)))
        if profile is not None or choice is None:
            profiles[name] = ServiceProfile(profile=default)  # type: ignore[arg-type]
        elif isinstance(choice, str):
            profiles[name] = ServiceProfile(profile=choice)
        else:
            profiles[name] = ServiceProfile(profile=choice.profile, overrides=choice.overrides)
    return profiles


def resolver_profile(experiment: Experiment, profile: str | None) -> ResolverProfile:
    """The stack's resolver profile; unset, the run's profile."""
    choice = experiment.stack.resolver
    if choice is None:
        return ResolverProfile(profile=profile or experiment.stack.profile)  # type: ignore[arg-type]
    if isinstance(choice, str):
        return ResolverProfile(profile=choice)
    return ResolverProfile(profile=choice.profile, overrides=choice.overrides)


def watched_record(experiment: Experiment, config: LabConfig) -> str:
    """The DNS name the recorder asks about: the first DNS fault's target, else the
    us-east-1 endpoint, else the first lab record."""
    for step in experiment.method:
        kind = REGISTRY.get(step.fault or "")
        if kind is not None and kind.family == "dns" and kind.target_patterns and step.target:
            return kind.canonical_target(step.target)
    records = [r for r, _ in catalogue.lab_records(config)]
    east = [r.record for r in config.regions if r.region == "us-east-1"]
    return (east or records or [config.zone])[0]
