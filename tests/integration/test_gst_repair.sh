#!/usr/bin/env bash
# Loss repair with independent endpoints: GStreamer (Debian's, driven by gstrtx.py) sends
# VP8 with rtpbin in the AVPF profile and rtprtxsend, into a producer made through the API
# with "nack" and "nack pli" feedback, an RTX codec and encodings[0].rtx.ssrc; a GStreamer
# receiver (rtpjitterbuffer with do-retransmission, rtprtxreceive) consumes it through the
# API with rtpCapabilities that offer RTX, and NACKs what it misses to the consumer's
# transport. One node of a lab; the sender on client 1, the receiver on client 2, both on
# connected transports without rtcp-mux (RTP from a port, RTCP from the next one, each
# read and sent on one socket).
#
# 5% of the packets are dropped at random by the kernel of a client namespace (iptables'
# statistic match, which needs no sch_netem in the kernel), in two rounds (gst_round in
# gstlib.sh): "down", from Cascade to the receiver, and "up", from the sender to Cascade.
# Each round, the receiver must decode at least 99% of the frames sent, each
# byte-identical to the sender's own decoding of what it encoded and in order; the
# figures are logged; no lab process may report a sanitizer error.
#
# The down round used to fail now and then (2 of 12 runs when first measured, 1 of 11 in a
# second series, under ASan; most frames then differed): a packet lost in the first
# seconds whose first RTX was lost too was never asked for again in time. The receiver's
# rtpsession took the session's bandwidth for 64 kbit/s until it had estimated the
# stream's, so its RTCP, which carries the NACKs, went out about every 0.6 s rather than
# every 50 ms (its debug log showed Cascade's RTX arriving in bursts that far apart), and
# the next NACK for the packet came after Cascade's buffer had let it go (--rtx-ms, then 1 s).
# gstrtx.py gives the session the stream's bandwidth from the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gstlib.sh"

need_lab 64 iptables
need_gst

lab_use
lab_up 1

gst_round down 21000 22000
gst_round up 21010 22010
lab_sanitizers_quiet
pass "GStreamer VP8 with NACK/RTX through Cascade: 5% loss to the receiver and from the" \
	"sender repaired, at least 99% of $GST_FRAMES frames decoded identical"
