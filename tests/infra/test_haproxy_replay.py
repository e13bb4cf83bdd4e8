"""HAProxy in front of the gateways replays a request whose gateway dies inside it
(bot/infra/replicas.py: `retry-on empty-response` with `option http-buffer-request`), also when
the request's body arrives after its headers, as it does from a busy client or machine.

Real HAProxy with the generated config; the two "gateways" are sockets: gateway-1 answers its
health check, then reads each request whole and closes without a word (a process killed while
handling it), gateway-2 answers. Without the buffering the first request to reach gateway-1 was
answered 502 (seen in the replica kill test under CPU load)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest

from bot.infra import replicas
from bot.infra.launcher import free_port
from bot.settings import Settings

BODY = b'{"text": "i can pay 200 tomorrow"}'


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def gateway(port: int, dies_in_requests: bool, seen: list[bytes], stop: threading.Event):
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                request = read_request(conn)
                if request.startswith(b"GET /health"):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
                elif dies_in_requests:
                    seen.append(request)
                    continue  # closed with nothing sent: the process died in the request
                else:
                    seen.append(request)
                    answer = b'{"served": true}'
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                        + answer
                    )


def up(settings: Settings) -> bool:
    try:
        return replicas.server_states(settings).get("gateway-1") == "UP"
    except OSError:  # its stats socket is not there yet
        return False


@pytest.fixture
def proxy(tmp_path):
    base = free_port(3)
    settings = Settings(
        var_dir=tmp_path,
        replicas=2,
        gateway_port=base,
        rasa_port=free_port(3),
        actions_port=free_port(3),
        database_url="postgresql://postgres@127.0.0.1:5432/x",
        redis_url="redis://127.0.0.1:6379/7",
    )
    stop, died_in, served = threading.Event(), [], []
    threads = [
        threading.Thread(target=gateway, args=(base + i, i == 1, seen, stop), daemon=True)
        for i, seen in ((1, died_in), (2, served))
    ]
    for thread in threads:
        thread.start()
    config = replicas.config_path(settings)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(replicas.haproxy_config(settings))
    haproxy = subprocess.Popen(
        [replicas.haproxy_binary(), "-db", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not up(settings):
        assert time.monotonic() < deadline, "HAProxy did not see gateway-1 up"
        time.sleep(0.1)
    yield base, died_in, served
    haproxy.terminate()
    haproxy.wait(10)
    stop.set()


def post_slowly(port: int, headers: bytes = b"") -> bytes:
    """A chat message whose body comes 100 ms after its headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(
            b"POST /api/conversations/c1/messages HTTP/1.1\r\nHost: bank\r\n"
            b"Content-Type: application/json\r\n"
            + headers
            + f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n".encode()
        )
        time.sleep(0.1)
        conn.sendall(BODY)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def idempotency_key(request: bytes) -> str | None:
    head = request.partition(b"\r\n\r\n")[0].decode()
    found = [
        v for k, _, v in (h.partition(": ") for h in head.split("\r\n")) if k == "idempotency-key"
    ]
    assert len(found) <= 1, head
    return found[0] if found else None


def test_a_request_its_gateway_dies_in_is_answered_by_the_other(proxy):
    port, died_in, served = proxy
    answers = [post_slowly(port) for _ in range(4)]  # leastconn alternates: 2 reach gateway-1
    assert all(a.startswith(b"HTTP/1.1 200") and b'"served": true' in a for a in answers), [
        a.split(b"\r\n", 1)[0] for a in answers
    ]
    # Each replayed request reached gateway-2 whole, its body included.
    assert len(served) == 4 and all(r.endswith(BODY) for r in served)
    # Each request got its own Idempotency-Key, and a replay carries the key the dead gateway
    # read: that is how the gateway answering it knows it for a repeat (bot/channels/repeats.py).
    keys = [idempotency_key(r) for r in served]
    assert all(keys) and len(set(keys)) == 4, keys
    assert died_in and {idempotency_key(r) for r in died_in} <= set(keys)


def test_a_clients_own_idempotency_key_is_kept(proxy):
    port, died_in, served = proxy
    for i in range(2):
        post_slowly(port, f"Idempotency-Key: app-retry-{i}\r\n".encode())
    assert [idempotency_key(r) for r in served] == ["app-retry-0", "app-retry-1"]
