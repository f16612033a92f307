"""A game-day plan: when, who, why, and the sequence of experiments and manual steps.

title: DNS failure game day
window: {start: "2026-12-03 14:00", end: "2026-12-03 16:00", timezone: Europe/Berlin}
roles:
  owner: {name: Ana, contact: ana@example.com}
  coordinator: {name: Ben, contact: ben@example.com}
  reporter: {name: Cy}
  observers: [{name: Dee, contact: dee@example.com}]
objectives: [...]
hypotheses: [...]
watch: [what observers should watch]
abort_criteria: [when a person halts the game day]
stop_conditions: [...]   # machine-checked, added to every experiment
steps:
  - name: naive baseline
    experiment: ../experiments/dns-blackout.yaml
    profile: naive
    checkpoint: Dashboards green and the pager quiet?
    runbook: |
      ...
  - name: announce
    manual: Announce the start in #drill
    timeout: 5m
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, field_validator, model_validator

from chaoskit.experiment.durations import Duration
from chaoskit.experiment.model import StopCondition, Strict
from chaoskit.services.resilience.settings import ProfileName

__all__ = ["GameDayPlan", "GameDayStep", "Person", "Roles", "Window"]


class Person(Strict):
    name: str = Field(min_length=1)
    contact: str = ""


class Roles(Strict):
    owner: Person
    coordinator: Person
    reporter: Person
    observers: list[Person] = Field(default_factory=list)

    def everyone(self) -> list[tuple[str, Person]]:
        return [
            ("owner", self.owner),
            ("coordinator", self.coordinator),
            ("reporter", self.reporter),
            *[("observer", p) for p in self.observers],
        ]


class Window(Strict):
    start: datetime
    end: datetime
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():  # "America" is a tzdata folder, not a zone
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as Europe/Berlin)"
            ) from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end_at <= self.start_at:
            raise ValueError("the window ends before it starts")
        return self

    def _aware(self, moment: datetime) -> datetime:
        zone = ZoneInfo(self.timezone)
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)

    @property
    def start_at(self) -> datetime:
        return self._aware(self.start)

    @property
    def end_at(self) -> datetime:
        return self._aware(self.end)


class GameDayStep(Strict):
    """An experiment run with a profile, or a manual step; either may have a checkpoint."""

    name: str = Field(min_length=1)
    experiment: str | None = None
    profile: ProfileName | None = None
    manual: str | None = None
    timeout: Duration = 600.0
    checkpoint: str | None = None
    """A go/no-go question asked before the step."""
    runbook: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> GameDayStep:
        if (self.experiment is None) == (self.manual is None):
            raise ValueError("a step has exactly one of 'experiment' or 'manual'")
        if self.profile is not None and self.experiment is None:
            raise ValueError("'profile' applies to experiment steps only")
        return self


class GameDayPlan(Strict):
    title: str = Field(min_length=1)
    description: str = ""
    window: Window
    roles: Roles
    objectives: list[str] = Field(default_factory=list)
    hypotheses: list[str] = Field(default_factory=list)
    watch: list[str] = Field(default_factory=list)
    abort_criteria: list[str] = Field(default_factory=list)
    stop_conditions: list[StopCondition] = Field(default_factory=list)
    steps: list[GameDayStep] = Field(min_length=1)
    """Their names unique: ``load_plan`` says which step repeats a name, at its line."""
