#!/usr/bin/env bash
# SRTP between nodes (cluster.pipe_srtp) on a 2-node lab: a producer on node 1 with a
# consumer on node 2 reaches its receiver whole (zero loss, every byte) through a pipe
# that carries SRTP. On the wire between the nodes (captured on the lab's bridge) every
# pipe packet is SRTP: the suite's tag longer and no plaintext payload. The pipe port
# accepts any source, so what protects it is the key: a plain packet forged with the
# pipe SSRC and a captured pipe packet sent again are dropped (srtp_auth, srtp_replay)
# and never reach the receiver. A pipe request in another suite (or plain) is refused
# with 409, and a bad cluster.pipe_srtp stops cascade-cp at start naming the field.
# The pipes run AES_CM_128_HMAC_SHA1_80 in one lab and AEAD_AES_128_GCM in a second, so
# that both kinds of suite cross a pipe.
. "$(dirname "$0")/lib.sh"

need_lab 64 tshark

# --- a bad cluster.pipe_srtp stops cascade-cp at start, naming the field --------------------
cat >"$TEST_TMP/bad.json" <<'EOF'
{"node_id": "n", "media": {"ips": ["127.0.0.1"], "port_min": 40000, "port_max": 40100},
 "api": {"listen": "127.0.0.1:1", "token": "0123456789abcdef"},
 "cluster": {"secret": "0123456789abcdef0123", "pipe_port": 39999, "pipe_srtp": "AES_CM_128"}}
EOF
if "$CASCADE_CP" --config "$TEST_TMP/bad.json" >"$TEST_TMP/bad.log" 2>&1; then
	fail "cascade-cp started with cluster.pipe_srtp \"AES_CM_128\""
fi
grep -q "cluster.pipe_srtp" "$TEST_TMP/bad.log" || fail "bad pipe_srtp: $(cat "$TEST_TMP/bad.log")"

# pipe_check PCAP COUNT PIPE_SSRC TAG OUT: the capture holds COUNT pipe packets of
# PIPE_SSRC, each SRTP (TAG bytes longer than the plain packet) with no plaintext payload;
# the first is written to OUT (to be replayed)
pipe_check() {
	"$PY" - "$@" <<'PYEOF'
import struct, sys
path, count, pipe_ssrc, tag, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
PAYLOAD = 1000
def payload(i):
    return struct.pack("!I", i) + bytes((i * 7 + k) & 0xFF for k in range(PAYLOAD - 4))
plain = {payload(i)[:64] for i in range(count)}
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
assert magic == 0xA1B2C3D4, "pcap (not pcapng) expected: %x" % magic
off, n, bad = 24, 0, []
first = None
while off + 16 <= len(data):
    _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    ihl = (frame[14] & 0x0F) * 4
    udp = frame[14 + ihl + 8:]
    if len(udp) < 12 or udp[0] >> 6 != 2:
        continue
    ssrc = struct.unpack("!I", udp[8:12])[0]
    if ssrc != pipe_ssrc:
        continue
    n += 1
    if len(udp) != 12 + PAYLOAD + tag:
        bad.append("length %d" % len(udp))
    if udp[12:76] in plain:
        bad.append("plaintext payload")
    if first is None:
        first = udp
if n < count or bad:
    sys.exit("pipe capture: %d packets of ssrc %08x (want %d), %s" % (n, pipe_ssrc, count, bad[:5]))
open(out, "wb").write(first)
PYEOF
}

TTL_MS=3000
((CASCADE_SANITIZED == 0)) || TTL_MS=8000
export CASCADE_LAB_NODE_TTL_MS=$TTL_MS
lab_use

