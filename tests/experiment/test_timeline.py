from chaoskit.experiment.model import Step
from chaoskit.experiment.timeline import plan


def step(**fields: object) -> Step:
    return Step.model_validate(fields)


def test_offsets_run_alongside_and_sequence_follows_the_previous_step() -> None:
    planned = plan(
        [
            step(at="5s", fault="dns.blank", target="x", duration="10s"),
            step(wait="2s"),
            step(fault="toxiproxy.latency", target="p", duration="3s"),
            step(probe={"name": "p", "type": "slo"}),
            step(at="30s", rollback="all"),
        ]
    )
    assert [(p.start_s, p.end_s) for p in planned] == [
        (5, 15), (5, 7), (7, 10), (10, 10), (30, 30),
    ]  # fmt: skip
    assert planned[0].label == "dns.blank on x"


def test_manual_step_is_planned_for_its_timeout() -> None:
    planned = plan([step(manual={"prompt": "look", "timeout": "20s"}), step(wait=1)])
    assert (planned[1].start_s, planned[1].end_s) == (20, 21)
