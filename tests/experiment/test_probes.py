"""The steady-state probes against what they ask: the ``dns`` probe on the real DNS server."""

from __future__ import annotations

from chaoskit.experiment.model import Probe
from chaoskit.experiment.probes import run_probe
from chaoskit.lab.config import Endpoint, LabConfig
from tests.dns.fixtures import DnsServer


def _dns_probe(server: DnsServer, record: str) -> tuple[bool, str]:
    config = LabConfig().model_copy(update={"dns": Endpoint(host=server.host, port=server.port)})
    probe = Probe(name="resolves", type="dns", record=record)
    result = run_probe(probe, config, "during", 0.0, lambda: None)
    return result.ok, result.detail


def test_a_dns_probe_passes_on_addresses_and_fails_on_an_alias_that_leads_to_none(
    server: DnsServer,
) -> None:
    """The probe counted answers: an alias whose record was blanked answered with its CNAME
    alone (or, before, with the record's address as zoned) and the probe passed."""
    assert _dns_probe(server, "www.zone.test") == (True, "www.zone.test: NOERROR, 1 addresses")
    assert _dns_probe(server, "alias.zone.test") == (
        True, "alias.zone.test: NOERROR, 1 addresses"
    )  # fmt: skip
    with server.admin() as admin:
        admin.add_fault("blank", "www.zone.test", duration_s=30)
        assert _dns_probe(server, "www.zone.test") == (False, "www.zone.test: NOERROR, 0 addresses")
        assert _dns_probe(server, "alias.zone.test") == (
            False, "alias.zone.test: NOERROR, 0 addresses"
        )  # fmt: skip
