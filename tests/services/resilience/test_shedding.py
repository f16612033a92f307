import asyncio

import aiohttp
from aiohttp import web

from chaoskit.services.metrics import ServiceMetrics
from chaoskit.services.resilience.shedding import shedding_middleware
from tests.helpers import free_port


def test_sheds_with_503_at_the_bound_and_serves_again_after() -> None:
    async def scenario() -> tuple[list[int], int, float]:
        release = asyncio.Event()
        metrics = ServiceMetrics("test")

        async def slow(_: web.Request) -> web.Response:
            await release.wait()
            return web.json_response({"ok": True})

        app = web.Application(middlewares=[shedding_middleware(2, metrics)])
        app.router.add_get("/slow", slow)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port(udp_too=False)
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}/slow"
        async with aiohttp.ClientSession() as session:

            async def get() -> int:
                async with session.get(url) as response:
                    return response.status

            held = [asyncio.create_task(get()) for _ in range(2)]
            await asyncio.sleep(0.2)
            extra = await asyncio.gather(*(get() for _ in range(3)))
            release.set()
            statuses = list(extra) + list(await asyncio.gather(*held))
            after = await get()
        await runner.cleanup()
        return statuses, after, metrics.registry.get_sample_value("chaoskit_shed_total") or 0

    statuses, after, shed = asyncio.run(scenario())
    assert statuses == [503, 503, 503, 200, 200]
    assert after == 200
    assert shed == 3
