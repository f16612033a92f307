"""Reading a game-day plan the way experiments are read: every problem at once, each as
``file:line:col: field: message``. The experiments a plan names are loaded too, so a bad
experiment is caught when the plan is checked, not halfway through the game day."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from chaoskit._input import unusable
from chaoskit.documents import given_as
from chaoskit.experiment.load import (
    ExperimentInvalid,
    Problem,
    load_experiment,
    plain,
    problem_at,
    read_yaml_mapping,
    schema_problems,
)
from chaoskit.experiment.model import Experiment
from chaoskit.gameday.model import GameDayPlan
from chaoskit.lab.config import LabConfig

__all__ = ["LoadedPlan", "load_plan"]


class LoadedPlan:
    """A plan with its experiments loaded, paths resolved against the plan's directory."""

    def __init__(self, path: Path, plan: GameDayPlan, experiments: dict[str, Experiment]) -> None:
        self.path = path
        self.plan = plan
        self.experiments = experiments

    def experiment_path(self, step_name: str) -> Path:
        step = next(s for s in self.plan.steps if s.name == step_name)
        assert step.experiment is not None
        return (self.path.parent / step.experiment).resolve()


def load_plan(path: Path, config: LabConfig | None = None) -> LoadedPlan:
    file = str(path)
    root = read_yaml_mapping(path, "a game-day plan is a mapping with title, window, roles, steps")
    try:
        plan = GameDayPlan.model_validate(plain(root))
    except ValidationError as exc:
        if (misplaced := given_as(path, "game-day plan")) is not None:
            raise ExperimentInvalid([Problem(file, 1, 1, "(file)", misplaced)]) from None
        raise ExperimentInvalid(schema_problems(file, root, exc, GameDayPlan)) from None
    problems: list[Problem] = []
    experiments: dict[str, Experiment] = {}
    first_named: dict[str, int] = {}
    for i, step in enumerate(plan.steps):
        if step.name in first_named:
            problems.append(problem_at(file, root, ("steps", i, "name"),
                f"step name {step.name!r} is used twice (first by steps[{first_named[step.name]}])"
            ))  # fmt: skip
        first_named.setdefault(step.name, i)
        if step.experiment is None:
            continue
        target = (path.parent / step.experiment).resolve()
        why = unusable(target, "file")
        if why:
            problems.append(problem_at(file, root, ("steps", i, "experiment"), f"{target} {why}"))
            continue
        try:
            experiments[step.name] = load_experiment(target, config)
        except ExperimentInvalid as exc:
            problems.append(
                problem_at(file, root, ("steps", i, "experiment"),
                           f"{step.experiment} is not a valid experiment (see below)")
            )  # fmt: skip
            problems += exc.problems
    if problems:
        raise ExperimentInvalid(problems)
    return LoadedPlan(path, plan, experiments)
