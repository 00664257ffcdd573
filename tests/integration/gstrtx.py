#!/usr/bin/python3
"""gstrtx.py: a GStreamer VP8 sender and receiver with NACK/RTX repair (Debian's GStreamer
through python3-gi), for tests of Cascade's loss repair against an independent
implementation. gst-launch cannot make them: rtpbin's request-aux-sender and
request-aux-receiver signals, which put rtprtxsend and rtprtxreceive in, need code.

  send SRC_IP PORT DST_IP DST_PORT DST_RTCP_PORT SSRC RTX_SSRC FRAMES REF
      rtpbin (AVPF) on kernel sockets SRC_IP:PORT (RTP) and SRC_IP:PORT+1 (RTCP, read too:
      NACKs become RTX from rtprtxsend, PLIs keyframes), VP8 (PT 96, RTX PT 97) of FRAMES
      frames of videotestsrc at 30 a second, one keyframe unless one is asked for. The
      encoded stream is also decoded here: the MD5 of each decoded frame, one a line, goes
      to REF, which is complete when "sent N" appears on stdout. It then goes on answering
      NACKs (the end of the stream never reaches rtpbin) until SIGTERM, and prints
      rtprtxsend's counts, the keyframes it encoded and the keyframe requests its rtpsession
      received (PLI and FIR).
  recv IP PORT DST_IP DST_RTCP_PORT PT RTX_PT OUT [kf]
      rtpbin (AVPF, RTCP at least every 50 ms, rtpjitterbuffer with do-retransmission and
      2 s of latency, rtprtxreceive for RTX_PT of PT) on IP:PORT (RTP) and IP:PORT+1
      (RTCP, sent from there to DST_IP:DST_RTCP_PORT, where the NACKs go); the MD5 of each
      decoded frame, one a line, flushed, to OUT, and "first-frame T" on stdout when the
      first is decoded (T: the Unix time in seconds). With kf it joins as a receiver of a
      stream already under way does: rtpvp8depay waits for a keyframe and asks for one
      (rtpsession sends a PLI) for every frame it cannot use until then; and the jitter
      buffer's latency is 200 ms (a browser's is as short), since every frame, the first
      one too, waits that long in it. Runs until SIGTERM
      and prints rtprtxreceive's, the jitter buffer's and rtpsession's counts (the PLIs
      and FIRs it sent).

  recvtw IP PORT DST_IP DST_RTCP_PORT PT EXT_ID OUT
      rtpbin (AVPF, RTCP at least every 50 ms) on IP:PORT and IP:PORT+1 as recv, without
      RTX, whose caps carry the transport-wide-cc extension at EXT_ID (extmap-EXT_ID, what
      rtpsession's TWCC manager looks for) and rtcp-fb-transport-cc: rtpsession notes each
      packet's transport-wide number and arrival and sends transport-cc feedback (RTPFB 15)
      with its RTCP. Every stream it receives is decoded; the first one's frames' MD5s go
      to OUT. Runs until SIGTERM and prints the streams it took.

Each socket is made here and shared by a udpsrc and a udpsink, so that RTCP leaves from the
port it is read on (Cascade takes a connected transport's RTCP from its RTCP port only).
"""
import hashlib, signal, sys, time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gio, GLib, Gst  # noqa: E402

PT, RTX_PT = 96, 97
RTP_CAPS = "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=%d"


def rtx_map(kind, key, value):
    """the GstStructure rtprtxsend and rtprtxreceive take as a map (kind pt or ssrc):
    key=(uint)value"""
    return Gst.Structure.new_from_string(
        "application/x-rtp-%s-map,%d=(uint)%d" % (kind, key, value))


def sock(ip, port):
    s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    s.bind(Gio.InetSocketAddress.new_from_string(ip, port), False)
    return s


def make(factory, **props):
    e = Gst.ElementFactory.make(factory)
    if e is None:
        sys.exit("gstrtx.py: no GStreamer element %s (gstreamer1.0-plugins-good?)" % factory)
    for k, v in props.items():
        k = k.rstrip("_").replace("_", "-")
        if isinstance(v, str):  # enums by their nick, as gst-launch takes them
            Gst.util_set_object_arg(e, k, v)
        else:
            e.set_property(k, v)
    return e


def aux_bin(element):
    """rtpbin's aux element for session 0: a bin with pads sink_0 and src_0."""
    b = Gst.Bin.new(None)
    b.add(element)
    b.add_pad(Gst.GhostPad.new("sink_0", element.get_static_pad("sink")))
    b.add_pad(Gst.GhostPad.new("src_0", element.get_static_pad("src")))
    return b


