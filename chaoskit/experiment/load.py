"""Reading an experiment file: YAML, then the models, then references into the lab.

Every problem is reported as ``file:line:col: field: message`` and all of them at once.
"""

from __future__ import annotations

import difflib
import fnmatch
import types
import typing
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from chaoskit._errors import InvalidInput, got
from chaoskit._input import InputInvalid, Problem, read_text
from chaoskit._text import http_url_problem
from chaoskit._yaml import YamlMap, load_yaml, locate, user_path
from chaoskit.dns.faults import MAX_DURATION_S
from chaoskit.documents import given_as
from chaoskit.experiment.faults import (
    REGISTRY,
    AnyKind,
    InForce,
    carrier_held_down,
    unknown_kind_message,
)
from chaoskit.experiment.injection import EXPIRY_GRACE_S
from chaoskit.experiment.model import Experiment, Step
from chaoskit.experiment.run_setup import run_config
from chaoskit.experiment.timeline import late_steps, plan
from chaoskit.lab import catalogue
from chaoskit.lab.config import LabConfig, domain_name, in_zone, spells_domain_name

__all__ = [
    "ExperimentInvalid",
    "Problem",
    "load_experiment",
    "plain",
    "problem_at",
    "read_yaml_mapping",
    "schema_problems",
    "target_matches",
]

PROBE_URL = "http://127.0.10.30:8080/health"
LOAD_HOST = "http://127.0.10.30:8080"

Loc = tuple[int | str, ...]


ExperimentInvalid = InputInvalid
"""Every problem of an experiment (or a plan) file; the name the callers know."""


def _field_name(loc: Loc) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(file)"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that the mapping at ``loc`` is validated against (for key hints)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part)) or next(
                (f for f in current.model_fields.values() if f.alias == part), None
            )
            if field is None:
                if part[:1].isupper():
                    continue
                return None
            current = _unwrap(field.annotation)
        else:
            continue
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, dict, typing.Union, types.UnionType, typing.Annotated):
        for arg in reversed(typing.get_args(annotation)):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def schema_problems(
    file: str, root: Any, exc: ValidationError, model: type[BaseModel] = Experiment
) -> list[Problem]:
    """Each validation error of ``model`` at its line in the YAML, with key suggestions; of a
    union's branches, only those whose shape the value has (see ``_another_branch_fits``)."""
    problems = []
    fields = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        if loc[-1:] == ("[key]",):  # pydantic's mark of a mapping's key: the key is the field
            loc = loc[:-1]
        line, col = locate(root, loc)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            known = _keys_of(parent) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            message = f"unknown key {loc[-1]!r}" + (
                f" (did you mean {close[0]!r}?)" if close else ""
            )
            if known:
                message += f"; expected one of: {', '.join(known)}"
        elif error["type"] == "missing":
            message = f"missing required key {loc[-1]!r}"
            loc = loc[:-1] if len(loc) > 1 else loc
        elif error["type"] == "literal_error":
            message = f"{message}, got {error['input']!r}"
        else:
            message += got(error)
        loc = user_path(root, loc)
        problems.append(Problem(file, line, col, _field_name(loc), message))
        fields.append((error["type"], error["input"]))
    fields_given = Counter(problem.field for problem in problems)
    fields_above = {above for problem in problems for above in _fields_above(problem.field)}
    return [
        problem
        for problem, (kind, given) in zip(problems, fields, strict=True)
        if not _another_branch_fits(problem.field, kind, given, fields_given, fields_above)
    ]


def _fields_above(field: str) -> Iterator[str]:
    """``a.b[0].c`` -> ``a``, ``a.b``, ``a.b[0]``: the fields that hold it."""
    for at, char in enumerate(field):
        if char in ".[" and at:
            yield field[:at]


def _another_branch_fits(
    field: str, kind: str, given: Any, fields_given: Counter[str], fields_above: set[str]
) -> bool:
    """Whether a problem at ``field`` is a union branch's complaint that the value is not its
    shape while another branch took the value and says what is wrong with it: "a valid
    dictionary" beside "'naive' or 'resilient'" for a string; a scalar's complaint about a
    mapping whose keys the model branch reports on."""
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return fields_given[field] > 1
    return isinstance(given, dict | list) and field in fields_above


def target_matches(target: str, known: list[str], patterns: bool) -> bool:
    """Whether ``target`` names one of ``known`` (as a glob in any letter case, for kinds
    that take patterns: DNS names)."""
    if not patterns:
        return target in known
    wanted = target.lower() if target.endswith(".") else target.lower() + "."
    return any(fnmatch.fnmatchcase(name, wanted) for name in known)


