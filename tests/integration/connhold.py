#!/usr/bin/python3
"""connhold.py HOST PORT N: open N TCP connections to HOST:PORT and hold them.

Every other connection also sends the start of an HTTP request (no blank line, so the
server waits for the rest). Prints "held N failed M" on stdout once all connects
returned, then holds them until SIGUSR1 or SIGTERM, then closes them all and exits.
Used by the API tests to check that many concurrent (and half-open) connections
neither crash cascade-cp nor stop it from serving others.
"""
import resource
import signal
import socket
import sys


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 64:
        sys.exit(f"connhold: the descriptor hard limit {hard} is below {n + 64}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks, failed = [], 0
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((host, port))
            if i % 2:
                s.sendall(b"GET /v1/node HTTP/1.1\r\nHost: cascade\r\n")
        except OSError:
            failed += 1
            s.close()
            continue
        socks.append(s)
    print(f"held {len(socks)} failed {failed}", flush=True)
    signal.sigwait({signal.SIGUSR1, signal.SIGTERM})
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
