"""Fixtures for the whole suite, each defined once: the real lab and the real DNS server."""

pytest_plugins = ["tests.dns.fixtures", "tests.lab.fixtures", "tests.report.fixtures"]
