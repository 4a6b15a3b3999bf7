#!/usr/bin/python3
"""Unix datagram collector for test_service.sh: stands in for systemd's
NOTIFY_SOCKET (sd_notify messages) or for /dev/log (syslog).

Binds PATH (AF_UNIX, SOCK_DGRAM, removing a stale file first), writes
READY_FILE once it listens, then appends one JSON object per received
datagram to OUT, flushed at once: {"t": CLOCK_MONOTONIC seconds, "msg":
text}. Runs for SECONDS or until SIGTERM/SIGINT; removes PATH when it ends.

  usage: dgram_listen.py PATH OUT SECONDS READY_FILE
"""

import json
import os
import select
import signal
import socket
import sys
import time


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, out, seconds, ready = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if os.path.exists(path) and not os.path.isdir(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    # Any sender may write: edgelbd runs as root anyway, but a syslog
    # stand-in must accept everyone as the real one does.
    os.chmod(path, 0o666)
    with open(ready, "w") as f:
        f.write("%d\n" % os.getpid())
    deadline = time.monotonic() + seconds
    try:
        with open(out, "a") as f:
            while not stop and time.monotonic() < deadline:
                try:
                    r, _, _ = select.select([s], [], [], 0.2)
                except InterruptedError:
                    continue
                if not r:
                    continue
                data = s.recv(65536)
                f.write(json.dumps({"t": time.monotonic(),
                                    "msg": data.decode("utf-8", "replace")}) + "\n")
                f.flush()
    finally:
        s.close()
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
