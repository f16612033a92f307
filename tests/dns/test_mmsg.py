"""recvmmsg/sendmmsg batches over real loopback sockets: each answer reaches its own sender."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

from chaoskit.dns.mmsg import MMSG_AVAILABLE, DatagramBatch, decode_sockaddr

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="recvmmsg/sendmmsg are Linux-only"
)


def test_linux_has_the_batched_calls() -> None:
    assert MMSG_AVAILABLE


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def _client() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1)
    return sock


def _silent(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        sock.recv(100)
    except TimeoutError:
        return True
    return False


def test_a_batch_answers_from_cache_and_slow_path_each_to_its_own_sender(
    listener: socket.socket,
) -> None:
    batch = DatagramBatch(listener, size=8, slot=64)
    clients = [_client() for _ in range(4)]
    for n, client in enumerate(clients):  # IDs 1..4; the rest says what to do with it
        client.sendto(bytes([0, n + 1]) + [b"cached", b"slow", b"silent", b"cached"][n],
                      listener.getsockname())  # fmt: skip
    seen: list[tuple[int, bytes, bool]] = []

    def slow(index: int, datagram: bytes, truncated: bool) -> bytes | None:
        seen.append((index, datagram, truncated))
        return None if datagram.endswith(b"silent") else datagram[:2] + b"worked out"

    assert batch.receive() == 4  # all queued already: one call takes them all
    batch.answer(4, {b"cached": b"from the cache"}, slow)
    assert clients[0].recv(100) == b"\x00\x01from the cache"
    assert clients[1].recv(100) == b"\x00\x02worked out"
    assert _silent(clients[2])  # nothing to send: the answers after it still go out
    assert clients[3].recv(100) == b"\x00\x04from the cache"
    assert seen == [
        (1, b"\x00\x02slow", False), (2, b"\x00\x03silent", False)
    ]  # fmt: skip
    assert batch.sender(2) == clients[2].getsockname()
    for client in clients:
        client.close()


def test_a_datagram_bigger_than_a_slot_is_flagged_truncated(listener: socket.socket) -> None:
    batch = DatagramBatch(listener, size=2, slot=64)
    with _client() as client:
        client.sendto(b"\x00\x09" + b"x" * 200, listener.getsockname())
        assert batch.receive() == 1
        flagged: list[tuple[int, bool]] = []
        batch.answer(1, {}, lambda _i, d, t: flagged.append((len(d), t)) or b"\x00\x09no")
        assert flagged == [(64, True)]
        assert client.recv(100) == b"\x00\x09no"


def test_receive_gives_up_after_its_wait_with_nothing_to_read(listener: socket.socket) -> None:
    assert DatagramBatch(listener, size=2, slot=64).receive() == 0


def test_ipv6_and_v4_mapped_senders_are_answered_batch_after_batch() -> None:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", 0))
    port = sock.getsockname()[1]
    udp = socket.SOCK_DGRAM
    with sock, socket.socket(socket.AF_INET6, udp) as v6, socket.socket(socket.AF_INET, udp) as v4:
        batch = DatagramBatch(sock, size=2, slot=64)
        for ident, (client, where) in enumerate([(v6, "::1"), (v4, "127.0.0.1")] * 2):
            client.settimeout(1)
            client.sendto(bytes([0, ident]) + b"ask", (where, port))
            assert batch.receive() == 1
            batch.answer(1, {b"ask": b"answer"}, lambda *_: None)
            assert client.recv(100) == bytes([0, ident]) + b"answer"
            mapped = where if client is v6 else f"::ffff:{where}"
            assert batch.sender(0)[:2] == (mapped, client.getsockname()[1])


def test_decode_sockaddr_reads_the_kernel_layout() -> None:
    family, port = socket.AF_INET.to_bytes(2, sys.byteorder), (5353).to_bytes(2, "big")
    assert decode_sockaddr(family + port + bytes([127, 0, 0, 9]) + bytes(8)) == ("127.0.0.9", 5353)
