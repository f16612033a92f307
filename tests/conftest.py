"""Fixtures every test directory may use: the real lab and the real DNS server."""

from tests.dns.conftest import dns_server, server
from tests.lab.conftest import lab, lab_state_dir

__all__ = ["dns_server", "lab", "lab_state_dir", "server"]
