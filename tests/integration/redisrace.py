#!/usr/bin/python3
"""redisrace.py: re-register a dead node in the middle of its clean-up (stdlib only).

  redisrace.py PORT PREFIX NODE DIR

Watches Redis (MONITOR). At the first command of anyone's clean-up of NODE (SMEMBERS of
its producers index PREFIX:node:{NODE}:producers, or an EVAL naming it), it registers NODE
again in one
MULTI: its record (alive for 60 s), P:nodes, and its rooms index holding "back", and
creates DIR/reregistered. When it sees NODE taken out of PREFIX:nodes it writes DIR/srem,
"after" or "before" the re-registration, and ends. DIR/ready appears once it watches.
Redis' password, if it has one, comes from REDISCLI_AUTH (as redis-cli takes it).
"""
import os
import socket
import sys

port, prefix, node, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


mon = socket.create_connection(("127.0.0.1", port))
cmd = socket.create_connection(("127.0.0.1", port))
f = mon.makefile("rb")
if os.environ.get("REDISCLI_AUTH"):
    for s in (mon, cmd):
        s.sendall(resp("AUTH", os.environ["REDISCLI_AUTH"]))
    assert f.readline().startswith(b"+OK")
    assert cmd.makefile("rb").readline().startswith(b"+OK")
mon.sendall(resp("MONITOR"))
assert f.readline().startswith(b"+OK")
open(os.path.join(d, "ready"), "w").close()
index = ('"%s:node:{%s}:producers"' % (prefix, node)).encode()
srem = ('"SREM" "%s:nodes" "%s"' % (prefix, node)).encode()
reregistered = False
while True:
    line = f.readline()
    if not line:
        break
    # a node's clean-up starts with SMEMBERS of the index, or an EVAL naming it (not
    # what a script runs inside, nor the test's own set-up)
    first = b'"SMEMBERS" ' + index in line or (b'"EVAL"' in line and index in line)
    if not reregistered and first and b"[0 lua]" not in line and b"tonumber" not in line:
        rec = "%s:node:{%s}" % (prefix, node)
        cmd.sendall(resp("MULTI") + resp("HSET", rec, "id", node, "api", "http://127.0.0.1:1",
                                         "media_ip", "127.0.0.1", "pipe_port", "1")
                    + resp("PEXPIRE", rec, "60000") + resp("SADD", prefix + ":nodes", node)
                    + resp("SADD", rec + ":rooms", "back") + resp("EXEC"))
        reregistered = True
        open(os.path.join(d, "reregistered"), "w").close()
        continue
    if srem in line:
        open(os.path.join(d, "srem"), "w").write("after" if reregistered else "before")
        break
