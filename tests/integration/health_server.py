#!/usr/bin/python3
"""A backend's health endpoint whose answer a test controls.

  health_server.py PORT CONTROL_FILE READY_FILE

Serves HTTP on 0.0.0.0:PORT. Each request reads CONTROL_FILE: "200" or
"500" (any status) answers that status; "sleep S STATUS" waits S seconds
first; a missing file answers 200. Writes READY_FILE once listening.
"""

import http.server
import os
import socketserver
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    control = None

    def do_GET(self):
        try:
            with open(self.control) as f:
                words = f.read().split()
        except OSError:
            words = ["200"]
        if words and words[0] == "sleep":
            time.sleep(float(words[1]))
            words = words[2:]
        status = int(words[0]) if words else 200
        body = b"status %d\n" % status
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    port, control, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    Handler.control = control
    srv = Server(("0.0.0.0", port), Handler)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    srv.serve_forever()


if __name__ == "__main__":
    main()
