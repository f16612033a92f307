"""UDP and TCP listeners that hand packets to a Responder and send what it returns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Any

from chaoskit.dns.responder import Responder

__all__ = ["TcpDnsHandler", "UdpDnsProtocol"]

log = logging.getLogger(__name__)
TCP_IDLE_TIMEOUT_S = 10.0
TCP_MAX_QUERIES_PER_CONNECTION = 1000


class UdpDnsProtocol(asyncio.DatagramProtocol):
    """One datagram in, at most one datagram out; the cached path is a single dict lookup."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.cache = responder.udp_cache
        self.transport: Any = None  # uvloop's UDP transport does not subclass asyncio's
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        transport = self.transport
        self.responder.count_source(addr[0])
        hit = self.cache.get(data[2:])
        if hit is not None:
            transport.sendto(data[:2] + hit, addr)
            return
        try:
            reply = self.responder.respond(data, tcp=False)
        except Exception:  # a bug must cost one answer, never the server
            log.exception("failed to answer a %d-byte UDP packet", len(data))
            return
        if reply.packet is None:
            return
        if reply.delay_s > 0:
            self.loop.call_later(reply.delay_s, transport.sendto, reply.packet, addr)
        else:
            transport.sendto(reply.packet, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)


class TcpDnsHandler:
    """Length-prefixed DNS over TCP (RFC 7766): several queries per connection, idle timeout."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else "unknown"
        try:
            for _ in range(TCP_MAX_QUERIES_PER_CONNECTION):
                async with asyncio.timeout(TCP_IDLE_TIMEOUT_S):
                    prefix = await reader.readexactly(2)
                (length,) = struct.unpack("!H", prefix)
                async with asyncio.timeout(TCP_IDLE_TIMEOUT_S):
                    data = await reader.readexactly(length)
                self.responder.count_source(source)
                reply = self.responder.respond(data, tcp=True)
                if reply.packet is None:
                    continue
                if reply.delay_s > 0:
                    await asyncio.sleep(reply.delay_s)
                for packet in (reply.packet, *reply.more):
                    writer.write(struct.pack("!H", len(packet)) + packet)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        except Exception:
            log.exception("TCP connection failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
