"""``chaoskit exec``: any command, with the lab resolver as its system resolver."""

from __future__ import annotations

import os
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
    from chaoskit._errors import CommandNotRunnable, ComponentError
    from chaoskit.lab.open import open_lab
    from chaoskit.lab.process import not_runnable
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
    cannot = not_runnable(command[0])
    if cannot is not None:  # exit as a shell would, with chaoskit's line, not the wrapper's
        raise CommandNotRunnable(cannot[1], cannot[0])
    argv = SystemResolver.for_lab(lab.config.resolver, lab.state_dir).wrap(list(command))
    os.execvp(argv[0], argv)


def register(app: typer.Typer) -> None:
    app.command(
        "exec",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(exec_command)
