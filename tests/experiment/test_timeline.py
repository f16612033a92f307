from chaoskit.experiment.model import Step
from chaoskit.experiment.timeline import late_steps, plan


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


def test_a_step_whose_at_the_steps_before_it_outlast_is_late() -> None:
    """Steps run in the order listed: a load.surge at 1s listed after a pause at 1.5s was
    injected at 1.5s, and nothing said so."""
    assert late_steps(
        [
            step(at="1.5s", fault="process.pause", target="orders", duration="1s"),
            step(at="1s", fault="load.surge", target="load", duration="2s"),
            step(fault="dns.blank", target="x", duration="10s"),  # holds until 11.5s
            step(at="5s", fault="dns.servfail", target="x", duration="1s"),
            step(wait="1s"),  # from 11.5s
            step(at="12.5s", rollback="all"),  # on time
            step(manual={"prompt": "look", "timeout": "60s"}),  # may be answered at once
            step(at="13s", fault="dns.drop", target="x", duration="1s"),
        ]
    ) == [(1, 1.0, 1.5), (3, 5.0, 11.5)]
    assert (
        late_steps(  # 0.1 + 0.2 is 0.30000000000000004, and 0.3 is on time
            [
                step(wait="0.1s"),
                step(fault="dns.blank", target="x", duration="0.2s"),
                step(at="0.3s", fault="dns.drop", target="x", duration="1s"),
            ]
        )
        == []
    )
