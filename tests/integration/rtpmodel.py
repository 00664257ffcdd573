#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rtpmodel: rtptool.py's reference model: each input frame's fate re-derived with a
parser of its own, the output expected from it, and the output decoded independently of
the expectation.
"""
import ipaddress
import struct

from rtpscene import *  # noqa: F401,F403
from rtpwire import *  # noqa: F401,F403

# ---- the reference model ------------------------------------------------------------------

def addr_key(ip_bytes, port):
    return (ipaddress.ip_address(ip_bytes).compressed, port)


def norm(a):
    return (ipaddress.ip_address(a[0]).compressed, a[1])


def local_index():
    """(ip, port) -> (transport id, is RTCP port)."""
    idx = {}
    for tid, t in TRANSPORTS.items():
        idx[norm(t["local"])] = (tid, False)
        if not t["mux"]:
            idx[norm(t["rtcp"])] = (tid, True)
    return idx


def classify(fr):
    """The fate of one input frame, from the wire format alone (RFC sections cited in
    the dataplane's parsers; precedence as DESIGN.md §2's packet path). Returns
    (tag, info): tag as gen_input's; info has the RTP/RTCP bytes for forwarded ones."""
    if len(fr) < 14:
        return ("drop", "eth_trunc"), None
    etype, off = struct.unpack("!H", fr[12:14])[0], 14
    if etype in (0x8100, 0x88A8):
        if len(fr) < 18:
            return ("drop", "eth_trunc"), None
        etype, off = struct.unpack("!H", fr[16:18])[0], 18
    ip = fr[off:]
    if etype == 0x0800:
        if len(ip) < 20:
            return ("drop", "ip4_trunc"), None
        ihl = (ip[0] & 15) * 4
        if ip[0] >> 4 != 4 or ihl < 20:
            return ("drop", "ip4_hdr"), None
        if ihl > len(ip):
            return ("drop", "ip4_trunc"), None
        tl = struct.unpack("!H", ip[2:4])[0]
        if tl < ihl:
            return ("drop", "ip4_hdr"), None
        if tl > len(ip):
            return ("drop", "ip4_trunc"), None
        if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            return ("drop", "ip4_frag"), None
        if ip[9] != 17:
            return ("drop", "not_udp"), None
        src, dst, l4 = ip[12:16], ip[16:20], ip[ihl:tl]
    elif etype == 0x86DD:
        if len(ip) < 40:
            return ("drop", "ip6_trunc"), None
        if ip[0] >> 4 != 6:
            return ("drop", "ip6_hdr"), None
        pl = struct.unpack("!H", ip[4:6])[0]
        if pl > len(ip) - 40:
            return ("drop", "ip6_trunc"), None
        if ip[6] in (0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254):
            return ("drop", "ip6_hdr"), None
        if ip[6] != 17:
            return ("drop", "not_udp"), None
        src, dst, l4 = ip[8:24], ip[24:40], ip[40:40 + pl]
    else:
        return ("drop", "eth_type"), None
    if len(l4) < 8:
        return ("drop", "udp_trunc"), None
    sport, dport, ulen, ucs = struct.unpack("!HHHH", l4[:8])
    if ulen < 8:
        return ("drop", "udp_len"), None
    if ulen > len(l4):
        return ("drop", "udp_trunc"), None
    pay = l4[8:ulen]
    hit = local_index().get(addr_key(dst, dport))
    if hit is None:
        return ("drop", "no_transport"), None
    tid, is_rtcp_port = hit
    t = TRANSPORTS[tid]
    info = dict(transport=tid, had_csum=ucs != 0, payload=pay)
    # RFC 7983 section 7, RFC 5761 section 4
    b = pay[0] if pay else None
    if b is not None and (b <= 3 or 20 <= b <= 63):
        kind = "slow"
    elif b is not None and 128 <= b <= 191:
        kind = "rtcp" if len(pay) >= 2 and 192 <= pay[1] <= 223 else "rtp"
    else:
        return ("drop", "unknown_demux"), info
    if kind == "rtp":
        if is_rtcp_port:
            return ("drop", "unknown_demux"), info
        if len(pay) < 12:
            return ("drop", "rtp_trunc"), info
    if kind == "rtcp" and len(pay) < 8:
        return ("drop", "rtcp_trunc"), info
    # the remote check: RTP from the remote; RTCP also from its IP on another port (RFC
    # 3550 11, learned as the RTCP remote); nothing before connect (no comedia here)
    if t["remote"] is None:
        return ("drop", "remote_mismatch"), info
    if addr_key(src, sport) != norm(t["remote"]) and (
            kind != "rtcp" or addr_key(src, 0)[0] != norm(t["remote"])[0]):
        return ("drop", "remote_mismatch"), info
    if kind == "slow":
        return ("slow",), info
    ssrc_prod = {(p["transport"], p["ssrc"]): pid for pid, p in PRODUCERS.items()}
    if kind == "rtcp":
        pid = ssrc_prod.get((tid, struct.unpack("!I", pay[4:8])[0]))
        why = rtcp_check(pay)
        if why:
            return ("drop", why), info
        if pid is None:
            return ("rtcp",), info  # a receiver's RTCP: counted, ends here
        info["producer"] = pid
        # an SR is forwarded; anything else of the producer's ends here
        return (("sr", pid) if pay[1] == 200 else ("rtcp_p", pid)), info
    pid = ssrc_prod.get((tid, struct.unpack("!I", pay[8:12])[0]))
    if pid is None:
        return ("drop", "unknown_ssrc"), info  # before any parsing past the SSRC
    why, hl = rtp_check(pay)
    if why:
        return ("drop", why), info
    info.update(producer=pid, hdr_len=hl)
    return ("rtp", pid), info


