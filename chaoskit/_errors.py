"""The errors chaoskit raises.

ChaoskitError                 base; ``exit_code`` says how the CLI exits
├── InvalidInput (2)          bad user input: file, line, field, what was expected
│   └── ZoneFileError         an RFC 1035 zone file that does not parse
├── ComponentError (1)        a lab component failed to start, stop or answer
│   └── PortInUse             a port the lab needs is already taken
├── ToxiproxyError (1)        the Toxiproxy API refused a call or did not answer
├── DnsAdminError (1)         the lab DNS server's admin API refused a call (2 if the
│                             request was bad: HTTP 400)
├── MissingDependency (1)     a binary or jar the lab needs is not installed
└── CommandNotRunnable (127)  `chaoskit exec`'s command is not found (126: not executable)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "ChaoskitError",
    "CommandNotRunnable",
    "ComponentError",
    "DnsAdminError",
    "InvalidInput",
    "MissingDependency",
    "PortInUse",
    "ToxiproxyError",
    "ZoneFileError",
    "describe_validation_error",
    "got",
]


class ChaoskitError(Exception):
    """Base of every error chaoskit raises on purpose."""

    exit_code = 1


class InvalidInput(ChaoskitError):
    """Input a user wrote is wrong; the message names where and what was expected."""

    exit_code = 2


class ZoneFileError(InvalidInput):
    """A zone file that cannot be served."""


class ComponentError(ChaoskitError):
    """A lab component did not start, answer or stop as it should."""

    def __init__(self, component: str, message: str, log_path: str | None = None) -> None:
        detail = f"{component}: {message}"
        if log_path:
            detail += f" (log: {log_path})"
        super().__init__(detail)
        self.component = component
        self.log_path = log_path


class PortInUse(ComponentError):
    """A port the lab wants is already bound by another process."""

    def __init__(self, component: str, address: str, port: int, owner: str | None) -> None:
        who = f" by {owner}" if owner else " by another process"
        super().__init__(component, f"{address}:{port} is already in use{who}")
        self.address = address
        self.port = port
        self.owner = owner


class ToxiproxyError(ChaoskitError):
    """The Toxiproxy API answered with an error or not at all."""


class DnsAdminError(ChaoskitError):
    """The lab DNS server's admin API answered with an error or not at all."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        if status == 400:  # the server found what it was asked to do invalid: bad input
            self.exit_code = InvalidInput.exit_code


class MissingDependency(ChaoskitError):
    """Something the lab needs is not installed; the message says how to install it."""


class CommandNotRunnable(ChaoskitError):
    """The command ``chaoskit exec`` was given cannot be run; exits as a shell would."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def describe_validation_error(exc: ValidationError, whole: str = "") -> str:
    """``field.path: message; ...`` for each error (``whole`` stands for an empty path)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or whole}: "
        f"{e['msg'].removeprefix('Value error, ')}{got(e)}"
        for e in exc.errors()
    )


SHAPE_ERRORS = ("_type", "_parsing", "greater_than", "greater_than_equal", "less_than",
                "less_than_equal", "finite_number", "int_from_float")  # fmt: skip
"""Pydantic's errors that say what a value should be, not what it was."""


def got(error: Any) -> str:
    """``, got VALUE`` for one of pydantic's errors that names only what was expected (``Input
    should be greater than 0``); empty for the others, whose message says it."""
    if not str(error["type"]).endswith(SHAPE_ERRORS):
        return ""
    value = error["input"]
    if isinstance(value, dict | list):
        return ", got a mapping" if isinstance(value, dict) else ", got a list"
    if value is None or isinstance(value, bool):
        return ", got " + ("null" if value is None else str(value).lower())
    text = repr(value)
    return ", got " + (text if len(text) <= 40 else text[:39] + "…")
