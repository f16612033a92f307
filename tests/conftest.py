"""Fixtures for the whole suite, each defined once: the real lab and the real DNS server."""

pytest_plugins = [
    "pytester",
    "tests.dns.fixtures",
    "tests.lab.fixtures",
    "tests.lb.fixtures",
    "tests.load.fixtures",
    "tests.report.fixtures",
]
