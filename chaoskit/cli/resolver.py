"""``chaoskit exec``: any command, with the lab resolver as its system resolver."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def exec_command(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(help="The command and its arguments, after --.")],
) -> None:
    """Run COMMAND with the lab resolver as its system resolver (lab names resolve).

    Only that process (and its children) sees the lab: it runs in its own mount namespace in
    which /etc/resolv.conf names the lab resolver. Its exit status is chaoskit's.

    Example: chaoskit exec -- aws dynamodb list-tables --endpoint-url http://dynamodb.us-east-1.lab.test:8000
    """
    from chaoskit._errors import ComponentError
    from chaoskit.lab.open import open_lab
    from chaoskit.lab.system_resolver import SystemResolver

    lab = open_lab(ctx.obj["state_dir"], "auto", auto_default="local")
    lab.refresh()
    record = lab.state.components.get("resolver")
    if record is None:
        raise ComponentError("resolver", "is not running: start the lab with `chaoskit up`")
    if lab.backend == "compose":
        raise ComponentError(
            "resolver",
            f"is published on {lab.config.resolver} by the compose backend, a port "
            "/etc/resolv.conf cannot name; chaoskit exec needs the local backend (the compose "
            "lab's containers already resolve through it)",
        )
    _check_runnable(command[0])
    argv = SystemResolver.for_lab(lab.config.resolver, lab.state_dir).wrap(list(command))
    os.execvp(argv[0], argv)


def _check_runnable(program: str) -> None:
    """Exit 127 (126) as a shell does when ``program`` is not found (not executable), with
    chaoskit's own one line, rather than the wrapper's."""
    import shutil

    from chaoskit._errors import CommandNotRunnable

    if shutil.which(program) is not None:
        return
    if "/" in program and Path(program).is_dir():
        raise CommandNotRunnable(f"{program}: is a directory", 126)
    if "/" in program and Path(program).exists():
        raise CommandNotRunnable(f"{program}: not executable (chmod +x)", 126)
    where = "no such file" if "/" in program else "command not found on PATH"
    raise CommandNotRunnable(f"{program}: {where}", 127)


def register(app: typer.Typer) -> None:
    app.command(
        "exec",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(exec_command)
