"""Descriptors with frames, Python's side (tests/interop_fds.rs, tests/fds_leaks.rs).

The connection is the AF_UNIX socket inherited on fd 0: a stream socket, whose frames are
lp32be (a 4-byte big-endian length, then the payload), or a SOCK_SEQPACKET socket, where
each message is a frame. Descriptors go with socket.send_fds / socket.recv_fds (sendmsg /
recvmsg with SCM_RIGHTS), one sendmsg per frame that has any.

    fd_peer.py send      sends b"plain" (no descriptors); b"read end" with the read end of
                         a pipe holding b"from python through a pipe"; b"write end" with the
                         write end of a pipe, then waits for our frame b"written", reads that
                         pipe to its end and sends b"python read: " + what it read; closes.
    fd_peer.py recv      reads our frames; into every descriptor that comes with one (pipe
                         write ends) it writes b"python got " + the payload, then closes it;
                         at the end prints "frames F descriptors D".
    fd_peer.py flood N   sends one frame b"flood" with N descriptors (/dev/null opened N
                         times), then b"after the flood" with the read end of a pipe holding
                         b"still working", then closes.
    fd_peer.py cut       sends the first half of a frame with two descriptors, then closes.
"""
import os
import socket
import sys

sock = socket.socket(fileno=0)
STREAM = sock.type == socket.SOCK_STREAM


def wire(payload):
    return len(payload).to_bytes(4, "big") + payload if STREAM else payload


def send(payload, fds=()):
    if fds:
        socket.send_fds(sock, [wire(payload)], list(fds))
    else:
        sock.sendall(wire(payload))


def frames():
    """Yields (payload, fds): a frame takes the descriptors of the reads that ended in it."""
    buf, consumed, received, batches = b"", 0, 0, []
    while True:
        data, fds, _flags, _ = socket.recv_fds(sock, 1 << 16, 253)
        if not data and not fds:
            return
        if not STREAM:
            yield data, fds
            continue
        received += len(data)
        buf += data
        if fds:
            batches.append((received, fds))
        while len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], "big"):
            n = int.from_bytes(buf[:4], "big")
            payload, buf = buf[4:4 + n], buf[4 + n:]
            consumed += 4 + n
            mine = [fd for end, fl in batches if end <= consumed for fd in fl]
            batches = [(end, fl) for end, fl in batches if end > consumed]
            yield payload, mine


def pipe_holding(text):
    r, w = os.pipe()
    os.write(w, text)
    os.close(w)
    return r


def main():
    mode = sys.argv[1]
    if mode == "send":
        send(b"plain")
        r = pipe_holding(b"from python through a pipe")
        send(b"read end", [r])
        os.close(r)
        r, w = os.pipe()
        send(b"write end", [w])
        os.close(w)
        it = frames()
        payload, _ = next(it)
        assert payload == b"written", payload
        got = b""
        while chunk := os.read(r, 4096):
            got += chunk
        send(b"python read: " + got)
    elif mode == "recv":
        count = nfds = 0
        for payload, fds in frames():
            count += 1
            nfds += len(fds)
            for fd in fds:
                os.write(fd, b"python got " + payload)
                os.close(fd)
        print(f"frames {count} descriptors {nfds}", flush=True)
    elif mode == "flood":
        n = int(sys.argv[2])
        fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(n)]
        send(b"flood", fds)
        for fd in fds:
            os.close(fd)
        r = pipe_holding(b"still working")
        send(b"after the flood", [r])
        os.close(r)
    elif mode == "cut":
        r = pipe_holding(b"never read")
        frame = wire(b"a frame cut short by the end of the stream")
        socket.send_fds(sock, [frame[:20]], [r, r])
    else:
        sys.exit(f"unknown mode {mode}")
    sock.close()


if __name__ == "__main__":
    main()