def rtp_check(p):
    """RFC 3550 5.1, 5.3.1: (drop reason or None, header length)."""
    if len(p) < 12:
        return "rtp_trunc", 0
    if p[0] >> 6 != 2:
        return "rtp_version", 0
    hl = 12 + 4 * (p[0] & 15)
    if hl > len(p):
        return "rtp_csrc", 0
    if p[0] & 0x10:
        if len(p) - hl < 4:
            return "rtp_ext", 0
        el = 4 * struct.unpack("!H", p[hl + 2:hl + 4])[0]
        hl += 4
        if el > len(p) - hl:
            return "rtp_ext", 0
        hl += el
    if p[0] & 0x20:
        if p[-1] == 0 or p[-1] > len(p) - hl:
            return "rtp_padding", 0
    return None, hl


def rtcp_check(p):
    """RFC 3550 A.2 with RFC 5506 reduced size: drop reason or None."""
    if len(p) < 4 or len(p) % 4:
        return "rtcp_trunc"
    off = 0
    while off < len(p):
        if p[off] >> 6 != 2:
            return "rtp_version"
        n = 4 * (struct.unpack("!H", p[off + 2:off + 4])[0] + 1)
        if n > len(p) - off:
            return "rtcp_trunc"
        body = n
        if p[off] & 0x20:
            if off + n != len(p) or p[-1] == 0 or p[-1] > n - 4:
                return "rtcp_trunc"
            body -= p[-1]
        if p[off + 1] in (200, 201):
            need = (28 if p[off + 1] == 200 else 8) + 24 * (p[off] & 31)
            if need > body:
                return "rtcp_trunc"
        off += n
    return None


def rewrite_rtp(hdr, pt, ssrc, ext_map):
    """The consumer's RTP header: PT (marker kept), SSRC, RFC 8285 one-byte ids renamed.
    Sequence and timestamp keep the producer's numbering (a consumer that starts with
    the stream has zero offsets)."""
    h = bytearray(hdr)
    h[1] = (h[1] & 0x80) | pt
    h[8:12] = struct.pack("!I", ssrc)
    if h[0] & 0x10:
        off = 12 + 4 * (h[0] & 15)
        if h[off:off + 2] == b"\xbe\xde":
            i, end = off + 4, len(h)
            while i < end:
                eid = h[i] >> 4
                if eid == 0:
                    i += 1
                    continue
                if eid == 15:
                    break
                if eid in ext_map:
                    h[i] = ext_map[eid] << 4 | (h[i] & 15)
                i += 2 + (h[i] & 15)
    return bytes(h)


def out_frame(port_mac, t, src, dst, payload, with_csum):
    u = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    if with_csum:
        u = u[:6] + struct.pack("!H", udp_sum(src[0], dst[0], u)) + u[8:]
    if ":" in src[0]:
        return eth(t["mac"], port_mac, 0x86DD, ipv6(src[0], dst[0], 17, u))
    # DF, id 0, TTL 64 (DESIGN.md: what the dataplane writes)
    return eth(t["mac"], port_mac, 0x0800, ipv4(src[0], dst[0], 17, u, frag=0x4000, ident=0))