def md5_sink(out, on_frame=None):
    """an appsink writing each frame's MD5 to the file object out"""
    s = make("appsink", emit_signals=True, sync=False, max_buffers=0)

    def new_sample(sink):
        buf = sink.emit("pull-sample").get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            out.write(hashlib.md5(bytes(info.data)).hexdigest() + "\n")
            out.flush()
            buf.unmap(info)
        if on_frame:
            on_frame()
        return Gst.FlowReturn.OK

    s.connect("new-sample", new_sample)
    return s


def fb_counts(session, way):
    """rtpsession's keyframe requests of every source of session, way "sent" or "recv":
    "way-pli-count=N way-fir-count=N" """
    n = {"pli": 0, "fir": 0}
    for src in session.get_property("sources"):
        st = src.get_property("stats")
        for k in n:
            ok, v = st.get_uint("%s-%s-count" % (way, k))
            n[k] += v if ok else 0
    return "%s-pli-count=%d %s-fir-count=%d" % (way, n["pli"], way, n["fir"])


def run(pipe, stop, report):
    """play pipe until SIGTERM or SIGINT (stop(1) on an error), then print report()
    (before the pipeline stops: its elements reset their counts then)"""
    loop = GLib.MainLoop()

    def on_msg(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("gstrtx.py: error: %s (%s)" % (err.message, dbg), file=sys.stderr)
            loop.quit()
            stop(1)
        elif msg.type == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            print("gstrtx.py: warning: %s" % err.message, file=sys.stderr)
        return True

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_msg)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: loop.quit() or False)
    if pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        sys.exit("gstrtx.py: the pipeline does not start")
    loop.run()
    print(report(), flush=True)
    pipe.set_state(Gst.State.NULL)


def cmd_send(src, port, dst, dport, drtcp, ssrc, rtx_ssrc, frames, ref):
    port, dport, drtcp, ssrc, rtx_ssrc, frames = map(
        int, (port, dport, drtcp, ssrc, rtx_ssrc, frames))
    rtp_sock, rtcp_sock = sock(src, port), sock(src, port + 1)
    pipe = Gst.Pipeline.new("send")
    # moving colour bars: the encoder needs its whole bit rate (3 or 4 packets a frame)
    srcv = make("videotestsrc", is_live=True, num_buffers=frames, pattern="smpte",
                horizontal_speed=8)
    caps = make("capsfilter",
                caps=Gst.Caps.from_string("video/x-raw,width=640,height=360,framerate=30/1"))
    # realtime, one thread, a fixed speed; a keyframe only when asked (PLI): an unrepaired
    # loss would spoil every later frame
    enc = make("vp8enc", deadline=1, cpu_used=4, threads=1, keyframe_max_dist=100000,
               target_bitrate=1000000, end_usage="cbr")
    tee = make("tee")
    q1, q2 = make("queue"), make("queue")
    pay = make("rtpvp8pay", pt=PT, ssrc=ssrc, mtu=1200, picture_id_mode="15-bit")
    dec = make("vp8dec", threads=1)
    ref_out = open(ref, "w")
    count = [0]

    def on_frame():
        count[0] += 1

    refsink = md5_sink(ref_out, on_frame)
    rtpbin = make("rtpbin", rtp_profile="avpf")
    rtp_out = make("udpsink", socket=rtp_sock, close_socket=False, host=dst, port=dport,
                   sync=False, async_=False)
    rtcp_out = make("udpsink", socket=rtcp_sock, close_socket=False, host=dst, port=drtcp,
                    sync=False, async_=False)
    rtcp_in = make("udpsrc", socket=rtcp_sock, close_socket=False,
                   caps=Gst.Caps.from_string("application/x-rtcp"))
    for e in (srcv, caps, enc, tee, q1, pay, q2, dec, refsink, rtpbin, rtp_out, rtcp_out,
              rtcp_in):
        pipe.add(e)

    # what it keeps: 3 s, longer than Cascade asks again (1 s)
    rtx = make("rtprtxsend", max_size_packets=0, max_size_time=3000,
               payload_type_map=rtx_map("pt", PT, RTX_PT), ssrc_map=rtx_map("ssrc", ssrc, rtx_ssrc))
    rtpbin.connect("request-aux-sender", lambda _b, sid: aux_bin(rtx) if sid == 0 else None)

    srcv.link(caps)
    caps.link(enc)
    enc.link(tee)
    tee.link(q1)
    q1.link(pay)
    tee.link(q2)
    q2.link(dec)
    dec.link(refsink)
    pay.get_static_pad("src").link(rtpbin.request_pad_simple("send_rtp_sink_0"))
    rtpbin.get_static_pad("send_rtp_src_0").link(rtp_out.get_static_pad("sink"))
    rtpbin.request_pad_simple("send_rtcp_src_0").link(rtcp_out.get_static_pad("sink"))
    rtcp_in.get_static_pad("src").link(rtpbin.request_pad_simple("recv_rtcp_sink_0"))

    # the end of the stream stops at the payloader: rtpbin would say BYE and rtprtxsend
    # could send nothing more, so the last packets would go unrepaired
    def no_eos(_pad, info):
        ev = info.get_event()
        if ev is not None and ev.type == Gst.EventType.EOS:
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    pay.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, no_eos)

    def on_eos(_sink):
        ref_out.close()
        print("sent %d" % count[0], flush=True)

    refsink.connect("eos", on_eos)
    keyframes = [0]

    def on_encoded(_pad, info):
        if not info.get_buffer().has_flags(Gst.BufferFlags.DELTA_UNIT):
            keyframes[0] += 1
        return Gst.PadProbeReturn.OK

    enc.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_encoded)
    session = rtpbin.emit("get-internal-session", 0)
    rc = [0]
    run(pipe, lambda r: rc.__setitem__(0, r),
        lambda: "rtprtxsend: num-rtx-requests=%d num-rtx-packets=%d\nrtpsession: keyframes=%d %s"
        % (rtx.get_property("num-rtx-requests"), rtx.get_property("num-rtx-packets"),
           keyframes[0], fb_counts(session, "recv")))
    return rc[0]