def _names_used_twice(experiment: Experiment) -> list[tuple[Loc, str]]:
    """A probe's name (steady state and method) and a stop condition's are each used once:
    the reports key their results by it, so a second probe of the same name would stand in
    for the first (a passing one hiding a failing one)."""
    probes: list[tuple[Loc, str]] = [
        (("steady_state", "probes", j, "name"), probe.name)
        for j, probe in enumerate(experiment.steady_state.probes)
    ]
    probes += [(("method", i, "probe", "name"), step.probe.name)
               for i, step in enumerate(experiment.method) if step.probe is not None]  # fmt: skip
    stops: list[tuple[Loc, str]] = [
        (("stop_conditions", k, "name"), stop.name)
        for k, stop in enumerate(experiment.stop_conditions)
    ]
    problems: list[tuple[Loc, str]] = []
    for what, named in (("probe", probes), ("stop condition", stops)):
        seen: set[str] = set()
        for where, name in named:
            if name in seen:
                problems.append((where, f"{what} name {name!r} is used twice"))
            seen.add(name)
    return problems


def _put_in_while_its_carrier_is_down(experiment: Experiment) -> list[tuple[Loc, str]]:
    """A fault cannot go in while another of the method holds its carrier down (a DNS fault
    while the DNS server is paused or killed): its injection would wait out the server's
    timeouts and fail the run, holding the other fault past its time meanwhile."""
    planned = plan(experiment.method)
    faults = [p for p in planned if p.step.fault is not None]
    ends = {p.index: p.end_s for p in faults}
    for rollback in (p for p in planned if p.step.rollback is not None):
        for held in (f for f in faults if f.index < rollback.index):
            if rollback.step.rollback in ("all", held.step.name):
                ends[held.index] = min(ends[held.index], rollback.start_s)
    problems: list[tuple[Loc, str]] = []
    for step, holder in ((s, h) for s in faults for h in faults if h is not s):
        fault = _in_force(step.step)
        if not carrier_held_down(fault, [_in_force(holder.step)]):
            continue
        start, end = holder.start_s, ends[holder.index]
        first = holder.index < step.index  # of two at one instant, the one listed first
        if start < step.start_s < end or (first and start == step.start_s < end):
            down = holder.step.target
            how = "acts on it" if fault.target == down else f"goes in through {down}"
            problems.append((("method", step.index, "at" if step.step.at is not None else "fault"),
                f"{step.label} goes in at {step.start_s:g}s, while step {holder.index} "
                f"({holder.label}) holds {down} down ({start:g}s to {end:g}s), and the fault "
                f"{how}: start it " + (f"before {start:g}s or " if start > 0 else "")
                + f"from {end:g}s"))  # fmt: skip
    return problems


def _in_force(step: Step) -> InForce:
    return InForce(step.fault or "", step.target or "", step.params)


def _stage_problems(experiment: Experiment) -> list[tuple[Loc, str]]:
    """Each stage names a step, once, and the stages follow the method's order."""
    starts = {p.step.name: p.start_s for p in plan(experiment.method) if p.step.name}
    problems: list[tuple[Loc, str]] = []
    seen: set[str] = set()
    previous = -1.0
    for i, name in enumerate(experiment.stages):
        if name not in starts:
            named = ", ".join(starts) or "none (give steps a name)"
            problems.append((("stages", i), f"no step named {name!r}; named steps: {named}"))
        elif name in seen:
            problems.append((("stages", i), f"stage {name!r} is named twice"))
        elif starts[name] < previous:
            problems.append((("stages", i), f"stage {name!r} starts before the stage above it"))
        else:
            previous = starts[name]
        seen.add(name)
    return problems


