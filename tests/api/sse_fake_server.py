"""A stand-in for chimera serve's /api/v1/events/stream, for tests/api/test_bench_sse.sh.

usage: sse_fake_server.py PORT_FILE TOKEN
Listens on 127.0.0.1 (any port, written to PORT_FILE) and answers each connection, in the
order they come, with one plan of seqs (PLANS below, then the first again), as chunked
Server-Sent Events whose "time" is 40 ms before they are sent; chunk boundaries fall inside
lines, one frame ends its lines with CRLF, and a keepalive comment comes first. A request
that is not GET /api/v1/events/stream?after=0 with the bearer TOKEN is answered 401.
Connections stay open until the client closes them.
"""
import datetime
import os
import socket
import sys
import threading

PLANS = [
    [1, 2, 3, 4, 5, 7],     # every event (6 is in no plan)
    [1, 2, 4, 5, 7],        # 3 missing
    [1, 2, 2, 3, 4, 5, 7],  # 2 twice
]


def utc_ms(delta_ms):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=delta_ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def serve(conn, plan, token):
    buf = b""
    while b"\r\n\r\n" not in buf:
        got = conn.recv(4096)
        if not got:
            return
        buf += got
    head = buf.split(b"\r\n\r\n", 1)[0].decode()
    lines = head.split("\r\n")
    want = "Authorization: Bearer " + token
    if lines[0] != "GET /api/v1/events/stream?after=0 HTTP/1.1" or want not in lines[1:]:
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    conn.sendall(chunk(b": keepalive\n\n"))
    for i, seq in enumerate(plan):
        eol = b"\r\n" if i == 1 else b"\n"
        data = ('{"seq":%d,"time":"%s","topic":"t.x","node":null}' % (seq, utc_ms(40))).encode()
        frame = b"id: %d%sevent: t.x%sdata: %s%s%s" % (seq, eol, eol, data, eol, eol)
        cut = len(frame) // 3  # a chunk boundary inside the id: or data: line
        conn.sendall(chunk(frame[:cut]) + chunk(frame[cut:]))
    while conn.recv(4096):
        pass


def main():
    port_file, token = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    n = 0
    while True:
        conn, _ = srv.accept()
        plan = PLANS[n % len(PLANS)]
        n += 1
        threading.Thread(target=lambda c=conn, p=plan: (serve(c, p, token), c.close()), daemon=True).start()


if __name__ == "__main__":
    main()