def expected_outputs(frames, port_mac):
    """{consumer id: [(input index, expected frame)]} from the input alone."""
    out = {cid: [] for cid in CONSUMERS}
    started = set()
    for idx, fr in enumerate(frames):
        tag, info = classify(fr)
        if tag[0] not in ("rtp", "sr"):
            continue
        for cid, c in CONSUMERS.items():
            if c["producer"] != info["producer"]:
                continue
            t = TRANSPORTS[c["transport"]]
            pay = info["payload"]
            if tag[0] == "rtp":
                pt = pay[1] & 0x7F
                if c["pt"] and pt not in c["pt"]:
                    continue
                hl = info["hdr_len"]
                body = rewrite_rtp(pay[:hl], c["pt"].get(pt, pt), c["ssrc"], c["ext"]) + pay[hl:]
                csum_on = info["had_csum"] or ":" in t["local"][0]
                fr_out = out_frame(port_mac, t, t["local"], t["remote"], body, csum_on)
                out[cid].append((idx, fr_out))
                started.add(cid)
            elif cid in started:
                # RFC 3550 6.4.1: header (V=2, P=0, RC=0, length 6), the consumer's SSRC,
                # the 20 bytes of sender info (timestamp offset 0 here).
                body = struct.pack("!BBHI", 0x80, 200, 6, c["ssrc"]) + pay[8:28]
                if t["mux"]:
                    src, dst = t["local"], t["remote"]
                else:  # RFC 3550 11: RTCP on the next port
                    src, dst = t["rtcp"], (t["remote"][0], t["remote"][1] + 1)
                out[cid].append((idx, out_frame(port_mac, t, src, dst, body, True)))
    return out


# ---- decoding output frames (independent of the expectation) -------------------------------

def decode(fr):
    """Parse an output frame; returns a dict of facts and a list of header errors."""
    d, errs = {}, []
    if len(fr) < 14:
        return None, ["shorter than Ethernet"]
    d["eth_dst"] = ":".join(f"{x:02x}" for x in fr[0:6])
    d["eth_src"] = ":".join(f"{x:02x}" for x in fr[6:12])
    et = struct.unpack("!H", fr[12:14])[0]
    ip = fr[14:]
    if et == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        tl, ident, frag, ttl, proto = struct.unpack("!HHHBB", ip[2:10])
        if ip[0] != 0x45:
            errs.append(f"IPv4 version/IHL byte {ip[0]:#x}")
        if csum(ip[:ihl]) != 0:
            errs.append("IPv4 header checksum wrong")
        if tl != len(ip):
            errs.append(f"IPv4 total length {tl} != {len(ip)}")
        if frag != 0x4000 or ttl != 64 or ident != 0:
            errs.append(f"IPv4 flags/frag {frag:#x} ttl {ttl} id {ident}: want DF, 64, 0")
        if proto != 17:
            return None, errs + [f"IPv4 protocol {proto}"]
        src, dst, u = ip[12:16], ip[16:20], ip[ihl:tl]
    elif et == 0x86DD and len(ip) >= 40:
        pl = struct.unpack("!H", ip[4:6])[0]
        if pl != len(ip) - 40:
            errs.append(f"IPv6 payload length {pl} != {len(ip) - 40}")
        if ip[6] != 17 or ip[7] != 64:
            errs.append(f"IPv6 next header {ip[6]} hop limit {ip[7]}")
        src, dst, u = ip[8:24], ip[24:40], ip[40:]
    else:
        return None, errs + [f"ethertype {et:#x} / short frame"]
    if len(u) < 8:
        return None, errs + ["short UDP"]
    sp, dp, ul, uc = struct.unpack("!HHHH", u[:8])
    if ul != len(u):
        errs.append(f"UDP length {ul} != {len(u)}")
    srcs = ipaddress.ip_address(src).compressed
    dsts = ipaddress.ip_address(dst).compressed
    if uc == 0:
        if et == 0x86DD:
            errs.append("IPv6 UDP checksum 0 (mandatory, RFC 8200 8.1)")
    else:
        good = udp_sum(srcs, dsts, u[:6] + b"\0\0" + u[8:])
        if good != uc:
            errs.append(f"UDP checksum {uc:#06x} does not verify (want {good:#06x})")
    pay = u[8:]
    d.update(src=(srcs, sp), dst=(dsts, dp), udp_csum=uc, payload=pay)
    if len(pay) >= 12:
        d["rtcp"] = pay[1] == 200
        d["ssrc"] = struct.unpack("!I", pay[4:8] if d["rtcp"] else pay[8:12])[0]
        if not d["rtcp"]:
            d["seq"], d["ts"] = struct.unpack("!HI", pay[2:8])
            d["pt"] = pay[1] & 0x7F
    return d, errs


def consumer_of(d):
    if d is None or "ssrc" not in d:
        return None
    for cid, c in CONSUMERS.items():
        t = TRANSPORTS[c["transport"]]
        rport = t["remote"][1] + (1 if d["rtcp"] and not t["mux"] else 0)
        if c["ssrc"] == d["ssrc"] and d["dst"] == (norm(t["remote"])[0], rport):
            return cid
    return None


def out_key(d):
    """An output packet's identity within its consumer's stream."""
    if d.get("rtcp"):
        return ("sr", d["payload"][8:16].hex())
    return ("rtp", d.get("seq"))


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def region(off, fr):
    l3 = 20 if fr[12:14] == b"\x08\x00" else 40
    if off < 14:
        return "Ethernet"
    if off < 14 + l3:
        return "IP header"
    if off < 14 + l3 + 8:
        return "UDP header"
    return f"UDP payload byte {off - 14 - l3 - 8}"