def _syntax_error(locustfile: Path) -> str | None:
    """Why Python would not compile ``locustfile`` (it is not run: its imports are its own
    business), or None; one over a megabyte is left to Locust."""
    try:
        if locustfile.stat().st_size > 1 << 20:
            return None
        with warnings.catch_warnings():  # an invalid escape in it is Locust's to warn of
            warnings.simplefilter("ignore")
            compile(locustfile.read_bytes(), str(locustfile), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"not Python: {exc.msg} at line {exc.lineno}"
    except (OSError, ValueError) as exc:
        return f"cannot be read as Python: {exc}"
    return None


def _probabilistic_kinds() -> str:
    """The kinds that take a probability, by family: ``dns.* (not dns.enactor_delay)``."""
    families: dict[str, list[AnyKind]] = {}
    for kind in REGISTRY.values():
        families.setdefault(kind.family, []).append(kind)
    said = []
    for family, kinds in families.items():
        if any(k.probabilistic for k in kinds):
            others = [k.kind for k in kinds if not k.probabilistic]
            said.append(f"{family}.*" + (f" (not {', '.join(others)})" if others else ""))
    return ", ".join(said)


def _no_targets(kind: AnyKind) -> str:
    if kind.family == "lb":
        return ("this lab has no load balancer: set stack.load_balancer: true (or "
                "load_balancer: in the lab file)")  # fmt: skip
    return "this lab has none"


def _reference_problems(
    file: str, root: Any, experiment: Experiment, config: LabConfig, variants: bool = True
) -> list[Problem]:
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> None:
        problems.append(problem_at(file, root, loc, message))

    backend = experiment.stack.backend
    checked_on = backend if backend != "any" else (config.up_on or "local")
    if experiment.stack.load_balancer not in (None, False) and not config.sample_services:
        problem(("stack", "load_balancer"), "the load balancer fronts the sample gateway; "
                "this lab runs no sample services")  # fmt: skip
    load = experiment.load
    if load is not None and load.pacing is not None and load.locustfile != "builtin":
        problem(("load", "pacing"),
                "pacing paces the builtin locustfile; yours sets its own wait_time")  # fmt: skip
    if load is not None and load.locustfile != "builtin":
        locustfile = Path(file).parent / load.locustfile
        if not locustfile.is_file():
            problem(("load", "locustfile"),
                    f"{load.locustfile!r}: no such file; expected 'builtin' or a locustfile's "
                    f"path relative to the experiment file ({locustfile.resolve()})")  # fmt: skip
        elif syntax := _syntax_error(locustfile):
            problem(("load", "locustfile"), f"{load.locustfile!r}: {syntax}")
    if (
        load is not None
        and load.host is not None
        and (bad := http_url_problem(load.host, LOAD_HOST))
    ):
        problem(("load", "host"), bad)
    config = run_config(experiment, config)  # the targets as the run will have them
    samples = catalogue.sample_services(config)
    known_samples = ", ".join(samples) or "none (this lab runs no sample services)"
    for name in experiment.stack.services:
        if name not in samples:
            problem(("stack", "services", name),
                    f"no service {name!r}; known: {known_samples}")  # fmt: skip
    problems += _override_problems(file, root, ("stack",), experiment.stack)
    fault_names: set[str] = set()
    earlier_faults: set[str] = set()
    for i, step in enumerate(experiment.method):
        if step.name:
            if step.name in fault_names:
                problem(("method", i, "name"), f"step name {step.name!r} is used twice")
            fault_names.add(step.name)
        if step.fault is not None:
            kind = REGISTRY.get(step.fault)
            if kind is None:
                problem(("method", i, "fault"), unknown_kind_message(step.fault))
                continue
            if checked_on not in kind.backends:
                problem(
                    ("method", i, "fault"),
                    f"{step.fault} needs backend {' or '.join(kind.backends)}; "
                    + _backend_advice(backend, config.up_on, kind.backends[0]),
                )
            known = kind.targets(config)
            patterns = kind.target_patterns
            if step.target is not None and not target_matches(step.target, known, patterns):
                close = difflib.get_close_matches(step.target, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                choices = f"known: {', '.join(known)}" if known else _no_targets(kind)
                problem(
                    ("method", i, "target"),
                    f"{step.target!r} is not a target of {step.fault}{hint}; {choices}",
                )
            problems.extend(_param_problems(file, root, ("method", i, "params"), kind, step.params))
            for where, message in _lab_limits(kind, step, config):
                problem(("method", i, *where), message)
            if step.probability < 1 and not kind.probabilistic:
                problem(("method", i, "probability"),
                        f"{step.fault} acts on all of its target, so a probability would be "
                        "ignored; it is a share of queries or connections for "
                        f"{_probabilistic_kinds()}")  # fmt: skip
        if step.fault == "load.surge" and experiment.load is None:
            problem(("method", i, "fault"), "load.surge surges the experiment's load: "
                    "this experiment has no load: section")  # fmt: skip
        if step.fault == "dns.enactor_delay" and experiment.stack.automation == "off":
            problem(("method", i, "fault"),
                    "dns.enactor_delay needs the DNS automation: set stack.automation "
                    "to legacy or safe")  # fmt: skip
        if (
            step.manual is not None
            and step.manual.unattended == "automation.repair"
            and experiment.stack.automation == "off"
        ):
            problem(("method", i, "manual", "unattended"),
                    "automation.repair needs stack.automation: legacy or safe")  # fmt: skip
        if step.rollback not in (None, "all") and step.rollback not in earlier_faults:
            problem(("method", i, "rollback"), f"no earlier fault step named {step.rollback!r}")
        if step.fault is not None and step.name:
            earlier_faults.add(step.name)
        if step.probe is not None:
            problems.extend(_probe_problems(file, root, ("method", i, "probe"), step.probe, config))
    for index, at, soonest in late_steps(experiment.method):
        problem(("method", index, "at"),
                f"{at:g}s is before this step can begin: the steps listed before it take the "
                f"method to {soonest:g}s, and steps run in the order listed (list it before "
                f"them, or give it an at of {soonest:g}s or later)")  # fmt: skip
    for where, message in [
        *_stage_problems(experiment), *_names_used_twice(experiment),
        *_put_in_while_its_carrier_is_down(experiment),
    ]:  # fmt: skip
        problem(where, message)
    fault_steps = {s.name: s for s in experiment.method if s.name and s.fault}
    for variant_name, variant in experiment.variants.items():
        for name in variant.services:
            if name not in samples:
                problem(("variants", variant_name, "services", name),
                        f"no service {name!r}; known: {known_samples}")  # fmt: skip
        for name, change in variant.steps.items():
            loc: Loc = ("variants", variant_name, "steps", name)
            changed = fault_steps.get(name)
            if changed is None:
                problem(loc, f"no fault step named {name!r}; named fault steps: "
                        f"{', '.join(fault_steps) or 'none'}")  # fmt: skip
                continue
            kind = REGISTRY.get(changed.fault or "")
            if kind is not None:
                problems.extend(_param_problems(
                    file, root, (*loc, "params"), kind, {**changed.params, **change.params}
                ))  # fmt: skip
    if variants and not problems:
        problems += _variant_problems(file, root, experiment, config)
    if experiment.lesson is not None:
        from chaoskit.report.definitions import HEADLINE

        known = [m.key for m in HEADLINE]
        for k, metric in enumerate(experiment.lesson.metrics):
            if metric not in known:
                problem(
                    ("lesson", "metrics", k),
                    f"unknown metric {metric!r}; known: {', '.join(known)}",
                )
    for j, probe in enumerate(experiment.steady_state.probes):
        problems.extend(_probe_problems(file, root, ("steady_state", "probes", j), probe, config))
    return problems


def _override_problems(file: str, root: Any, at: Loc, stack: Any) -> list[Problem]:
    """Each service's and the resolver's overrides as the lab would apply them."""
    from chaoskit.resolver.settings import ResolverProfile
    from chaoskit.services.resilience.settings import ServiceProfile

    problems = []
    chosen: list[tuple[Loc, Any]] = [
        ((*at, "services", name, "overrides"), ServiceProfile(**choice.model_dump()))
        for name, choice in stack.services.items()
        if not isinstance(choice, str)
    ]
    if stack.resolver is not None and not isinstance(stack.resolver, str):
        chosen.append(
            ((*at, "resolver", "overrides"), ResolverProfile(**stack.resolver.model_dump()))
        )
    for loc, profile in chosen:
        try:
            profile.resolve()
        except InvalidInput as exc:
            problems.append(problem_at(file, root, loc, str(exc)))
    return problems


def _variant_problems(
    file: str, root: Any, experiment: Experiment, config: LabConfig
) -> list[Problem]:
    """Each variant run as the suite would run it: a variant that contradicts its own steps
    (automation off under an Enactor delay, a backend its faults cannot use) is refused."""
    problems = []
    for name in experiment.variants:
        varied = experiment.variant(name)
        for found in _reference_problems(file, root, varied, config, variants=False):
            message = f"variant {name!r} makes {found.field} wrong: {found.message}"
            problems.append(problem_at(file, root, ("variants", name), message))
    return problems


def _lab_limits(kind: AnyKind, step: Any, config: LabConfig) -> list[tuple[Loc, str]]:
    """What the lab would refuse at injection, found before anything is injected."""
    found: list[tuple[Loc, str]] = []
    if kind.expiry == "dns-server" and (step.duration or 0) + EXPIRY_GRACE_S > MAX_DURATION_S:
        longest = MAX_DURATION_S - EXPIRY_GRACE_S
        found.append((("duration",), f"a DNS fault lasts at most {longest:g}s (the DNS server "
                      f"ends every fault within {MAX_DURATION_S / 3600:g} h)"))  # fmt: skip
    if kind.kind == "dns.failover":
        to = step.params.get("to")
        with_address = [r for r, _ in catalogue.lab_records(config)] + [f"ns1.{config.zone}"]
        named = isinstance(to, str) and spells_domain_name(to.lower())  # else: a param problem
        if named and domain_name(to) not in with_address:
            found.append((("params", "to"), f"{to!r} has no A record in the lab to fail over "
                          f"to; names with one: {', '.join(with_address)}"))  # fmt: skip
    return found


def _param_problems(
    file: str, root: Any, loc: Loc, kind: AnyKind, params: dict[str, Any]
) -> list[Problem]:
    try:
        kind.params.model_validate(params)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                takes = ", ".join(kind.params.model_fields) or "none"
                message = f"unknown parameter; {kind.kind} takes: {takes}"
            problems.append(problem_at(file, root, (*loc, *error["loc"]), message))
        return problems
    return []


def _probe_problems(file: str, root: Any, loc: Loc, probe: Any, config: LabConfig) -> list[Problem]:
    checks = [
        ("service", probe.service, catalogue.service_names(config)),
        ("region", probe.region, [r.region for r in config.regions]),
    ]
    problems = []
    for key, value, known in checks:
        if value is not None and value not in known:
            message = f"no {key} {value!r}; known: {', '.join(known)}"
            problems.append(problem_at(file, root, (*loc, key), message))
    for key, message in _probe_address_problems(probe, config):
        problems.append(problem_at(file, root, (*loc, key), message))
    return problems


def _probe_address_problems(probe: Any, config: LabConfig) -> list[tuple[str, str]]:
    """Where a probe asks, checked now: at run time a bad one fails every probe, or the run."""
    found = []
    if probe.url is not None and (problem := http_url_problem(probe.url, PROBE_URL)):
        found.append(("url", problem))
    if probe.type == "http" and probe.url is None and not probe.path.startswith("/"):
        found.append(
            ("path", f"expected a path starting with '/', e.g. /health; got {probe.path!r}")
        )
    if probe.record is not None:
        import dns.exception
        import dns.name

        try:
            name = dns.name.from_text(probe.record).to_text().lower()
        except dns.exception.DNSException as exc:
            found.append(("record", f"{probe.record!r} is not a domain name: {exc}"))
        else:
            only_the_lab_zone = not config.zone_files and not config.dns_attach
            if only_the_lab_zone and not in_zone(name, config.zone):
                found.append(("record", f"{probe.record!r} is outside the lab's zone "
                              f"{config.zone} (the probe asks the lab's DNS server, which "
                              "answers for its zone only)"))  # fmt: skip
    return found


def read_yaml_mapping(path: Path, what: str) -> YamlMap:
    """The YAML mapping in ``path`` with line numbers kept, or ExperimentInvalid."""
    root = load_yaml(read_text(path), str(path))
    if not isinstance(root, YamlMap):
        raise ExperimentInvalid([Problem(str(path), 1, 1, "(file)", what)])
    return root


def problem_at(file: str, root: Any, loc: Loc, message: str) -> Problem:
    line, col = locate(root, loc)
    return Problem(file, line, col, _field_name(loc), message)


def load_experiment(
    path: Path, config: LabConfig | None = None, backend: str | None = None
) -> Experiment:
    """The experiment in ``path``, or ExperimentInvalid listing every problem; ``backend``
    (local or compose: ``run --backend``) stands for its ``stack.backend``, and its faults
    are checked against it."""
    file = str(path)
    config = config or LabConfig()
    root = read_yaml_mapping(path, "an experiment is a mapping with title and method")
    try:
        experiment = Experiment.model_validate(plain(root))
    except ValidationError as exc:
        if (misplaced := given_as(path, "experiment")) is not None:
            raise ExperimentInvalid([Problem(file, 1, 1, "(file)", misplaced)]) from None
        raise ExperimentInvalid(schema_problems(file, root, exc)) from None
    if backend in ("local", "compose"):
        experiment.stack.backend = backend  # type: ignore[assignment]
    problems = _reference_problems(file, root, experiment, config)
    if problems:
        raise ExperimentInvalid(problems)
    return experiment


def _backend_advice(backend: str, up_on: str | None, needed: str) -> str:
    """What to do about a fault the backend cannot run: ``any`` runs on the lab up, or on
    a new local one."""
    if backend != "any":
        return f"this stack is {backend}"
    if up_on is not None:
        return (
            f"the lab up here is on the {up_on} backend (`chaoskit down`, then "
            f"`chaoskit up --backend {needed}`)"
        )
    return f"set stack.backend: {needed}"


def plain(node: Any) -> Any:
    """Round-trip YAML nodes as plain dicts and lists, for pydantic."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
