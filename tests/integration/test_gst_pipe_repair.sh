#!/usr/bin/env bash
# Loss repair across nodes with independent endpoints: the GStreamer sender of gst_repair
# (gstrtx.py: rtpbin in the AVPF profile, VP8 with one keyframe unless asked for,
# rtprtxsend) publishes on node 1 of a 2-node lab; the GStreamer receiver (rtpjitterbuffer
# with do-retransmission, rtprtxreceive) consumes on node 2, which pipes the producer in
# from node 1. 5% of the packets on the pipe link from node 1 to node 2 are dropped at
# random: iptables' statistic match in the FORWARD chain of the lab's bridge namespace
# (br_netfilter; the nodes' own kernels never see their media, which XDP hands to the
# dataplanes). Node 2 NACKs the pipe, node 1 retransmits from its buffer, and the receiver
# decodes at least 99% of the 300 frames sent, identical to the sender's own decoding of
# what it encoded and in order (gst_round pipe in gstlib.sh); the figures are logged; no
# lab process may report a sanitizer error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gstlib.sh"

need_lab 96 iptables
need_gst

lab_use
lab_up 2
lab_cluster_formed 2

gst_round pipe 21020 22020
lab_sanitizers_quiet
pass "GStreamer VP8 with NACK/RTX through two nodes: 5% loss on the pipe repaired, at" \
	"least 99% of $GST_FRAMES frames decoded identical"
