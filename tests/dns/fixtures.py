"""A real lab DNS server process serving a test zone, shared by the DNS tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from chaoskit.dns.client import DnsAdminClient
from chaoskit.dns.mmsg import MMSG_AVAILABLE
from chaoskit.lab.health import dns_answers, wait_until
from tests.helpers import free_port

BIG_TXT = " ".join(f'"{i:02d}-' + "x" * 60 + '"' for i in range(40))
TEST_ZONE = f"""$ORIGIN zone.test.
$TTL 300
@         IN SOA   ns1 hostmaster ( 2026112201 3600 600 86400 30 )
@         IN NS    ns1
ns1       IN A     127.0.0.1
www       IN A     127.0.0.10
www       IN AAAA  ::1
alias     IN CNAME www
_svc._tcp IN SRV   10 5 8000 www
txt       IN TXT   "v=chaoskit" "second string"
big       IN TXT   {BIG_TXT}
a.b.deep  IN A     127.0.0.2
*.wild    IN A     127.0.0.3
child     IN NS    ns.child
ns.child  IN A     127.0.0.4
"""


@dataclass
class DnsServer:
    host: str
    port: int
    admin_url: str
    token: str
    zone_file: Path
    process: subprocess.Popen[bytes]

    def query(
        self, name: str, rtype: str = "A", tcp: bool = False, tries: int = 1, **kwargs: object
    ) -> dns.message.Message:
        """``tries`` > 1 asks again after a lost datagram, as a stub resolver does (dig: 3)."""
        message = dns.message.make_query(name, rtype, **kwargs)  # type: ignore[arg-type]
        if tcp:
            return dns.query.tcp(message, self.host, port=self.port, timeout=2)
        for _ in range(tries - 1):
            with contextlib.suppress(dns.exception.Timeout):
                return dns.query.udp(message, self.host, port=self.port, timeout=1)
        return dns.query.udp(message, self.host, port=self.port, timeout=2)

    def admin(self, token: str | None = None) -> DnsAdminClient:
        return DnsAdminClient(self.admin_url, token or self.token, actor="pytest")


@pytest.fixture(scope="session", params=["batched", "loop"])
def dns_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DnsServer]:
    """The server with each UDP listener: batched system calls (Linux) and the event loop."""
    if request.param == "batched" and not sys.platform.startswith("linux"):
        pytest.skip("recvmmsg/sendmmsg are Linux-only")
    assert request.param == "loop" or MMSG_AVAILABLE, "Linux without recvmmsg/sendmmsg?"
    workdir = tmp_path_factory.mktemp(f"dns-{request.param}")
    zone_file = workdir / "zone.test.zone"
    zone_file.write_text(TEST_ZONE)
    host, port, admin_port = "127.0.0.1", free_port(), free_port(udp_too=False)
    token_file = workdir / "token"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "chaoskit", "dns", "serve", "--zone", str(zone_file),
            "--listen", host, "--port", str(port), "--admin-port", str(admin_port),
            "--token-file", str(token_file), "--event-log", str(workdir / "events.jsonl"),
            "--udp", request.param,
        ],
        stdout=(workdir / "server.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        answering = wait_until(lambda: dns_answers(host, port, "zone.test."), 15)
        assert answering, (workdir / "server.log").read_text()
        yield DnsServer(
            host, port, f"http://{host}:{admin_port}", token_file.read_text().strip(), zone_file,
            process,
        )  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(dns_server: DnsServer) -> Iterator[DnsServer]:
    """The shared server, with every fault lifted after the test."""
    yield dns_server
    with dns_server.admin() as admin:
        admin.lift_all()