# one round per suite: a lab of its own, taken down before the next
round() {
	local suite=$1 tag=$2
	export CASCADE_LAB_PIPE_SRTP=$suite
	lab_up 2
	drop() { ok 2 GET /v1/stats; jq -r ".node.drops.$1" "$TEST_TMP/body"; }

	for n in 1 2; do
		wait_for "[[ \$(api $n GET /v1/cluster/nodes) == 200 ]] && (( \$(jq '.nodes | length' $TEST_TMP/body) == 2 ))" 30 ||
			fail "node $n does not see 2 nodes: $(cat "$TEST_TMP/body")"
		jq -e --arg s "$suite" 'all(.nodes[]; .pipe_srtp == $s)' "$TEST_TMP/body" >/dev/null ||
			fail "node $n's view of the cluster's pipe SRTP: $(cat "$TEST_TMP/body")"
		ok "$n" GET /v1/stats
		jq -e --arg s "$suite" '.pipes.transport.srtp == $s' "$TEST_TMP/body" >/dev/null ||
			fail "node $n pipe transport: $(jq -c .pipes.transport "$TEST_TMP/body")"
	done

	# producer (SSRC 4096) on node 1, consumer on node 2 towards client 2
	ok 1 POST /v1/rooms/s/transports '{"comedia":true}'
	local tin pin prod tout ssrc pipe_port pipe_ssrc
	tin=$(jq -r .id "$TEST_TMP/body")
	pin=$(jq -r .tuple.localPort "$TEST_TMP/body")
	ok 1 POST "/v1/transports/$tin/producers" \
		'{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}}'
	prod=$(jq -r .id "$TEST_TMP/body")
	ok 2 POST /v1/rooms/s/transports '{}'
	tout=$(jq -r .id "$TEST_TMP/body")
	ok 2 POST "/v1/transports/$tout/connect" "{\"ip\":\"$c2ip\",\"port\":6000}"
	ok 2 POST "/v1/transports/$tout/consumers" "{\"producerId\":\"$prod\"}"
	ssrc=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")
	ok 2 GET /v1/stats
	pipe_ssrc=$(jq -r --arg p "$prod" '.pipes.in[] | select(.producerId == $p) | .ssrc' "$TEST_TMP/body")
	[[ -n $pipe_ssrc ]] || fail "node 2 has no pipe of $prod: $(jq -c .pipes "$TEST_TMP/body")"
	pipe_port=$(nq 2 pipe_port)

	# capture the pipe on the bridge while the stream flows
	local cap=$TEST_TMP/pipe-$tag.pcap count=2000
	bg ip netns exec "$CASCADE_LAB_PREFIX-br" tshark -q -i br0 -F pcap \
		-f "udp dst port $pipe_port" -w "$cap"
	local tsh=$BG_PID
	wait_for "[[ -s $cap ]]" 10 || fail "tshark did not start on the lab's bridge"
	rm -f "$TEST_TMP/b.json" "$TEST_TMP/b.ready"
	bg ip netns exec "$c2" "$PY" "$UDP" recv "$c2ip" 6000 "$count" "$TEST_TMP/b.json" "$TEST_TMP/b.ready"
	local rcv=$BG_PID
	wait_for "[[ -f $TEST_TMP/b.ready ]]" 10 || fail "receiver did not start"
	ip netns exec "$c1" "$PY" "$UDP" send "$c1ip" 5000 "$(nq 1 media_ip)" "$pin" "$count" 500 ||
		fail "sender failed"
	wait "$rcv" || fail "receiver failed"
	jq -e --argjson n "$count" --argjson ssrc "$ssrc" '.packets == $n and .missing == 0 and
		.bad == 0 and .seq_errors == 0 and .ts_errors == 0 and .ssrcs == [$ssrc]' \
		"$TEST_TMP/b.json" >/dev/null || fail "receiver ($suite): $(cat "$TEST_TMP/b.json")"
	# tshark has written the stream once its capture holds every pipe packet
	wait_for "pipe_check $cap $count $pipe_ssrc $tag $TEST_TMP/replay-$tag.bin" 10 || true
	kill -INT "$tsh" 2>/dev/null || true
	wait "$tsh" 2>/dev/null || true
	log "$suite: $count packets node 1 -> node 2 through an SRTP pipe, none lost or altered"

	# every pipe packet on the wire: SRTP of the pipe SSRC, tag-longer, no plaintext
	pipe_check "$cap" "$count" "$pipe_ssrc" "$tag" "$TEST_TMP/replay-$tag.bin" ||
		fail "the pipe on the wire is not SRTP ($suite)"
	log "$suite: $count pipe packets on the bridge, all SRTP (+$tag bytes), no plaintext"

	# the key is the protection: forged and replayed packets never get through
	local auth0 replay0 got
	auth0=$(drop srtp_auth)
	replay0=$(drop srtp_replay)
	rm -f "$TEST_TMP/l.out" "$TEST_TMP/l.ready"
	bg ip netns exec "$c2" "$PY" "$UDP" listen "$c2ip" 6000 "$TEST_TMP/l.out" "$TEST_TMP/l.ready"
	local lis=$BG_PID
	wait_for "[[ -f $TEST_TMP/l.ready ]]" 10 || fail "listener did not start"
	ip netns exec "$c1" "$PY" - "$(nq 2 media_ip)" "$pipe_port" "$pipe_ssrc" \
		"$TEST_TMP/replay-$tag.bin" <<'PYEOF' || fail "forger failed"
import socket, struct, sys
dst, port, ssrc, replay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10):  # plain RTP with the pipe SSRC, sequence numbers ahead of the stream
    s.sendto(struct.pack("!BBHII", 0x80, 96, 40000 + i, 1234, ssrc) + b"x" * 200, (dst, port))
old = open(replay, "rb").read()
for i in range(10):  # a captured pipe packet, again
    s.sendto(old, (dst, port))
