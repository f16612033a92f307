"""How a sample service ends: its background tasks cancelled, and the process gone soon after
SIGTERM whatever those tasks do."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap

from chaoskit.services.base import cancel_tasks


def test_cancel_tasks_ends_when_its_caller_is_cancelled_even_if_a_task_ignores_it() -> None:
    async def scenario() -> None:
        ended = asyncio.Event()

        async def stubborn() -> None:
            while not ended.is_set():
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    continue

        task = asyncio.create_task(stubborn())
        cancelling = asyncio.create_task(cancel_tasks([task, None]))
        try:
            await asyncio.sleep(0.05)
            assert not cancelling.done()  # it waits for the task while it runs
            cancelling.cancel()
            await asyncio.wait([cancelling], timeout=2)
            assert cancelling.cancelled()
        finally:
            ended.set()  # the task may end now, and with it the wait if it did not
            task.cancel()
            await asyncio.wait([task, cancelling], timeout=2)
        assert task.done()

    asyncio.run(scenario())


SERVICE = textwrap.dedent(
    """
    import asyncio
    from aiohttp import web
    from chaoskit.services.base import cancel_tasks, run_app

    async def stubborn():
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    async def background():
        task = asyncio.create_task(stubborn())
        yield
        await cancel_tasks([task])

    run_app(web.Application(), "127.0.0.1", 0, background)
    """
)


def test_a_service_ends_on_sigterm_though_a_task_of_its_never_ends() -> None:
    service = subprocess.Popen(
        [sys.executable, "-c", SERVICE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert service.stdout is not None
    try:
        assert json.loads(service.stdout.readline())["event"] == "listening"
        service.send_signal(signal.SIGTERM)
        assert service.wait(10) == 0  # ended by itself, not by the kill below
    finally:
        service.kill()
        service.communicate()
