#!/usr/bin/python3
"""sselag.py: a Server-Sent Events subscriber that does not read (stdlib only).

  sselag.py HOST PORT PATH TOKEN DIR

Connects with a 4 KiB receive buffer, sends the GET and reads nothing; DIR/ready appears
once the request is sent. When DIR/drain appears it reads until the server ends the
stream (EOF or a reset) or 10 s pass, and writes {"bytes", "closed"} to DIR/result.
"""
import json
import os
import socket
import sys
import time

host, port, path, token, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, port))
s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n" % (path, host, token)).encode())
open(os.path.join(d, "ready"), "w").close()
while not os.path.exists(os.path.join(d, "drain")):
    time.sleep(0.05)
total, closed = 0, False
s.settimeout(10)
try:
    while True:
        b = s.recv(65536)
        if not b:
            closed = True
            break
        total += len(b)
except ConnectionResetError:
    closed = True
except socket.timeout:
    pass
json.dump({"bytes": total, "closed": closed}, open(os.path.join(d, "result"), "w"))
