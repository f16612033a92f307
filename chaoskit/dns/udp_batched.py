"""The UDP listener on Linux: a thread that answers up to 64 queries per pair of system calls.

One ``recvmmsg`` fills a batch, every cached answer is written in place over its query, and
one ``sendmmsg`` sends them all. Per query that leaves a dict lookup and two small copies in
Python, where an event-loop callback costs a receive, a send and the callback itself.

Queries the cache cannot answer go to the Responder, which is safe to call from this thread
(its lock keeps a half-made change from ever being served). Delayed answers are handed to the
event loop's timers, so a ``delay`` fault never holds up anyone else's answer.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from chaoskit.dns.mmsg import DatagramBatch
from chaoskit.dns.responder import Responder, malformed_reply

__all__ = ["BatchedUdpListener"]

log = logging.getLogger(__name__)


class BatchedUdpListener:
    """Serves DNS over UDP on ``sock`` from its own thread until ``close()``."""

    def __init__(self, sock: socket.socket, responder: Responder) -> None:
        self.sock = sock
        self.responder = responder
        self.loop = asyncio.get_running_loop()
        self.batch = DatagramBatch(sock)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dns-udp", daemon=True)

    @classmethod
    def bind(cls, host: str, port: int, responder: Responder) -> BatchedUdpListener:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
            listener = cls(sock, responder)
        except BaseException:
            sock.close()
            raise
        listener._thread.start()
        return listener

    def close(self) -> None:
        """Stop answering; returns once the thread is gone (within the 0.2 s receive wait)."""
        self._stopping.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        batch, cache = self.batch, self.responder.udp_cache
        count_source = self.responder.count_source
        while not self._stopping.is_set():
            try:
                count = batch.receive()
                for i in range(count):
                    count_source(batch.source_address(i))
                if count:
                    batch.answer(count, cache, self._answer_uncached)
            except Exception:  # a bug must cost one batch of answers, never the server
                log.exception("failed to answer a batch of UDP queries")

    def _answer_uncached(self, index: int, datagram: bytes, truncated: bool) -> bytes | None:
        if truncated:  # bigger than any query a client would send
            return malformed_reply(datagram)
        try:
            reply = self.responder.respond(datagram, tcp=False)
        except Exception:
            log.exception("failed to answer a %d-byte UDP packet", len(datagram))
            return None
        if reply.packet is None:
            return None
        if reply.delay_s > 0 or len(reply.packet) > self.batch.slot:
            sender = self.batch.sender(index)
            self.loop.call_soon_threadsafe(self._send_later, reply.delay_s, reply.packet, sender)
            return None
        return reply.packet

    def _send_later(self, delay_s: float, packet: bytes, sender: tuple[Any, ...]) -> None:
        self.loop.call_later(delay_s, self._send_now, packet, sender)

    def _send_now(self, packet: bytes, sender: tuple[Any, ...]) -> None:
        if self.sock.fileno() < 0:
            return  # closed while the answer was held back
        try:
            self.sock.sendto(packet, sender)
        except OSError as exc:
            log.debug("UDP send to %s failed: %s", sender, exc)
