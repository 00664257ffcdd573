#!/usr/bin/python3
"""kfpeer.py: a sender and a receiver of RTCP feedback, on kernel UDP sockets (stdlib only).

  sender SRC DST DPORT OUT   RTP (SSRC 4096, PT 96, 50 a second) from SRC:5000 to DST:DPORT
                             and, after the third packet, one RTCP sender report from
                             SRC:5001 to the same port (as ffmpeg does); every datagram that
                             comes back on either socket is a JSON line in OUT:
                             {"port": 5000 or 5001, "hex": "..."}; runs until SIGTERM or 60 s
  pli SRC SPORT DST DPORT SSRC N GAP_MS
                             N RTCP PLIs (RFC 4585 6.3.1) for media SSRC, GAP_MS apart, from
                             SRC:SPORT, each a compound after an empty receiver report
"""
import json, select, signal, socket, struct, sys, time

SENDER_SSRC = 4096


def sr(ssrc, rtp_ts, packets, octets):
    now = time.time() + 2208988800
    ntp_hi, ntp_lo = int(now), int((now % 1) * (1 << 32))
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, ntp_hi, ntp_lo, rtp_ts, packets, octets)


def cmd_sender(src, dst, dport, out):
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind((src, 5000))
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp.bind((src, 5001))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    end = time.monotonic() + 60
    nxt, i = time.monotonic(), 0
    with open(out, "a") as f:
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= nxt:
                ts = 90000 + i * 1800
                hdr = struct.pack("!BBHII", 0x80, 96, (1000 + i) & 0xFFFF, ts, SENDER_SSRC)
                rtp.sendto(hdr + bytes(200), (dst, int(dport)))
                i += 1
                if i == 3:
                    rtcp.sendto(sr(SENDER_SSRC, ts, i, i * 200), (dst, int(dport)))
                nxt += 0.02
            ready, _, _ = select.select([rtp, rtcp], [], [], max(0.0, nxt - time.monotonic()))
            for s in ready:
                data = s.recv(2048)
                f.write(json.dumps({"port": s.getsockname()[1], "hex": data.hex()}) + "\n")
                f.flush()


def cmd_pli(src, sport, dst, dport, ssrc, n, gap_ms):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, int(sport)))
    me = 0x5EC0FFEE
    rr = struct.pack("!BBHI", 0x80, 201, 1, me)
    pli = struct.pack("!BBHII", 0x81, 206, 2, me, int(ssrc, 0))
    for _ in range(int(n)):
        s.sendto(rr + pli, (dst, int(dport)))
        time.sleep(int(gap_ms) / 1000.0)


if __name__ == "__main__":
    cmds = {"sender": (cmd_sender, 4), "pli": (cmd_pli, 7)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) - 2 != cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](*sys.argv[2:])
