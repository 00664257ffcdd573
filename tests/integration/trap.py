#!/usr/bin/python3
"""trap.py: a TCP listener that records who connects and what they send (stdlib only).

  trap.py BIND PORT DIR

Every connection accepted appends a line "HOST PORT" to DIR/accepts and whatever the
peer sends within 2 s to DIR/received; DIR/ready appears once it listens. It answers
nothing. It stops when its parent does.
"""
import os
import socket
import sys
import threading

BIND, PORT, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def drain(conn, peer):
    with open(os.path.join(DIR, "accepts"), "a") as f:
        f.write("%s %d\n" % (peer[0], peer[1]))
    conn.settimeout(2)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            with open(os.path.join(DIR, "received"), "ab") as f:
                f.write(data)
    except OSError:
        pass
    conn.close()


srv = socket.socket(socket.AF_INET6 if ":" in BIND else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((BIND, PORT))
srv.listen(64)
open(os.path.join(DIR, "ready"), "w").close()
while True:
    c, p = srv.accept()
    threading.Thread(target=drain, args=(c, p), daemon=True).start()
