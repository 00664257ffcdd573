#!/usr/bin/python3
"""gsttwcc.py: a GStreamer VP8 sender that negotiates transport-wide congestion control
(draft-holmer-rmcat-transport-wide-cc-extensions-01), for tests of the feedback Cascade
sends it, read by an independent implementation (Debian's GStreamer 1.22 through
python3-gi; socket and pipeline helpers from gstrtx.py).

  send SRC_IP PORT DST_IP DST_PORT DST_RTCP_PORT SSRC EXT_ID SECONDS
      rtpvp8pay (PT 96) with rtphdrexttwcc at one-byte id EXT_ID (so its caps carry
      extmap-EXT_ID and rtpbin's session numbers every packet and reads transport-cc
      feedback), rtpbin (AVPF) on kernel sockets SRC_IP:PORT (RTP) and SRC_IP:PORT+1
      (RTCP, read too), for SECONDS seconds of videotestsrc at 30 frames a second.
      Every 100 ms it reads the session's twcc-stats (GStreamer's own parse of the
      feedback it received) and prints a line "twcc: K=V ..." when they changed; at the
      end "twcc-updates N" and the last stats. EXT_ID 0: no extension (a sender that
      negotiated goog-remb only; GStreamer does not parse REMB, the test reads it in a
      capture).
"""
import os, signal, sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtp", "1.0")  # rtphdrexttwcc's set_id()
from gi.repository import GLib, Gst, GstRtp  # noqa: E402,F401

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrtx import make, run, sock  # noqa: E402

PT = 96
FIELDS = ("packets-sent", "packets-recv", "bitrate-sent", "bitrate-recv", "packet-loss-pct",
          "avg-delta-of-delta")


def stats_line(st):
    out = []
    for f in FIELDS:
        ok, v = (False, None)
        if st is not None and st.has_field(f):
            v = st.get_value(f)
            ok = True
        out.append("%s=%s" % (f, v if ok else "none"))
    return " ".join(out)


def cmd_send(src, port, dst, dport, drtcp, ssrc, ext_id, seconds):
    port, dport, drtcp, ssrc, ext_id, seconds = map(
        int, (port, dport, drtcp, ssrc, ext_id, seconds))
    rtp_sock, rtcp_sock = sock(src, port), sock(src, port + 1)
    pipe = Gst.Pipeline.new("send")
    srcv = make("videotestsrc", is_live=True, pattern="smpte", horizontal_speed=8)
    caps = make("capsfilter",
                caps=Gst.Caps.from_string("video/x-raw,width=640,height=360,framerate=30/1"))
    enc = make("vp8enc", deadline=1, cpu_used=4, threads=1, target_bitrate=1000000,
               end_usage="cbr", keyframe_max_dist=60)
    pay = make("rtpvp8pay", pt=PT, ssrc=ssrc, mtu=1200, picture_id_mode="15-bit")
    if ext_id != 0:
        ext = Gst.ElementFactory.make("rtphdrexttwcc")
        if ext is None:
            sys.exit("gsttwcc.py: no rtphdrexttwcc (gstreamer1.0-plugins-good >= 1.20?)")
        ext.set_id(ext_id)
        pay.emit("add-extension", ext)
    rtpbin = make("rtpbin", rtp_profile="avpf")
    rtp_out = make("udpsink", socket=rtp_sock, close_socket=False, host=dst, port=dport,
                   sync=False, async_=False)
    rtcp_out = make("udpsink", socket=rtcp_sock, close_socket=False, host=dst, port=drtcp,
                    sync=False, async_=False)
    rtcp_in = make("udpsrc", socket=rtcp_sock, close_socket=False,
                   caps=Gst.Caps.from_string("application/x-rtcp"))
    for e in (srcv, caps, enc, pay, rtpbin, rtp_out, rtcp_out, rtcp_in):
        pipe.add(e)
    srcv.link(caps)
    caps.link(enc)
    enc.link(pay)
    pay.get_static_pad("src").link(rtpbin.request_pad_simple("send_rtp_sink_0"))
    rtpbin.get_static_pad("send_rtp_src_0").link(rtp_out.get_static_pad("sink"))
    rtpbin.request_pad_simple("send_rtcp_src_0").link(rtcp_out.get_static_pad("sink"))
    rtcp_in.get_static_pad("src").link(rtpbin.request_pad_simple("recv_rtcp_sink_0"))

    last = [None, 0, None]  # the last line printed, updates, the last stats

    def poll():
        session = rtpbin.emit("get-session", 0)
        st = session.get_property("twcc-stats") if session is not None else None
        if st is not None and st.n_fields() > 0:
            line = stats_line(st)
            if line != last[0]:
                last[0], last[2] = line, line
                last[1] += 1
                print("twcc: " + line, flush=True)
        return True

    GLib.timeout_add(100, poll)
    GLib.timeout_add(seconds * 1000, lambda: os.kill(os.getpid(), signal.SIGTERM) and False)
    rc = [0]
    run(pipe, lambda r: rc.__setitem__(0, r),
        lambda: "twcc-updates %d\ntwcc-last: %s" % (last[1], last[2]))
    return rc[0]


def main():
    Gst.init(None)
    if len(sys.argv) != 10 or sys.argv[1] != "send":
        sys.exit(__doc__)
    sys.exit(cmd_send(*sys.argv[2:]))


if __name__ == "__main__":
    main()