PYEOF
	wait_for "(( \$(drop srtp_auth) - $auth0 == 10 && \$(drop srtp_replay) - $replay0 == 10 ))" 5 ||
		fail "forged/replayed pipe packets: srtp_auth +$(($(drop srtp_auth) - auth0)) (want 10), srtp_replay +$(($(drop srtp_replay) - replay0)) (want 10)"
	# then one genuine packet through node 1 and the pipe: once the receiver has it,
	# anything forwarded before it has arrived too
	ip netns exec "$c1" "$PY" "$UDP" send "$c1ip" 5000 "$(nq 1 media_ip)" "$pin" 1 100 ||
		fail "marker sender failed"
	wait_for "[[ -s $TEST_TMP/l.out ]]" 5 || fail "the genuine packet after the forgeries did not arrive"
	kill "$lis" 2>/dev/null || true
	wait "$lis" 2>/dev/null || true
	got=$(wc -c <"$TEST_TMP/l.out")
	((got == 12 + 1000 + 1)) || fail "forged or replayed pipe packets reached the receiver ($got bytes, want the one genuine packet's 1013)"
	log "$suite: 10 forged and 10 replayed pipe packets dropped (srtp_auth, srtp_replay), none forwarded"

	# RTCP crosses too (SRTCP on the pipe): the producer's sender report reaches the
	# receiver as the consumer's
	rm -f "$TEST_TMP/sr.out" "$TEST_TMP/sr.ready"
	bg ip netns exec "$c2" "$PY" "$UDP" listen "$c2ip" 6000 "$TEST_TMP/sr.out" "$TEST_TMP/sr.ready"
	lis=$BG_PID
	wait_for "[[ -f $TEST_TMP/sr.ready ]]" 10 || fail "listener did not start"
	ip netns exec "$c1" "$PY" - "$c1ip" "$(nq 1 media_ip)" "$pin" <<'PYEOF' || fail "SR sender failed"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5000))
for i in range(3):  # RFC 3550 SR of SSRC 4096, no report blocks
    s.sendto(struct.pack("!BBHIIIIII", 0x80, 200, 6, 4096, 0xE000 + i, 0, 90000 + i, 10, 1000),
             (sys.argv[2], int(sys.argv[3])))
PYEOF
	wait_for "[[ -s $TEST_TMP/sr.out ]]" 5 || fail "no sender report crossed the SRTP pipe ($suite)"
	kill "$lis" 2>/dev/null || true
	wait "$lis" 2>/dev/null || true
	"$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d[1] == 200 and struct.unpack("!I", d[4:8])[0] == int(sys.argv[2]) else 1)' \
		"$TEST_TMP/sr.out" "$ssrc" || fail "the sender report behind node 2 is not the consumer's ($suite)"
	log "$suite: the producer's RTCP sender report crossed the pipe as SRTCP"

	# a pipe request in another suite, or plain, is refused with 409
	local secret other key hdr
	secret=$(cat "$CASCADE_LAB_DIR/cluster-secret")
	# a well-formed request of a node piping in another suite (a key of that suite's length)
	other=AEAD_AES_256_GCM
	key=$(head -c 44 /dev/zero | base64 -w0)
	if [[ $suite == "$other" ]]; then
		other=AES_CM_128_HMAC_SHA1_80
		key=$(head -c 30 /dev/zero | base64 -w0)
	fi
	for body in "{\"producerId\":\"$prod\",\"node\":\"node-2\",\"ip\":\"$(nq 2 media_ip)\",\"port\":$pipe_port,\"ssrc\":77}" \
		"{\"producerId\":\"$prod\",\"node\":\"node-2\",\"ip\":\"$(nq 2 media_ip)\",\"port\":$pipe_port,\"ssrc\":77,\"srtp\":{\"cryptoSuite\":\"$other\",\"keyBase64\":\"$key\"}}"; do
		# signed as node 2 signs its calls (cascadesign.py), a fresh signature each time
		mapfile -t hdr < <(/usr/bin/python3 "$SRC_DIR/tests/integration/cascadesign.py" peer \
			"$secret" node-2 node-1 POST /v1/internal/pipes "$body")
		s=$(ip netns exec "$c1" curl -s -m 10 -o "$TEST_TMP/body" -w '%{http_code}' \
			-H "${hdr[0]}" -H "${hdr[1]}" -H "${hdr[2]}" -X POST "$(nq 1 api)/v1/internal/pipes" -d "$body")
		[[ $s == 409 ]] && jq -e '.error.message | test("cluster.pipe_srtp")' "$TEST_TMP/body" >/dev/null ||
			fail "pipe request in another suite: $s $(cat "$TEST_TMP/body")"
	done
	"$LAB" down >>"$TEST_TMP/lab-down.log" 2>&1 || fail "tools/lab down failed"
}

round AES_CM_128_HMAC_SHA1_80 10
round AEAD_AES_128_GCM 16
pass "SRTP pipes (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM): whole, encrypted on the wire, forgeries and replays dropped, suite mismatch refused"