def cmd_recv(ip, port, dst, drtcp, pt, rtx_pt, out, mode=""):
    port, drtcp, pt, rtx_pt = map(int, (port, drtcp, pt, rtx_pt))
    kf = mode == "kf"
    # with kf the caps say the sender takes PLIs (RFC 4585's "nack pli"), so that rtpsession
    # turns the depayloader's requests into PLIs
    rtp_caps = RTP_CAPS % pt + (",rtcp-fb-nack-pli=(boolean)true" if kf else "")
    rtp_sock, rtcp_sock = sock(ip, port), sock(ip, port + 1)
    pipe = Gst.Pipeline.new("recv")
    rtpbin = make("rtpbin", rtp_profile="avpf", do_retransmission=True,
                  latency=200 if kf else 2000)
    rtp_in = make("udpsrc", socket=rtp_sock, close_socket=False,
                  caps=Gst.Caps.from_string(rtp_caps))
    rtcp_in = make("udpsrc", socket=rtcp_sock, close_socket=False,
                   caps=Gst.Caps.from_string("application/x-rtcp"))
    rtcp_out = make("udpsink", socket=rtcp_sock, close_socket=False, host=dst, port=drtcp,
                    sync=False, async_=False)
    depay = make("rtpvp8depay", wait_for_keyframe=kf, request_keyframe=kf)
    dec = make("vp8dec", threads=1)
    first = []

    def on_frame():
        if not first:
            first.append(time.time())
            print("first-frame %.6f" % first[0], flush=True)

    sink = md5_sink(open(out, "w"), on_frame)
    for e in (rtpbin, rtp_in, rtcp_in, rtcp_out, depay, dec, sink):
        pipe.add(e)
    depay.link(dec)
    dec.link(sink)

    # (rtprtxreceive's map too goes from the original payload type to the RTX one)
    rtx = make("rtprtxreceive", payload_type_map=rtx_map("pt", pt, rtx_pt))
    rtpbin.connect("request-aux-receiver", lambda _b, sid: aux_bin(rtx) if sid == 0 else None)

    def caps_of(_b, _sid, p):
        if p == pt:
            return Gst.Caps.from_string(rtp_caps)
        if p == rtx_pt:
            return Gst.Caps.from_string("application/x-rtp,media=video,clock-rate=90000,"
                                        "encoding-name=RTX,payload=%d,apt=%d" % (rtx_pt, pt))
        return None

    rtpbin.connect("request-pt-map", caps_of)

    def pad_added(_b, pad):
        sink = depay.get_static_pad("sink")
        if pad.get_name().startswith("recv_rtp_src_0_") and not sink.is_linked():
            pad.link(sink)

    rtpbin.connect("pad-added", pad_added)
    rtp_in.get_static_pad("src").link(rtpbin.request_pad_simple("recv_rtp_sink_0"))
    # NACKs often: rtpsession sends the jitter buffer's requests in RTCP packets, at most
    # one early packet (RFC 4585 3.5.2) between regular ones, which by default are 5 s
    # apart; measured here, that left about two NACKs per lost packet within the jitter
    # buffer's latency, and with 5% loss on the RTX too a packet went unrepaired now and
    # then. A regular interval of 50 ms gives a packet a dozen asks, but only if RTCP's
    # bandwidth allows it: 5% of the session's, which rtpsession takes as 64 kbit/s until
    # it has estimated the stream's, so the first seconds' RTCP went about every 0.6 s
    # (the NACKs came in bursts that far apart). A packet lost then whose RTX was lost too
    # was asked for again only after Cascade's buffer had let it go (--rtx-ms, then 1 s), and
    # the jitter buffer gave it up: the down round's known failure. The session's
    # bandwidth is the stream's from the start (what SDP's b=AS would say), 1 Mbit/s.
    session = rtpbin.emit("get-internal-session", 0)
    session.set_property("bandwidth", 1000000.0)
    session.set_property("rtcp-immediate-feedback-threshold", 100)
    session.set_property("rtcp-min-interval", 50 * Gst.MSECOND)
    rtcp_in.get_static_pad("src").link(rtpbin.request_pad_simple("recv_rtcp_sink_0"))
    rtpbin.request_pad_simple("send_rtcp_src_0").link(rtcp_out.get_static_pad("sink"))
    jbufs = []
    rtpbin.connect("new-jitterbuffer", lambda _b, jb, _sid, _ssrc: jbufs.append(jb))

    def report():
        stats = ["rtprtxreceive: num-rtx-requests=%d num-rtx-packets=%d num-rtx-assoc-packets=%d"
                 % (rtx.get_property("num-rtx-requests"), rtx.get_property("num-rtx-packets"),
                    rtx.get_property("num-rtx-assoc-packets"))]
        for jb in jbufs:
            st = jb.get_property("stats")
            stats.append("rtpjitterbuffer: " + " ".join(
                "%s=%s" % (k, st.get_value(k)) for k in
                ("num-pushed", "num-lost", "num-late", "num-duplicates", "rtx-count",
                 "rtx-success-count", "rtx-rtt")))
        stats.append("rtpsession: " + fb_counts(session, "sent"))
        return "\n".join(stats)

    rc = [0]
    run(pipe, lambda r: rc.__setitem__(0, r), report)
    return rc[0]


TWCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"


def cmd_recv_twcc(ip, port, dst, drtcp, pt, ext_id, out):
    port, drtcp, pt, ext_id = map(int, (port, drtcp, pt, ext_id))
    caps = Gst.Caps.from_string((RTP_CAPS % pt) + ",extmap-%d=(string)%s,rtcp-fb-transport-cc=(boolean)true"
                                % (ext_id, TWCC_URI))
    rtp_sock, rtcp_sock = sock(ip, port), sock(ip, port + 1)
    pipe = Gst.Pipeline.new("recvtw")
    rtpbin = make("rtpbin", rtp_profile="avpf", latency=200)
    rtp_in = make("udpsrc", socket=rtp_sock, close_socket=False, caps=caps)
    rtcp_in = make("udpsrc", socket=rtcp_sock, close_socket=False,
                   caps=Gst.Caps.from_string("application/x-rtcp"))
    rtcp_out = make("udpsink", socket=rtcp_sock, close_socket=False, host=dst, port=drtcp,
                    sync=False, async_=False)
    for e in (rtpbin, rtp_in, rtcp_in, rtcp_out):
        pipe.add(e)
    rtpbin.connect("request-pt-map", lambda _b, _sid, p: caps if p == pt else None)
    streams = []
    md5_out = open(out, "w")

    def pad_added(_b, pad):
        if not pad.get_name().startswith("recv_rtp_src_0_"):
            return
        # each stream decoded on its own branch; the first one's frames are written
        streams.append(pad.get_name())
        depay, dec = make("rtpvp8depay"), make("vp8dec", threads=1)
        sink = md5_sink(md5_out) if len(streams) == 1 else make("fakesink", sync=False)
        for e in (depay, dec, sink):
            pipe.add(e)
            e.sync_state_with_parent()
        depay.link(dec)
        dec.link(sink)
        pad.link(depay.get_static_pad("sink"))

    rtpbin.connect("pad-added", pad_added)
    rtp_in.get_static_pad("src").link(rtpbin.request_pad_simple("recv_rtp_sink_0"))
    session = rtpbin.emit("get-internal-session", 0)
    session.set_property("rtcp-min-interval", 50 * Gst.MSECOND)
    rtcp_in.get_static_pad("src").link(rtpbin.request_pad_simple("recv_rtcp_sink_0"))
    rtpbin.request_pad_simple("send_rtcp_src_0").link(rtcp_out.get_static_pad("sink"))
    rc = [0]
    run(pipe, lambda r: rc.__setitem__(0, r), lambda: "streams: %s" % " ".join(streams))
    return rc[0]


def main():
    Gst.init(None)
    cmds = {"send": (cmd_send, 9, 9), "recv": (cmd_recv, 7, 8), "recvtw": (cmd_recv_twcc, 7, 7)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or \
            not cmds[sys.argv[1]][1] <= len(sys.argv) - 2 <= cmds[sys.argv[1]][2]:
        sys.exit(__doc__)
    fn = cmds[sys.argv[1]][0]
    sys.exit(fn(*sys.argv[2:]))


if __name__ == "__main__":
    main()
