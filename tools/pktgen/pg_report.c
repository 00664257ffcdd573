/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * End-of-run output: the verdict (exit status), a human summary and the JSON summary. All
 * three read the same finished state after every lcore has stopped, so nothing here races
 * with the packet path. The JSON is written by hand (flat, numbers and a few strings) so
 * the tool needs no JSON library. Per-SSRC "bytes" count RTP bytes (the UDP payload, which
 * is what --size sets); the "tx" and "rx" totals count Ethernet frames without FCS. Shape:
 *
 *   {"mode", "interrupted", "tx": {packets, bytes, pps, drops, unsent, ...},
 *    "rx": {packets, bytes, other, chained, ssrcs, max_ssrcs, ssrc_overflow, ssrc_overflow_first, verify,
 *           malformed, malformed_no_ssrc, malformed_reasons{bad_ip_cksum, bad_udp_cksum,
 *           bad_len, bad_rtp, bad_probe, bad_payload}, lost, loss_fraction,
 *           latency_negative, latency_us{p50,p99,max}, ...},
 *    "ssrcs": [{ssrc, stream, pt, packets, bytes, lost, loss_fraction, duplicates,
 *               reordered, seq_errors, late, first_seq, max_seq, first_rx_ns, last_rx_ns,
 *               rtp_seq_first, rtp_seq_last, malformed, malformed_reasons{...},
 *               latency_us{p50,p99,max,mean}, jitter_ms, jitter_mean_ms, failed}],
 *    "expect_ssrcs", "missing_ssrcs", "max_loss", "failed_ssrcs", "max_malformed",
 *    "allow_overflow", "failures": ["missing_ssrcs"|"loss"|"malformed"|"ssrc_overflow"],
 *    "status"}
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "pg.h"

#define TEXT_SSRCS 64 /* SSRC rows of the text summary, plus as many with a problem */

static const char *const mode_names[] = {
	[PG_MODE_BOTH] = "both",
	[PG_MODE_TX] = "tx",
	[PG_MODE_RX] = "rx",
};

/* Sums over all SSRCs of a receiver. */
struct totals {
	uint64_t lost;
	uint64_t expected;
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t seq_errors;
	uint64_t lat_count;
	uint64_t lat_max_ns;
	uint64_t lat_negative;
	uint64_t hist[PG_HIST_BUCKETS];
};

/* Add up the receiver's SSRCs into t. */
static void
sum_totals(const struct pg_rx *rx, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < rx->table.used; i++) {
		const struct pg_ssrc *s = &rx->table.entries[i];
		t->lost += pg_ssrc_lost(s);
		uint64_t e = pg_ssrc_expected(s);
		t->expected = t->expected + e < t->expected ? UINT64_MAX : t->expected + e;
		t->duplicates += s->duplicates;
		t->reordered += s->reordered;
		t->seq_errors += s->seq_errors;
		t->lat_count += s->lat_count;
		t->lat_max_ns = RTE_MAX(t->lat_max_ns, s->lat_max_ns);
		t->lat_negative += s->lat_negative;
		for (uint32_t b = 0; b < PG_HIST_BUCKETS; b++)
			t->hist[b] += s->hist[b];
	}
}

/* Whether s breaks the loss bound. */
static bool
ssrc_failed(const struct pg_options *o, const struct pg_ssrc *s)
{
	return o->max_loss >= 0 && pg_ssrc_loss_fraction(s) > o->max_loss;
}

/* SSRCs that --expect-ssrcs asked for and that never arrived. */
static uint32_t
missing(const struct pg_options *o, const struct pg_rx *rx)
{
	return o->expect_ssrcs > rx->table.used ? o->expect_ssrcs - rx->table.used : 0;
}

/* Why a run fails; pg_report_status() is 2 when any is set. */
enum {
	FAIL_MISSING = 1u << 0,   /* fewer SSRCs than --expect-ssrcs */
	FAIL_LOSS = 1u << 1,      /* an SSRC above --max-loss */
	FAIL_MALFORMED = 1u << 2, /* more malformed packets than --max-malformed */
	FAIL_OVERFLOW = 1u << 3,  /* SSRCs found the table full, without --allow-overflow */
};

static const char *const fail_names[] = {"missing_ssrcs", "loss", "malformed", "ssrc_overflow"};

/* The FAIL_* reasons of the result. */
static uint32_t
failures(const struct pg_options *o, const struct pg_result *r)
{
	const struct pg_rx *rx = r->rx;
	uint32_t f = 0;

	if (rx == NULL)
		return 0;
	if (missing(o, rx) > 0)
		f |= FAIL_MISSING;
	for (uint32_t i = 0; i < rx->table.used; i++)
		if (ssrc_failed(o, &rx->table.entries[i]))
			f |= FAIL_LOSS;
	if (o->max_malformed != UINT64_MAX && rx->malformed > o->max_malformed)
		f |= FAIL_MALFORMED;
	if (!o->allow_overflow && rx->table.overflow > 0)
		f |= FAIL_OVERFLOW;
	return f;
}

int
pg_report_status(const struct pg_options *o, const struct pg_result *r)
{
	return failures(o, r) != 0 ? 2 : 0;
}

/* Quantile q of s's latency, in microseconds. */
static double
lat_us(const struct pg_ssrc *s, double q)
{
	return (double)pg_hist_quantile(s->hist, s->lat_count, q, s->lat_max_ns) / 1e3;
}

/* RFC 3550 A.8 jitter of s in milliseconds. */
static double
jitter_ms(const struct pg_ssrc *s, uint32_t clock_rate)
{
	return (double)s->jitter_x16 / 16.0 / clock_rate * 1e3;
}

/* Mean over the run of s's RFC 3550 jitter estimate, in milliseconds. */
static double
jitter_mean_ms(const struct pg_ssrc *s, uint32_t clock_rate)
{
	if (s->probed == 0)
		return 0;
	return (double)s->jitter_x16_sum / (double)s->probed / 16.0 / clock_rate * 1e3;
}

/* Packets per second over seconds (0 when no time passed). */
static double
rate(uint64_t n, double seconds)
{
	return seconds > 0 ? (double)n / seconds : 0;
}

void
pg_report_text(FILE *f, const struct pg_options *o, const struct pg_result *r)
{
	const struct pg_tx *tx = r->tx;
	const struct pg_rx *rx = r->rx;

	if (r->interrupted)
		fprintf(f, "interrupted: figures cover the run until the signal\n");
	if (tx != NULL) {
		double pps = rate(tx->sent, r->tx_seconds);
		fprintf(f,
			"tx: %" PRIu64
			" packets in %.3f s = %.0f pps (%u streams), %.1f Mbit/s of frames, "
			"%u-byte frames; drops %" PRIu64 ", unsent %" PRIu64
			", alloc failures %" PRIu64 "\n",
			tx->sent, r->tx_seconds, pps, tx->nstreams,
			rate(tx->bytes, r->tx_seconds) * 8 / 1e6, tx->frame_len, tx->drops,
			tx->unsent, tx->alloc_fail);
	}
	if (rx == NULL)
		return;

	struct totals t;
	sum_totals(rx, &t);
	fprintf(f,
		"rx: %" PRIu64 " packets in %.3f s = %.0f pps, %u SSRCs, %" PRIu64
		" lost (%.6f%%), other %" PRIu64 ", malformed %" PRIu64 ", "
		"ssrc overflow %" PRIu64 "\n",
		rx->packets, r->rx_seconds, rate(rx->packets, r->rx_seconds), rx->table.used,
		t.lost, t.expected ? 100.0 * (double)t.lost / (double)t.expected : 0.0, rx->other,
		rx->malformed, rx->table.overflow);
	fprintf(f, "%-10s %6s %10s %8s %9s %6s %6s %7s %6s %9s %9s %9s %9s\n", "ssrc", "stream",
		"packets", "lost", "loss%", "dup", "reord", "seqerr", "malf", "p50_us", "p99_us",
		"max_us", "jitter_ms");
	/* the first TEXT_SSRCS, then only those with a problem; the JSON has all of them */
	uint32_t shown = 0;
	for (uint32_t i = 0; i < rx->table.used; i++) {
		const struct pg_ssrc *s = &rx->table.entries[i];
		bool failed = ssrc_failed(o, s);
		if (shown >= TEXT_SSRCS && !failed && s->malformed == 0)
			continue;
		if (shown >= 2 * TEXT_SSRCS)
			break;
		shown++;
		fprintf(f,
			"0x%08x %6u %10" PRIu64 " %8" PRIu64 " %8.4f%% %6" PRIu64 " %6" PRIu64
			" %7" PRIu64 " %6" PRIu64 " %9.1f %9.1f %9.1f %9.3f%s%s\n",
			s->ssrc, s->stream, s->packets, pg_ssrc_lost(s),
			100 * pg_ssrc_loss_fraction(s), s->duplicates, s->reordered, s->seq_errors,
			s->malformed, lat_us(s, 0.5), lat_us(s, 0.99), (double)s->lat_max_ns / 1e3,
			jitter_ms(s, rx->clock_rate), failed ? "  LOSS" : "",
			s->malformed ? "  MALFORMED" : "");
	}
	if (shown < rx->table.used)
		fprintf(f, "... %u more SSRCs (see --json)\n", rx->table.used - shown);
	if (!rx->verify)
		fprintf(f, "malformed: not checked (--no-verify)\n");
	else if (rx->malformed > 0) {
		fprintf(f, "malformed: %" PRIu64 " packets (%" PRIu64 " without an SSRC):",
			rx->malformed, rx->malformed_no_ssrc);
		for (uint32_t b = 0; b < PG_BAD_COUNT; b++)
			if (rx->bad[b] != 0)
				fprintf(f, " %s %" PRIu64, pg_bad_names[b], rx->bad[b]);
		fputc('\n', f);
	}
	if (rx->table.overflow > 0)
		fprintf(f,
			"ssrc overflow: %" PRIu64 " packets of SSRCs beyond --max-ssrcs %u "
			"(the first 0x%08x)\n",
			rx->table.overflow, rx->table.cap, rx->overflow_ssrc);
	if (t.lat_count > 0)
		fprintf(f, "latency (all SSRCs): p50 %.1f us, p99 %.1f us, max %.1f us\n",
			(double)pg_hist_quantile(t.hist, t.lat_count, 0.5, t.lat_max_ns) / 1e3,
			(double)pg_hist_quantile(t.hist, t.lat_count, 0.99, t.lat_max_ns) / 1e3,
			(double)t.lat_max_ns / 1e3);
	if (missing(o, rx) > 0)
		fprintf(f, "missing: %u of %u expected SSRCs never arrived%s\n", missing(o, rx),
			o->expect_ssrcs,
			rx->table.overflow ? " or found the table full (see --max-ssrcs)" : "");
	if (t.lat_negative > 0)
		fprintf(f, "clock: %" PRIu64 " probes were stamped after they arrived\n",
			t.lat_negative);
	uint32_t fail = failures(o, r);
	fprintf(f, "result: %s", fail == 0 ? "ok" : "FAILED:");
	for (uint32_t b = 0; b < RTE_DIM(fail_names); b++)
		if (fail & (1u << b))
			fprintf(f, " %s", fail_names[b]);
	fputc('\n', f);
}

/*
 * JSON writers. Each member is written with its leading separator: ju()/jd()/jb() write
 * ,"key":value, and an object opens with the "{" that jopen() writes, whose first member
 * therefore must skip the comma; the "first" flag in struct jw does that.
 */
struct jw {
	FILE *f;
	bool first;
};

/* Open an object, named when key is not NULL. */
static void
jopen(struct jw *w, const char *key)
{
	if (key != NULL)
		fprintf(w->f, "%s\"%s\":{", w->first ? "" : ",", key);
	else
		fprintf(w->f, "%s{", w->first ? "" : ",");
	w->first = true;
}

/* Close the innermost object. */
static void
jclose(struct jw *w)
{
	fputc('}', w->f);
	w->first = false;
}

/* Write the key and separator of the next member. */
static void
jkey(struct jw *w, const char *key)
{
	fprintf(w->f, "%s\"%s\":", w->first ? "" : ",", key);
	w->first = false;
}

/* Unsigned integer member. */
static void
ju(struct jw *w, const char *key, uint64_t v)
{
	jkey(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

/* Number member with the given number of decimals. */
static void
jd(struct jw *w, const char *key, double v, int decimals)
{
	jkey(w, key);
	if (isfinite(v))
		fprintf(w->f, "%.*f", decimals, v);
	else
		fputs("null", w->f); /* JSON has no NaN or infinity */
}

/* Boolean member. */
static void
jb(struct jw *w, const char *key, bool v)
{
	jkey(w, key);
	fputs(v ? "true" : "false", w->f);
}

/* Null member. */
static void
jnull(struct jw *w, const char *key)
{
	jkey(w, key);
	fputs("null", w->f);
}

/* The "malformed_reasons" object: a count per enum pg_bad. */
static void
json_reasons(struct jw *w, const uint64_t *bad)
{
	jopen(w, "malformed_reasons");
	for (uint32_t b = 0; b < PG_BAD_COUNT; b++)
		ju(w, pg_bad_names[b], bad[b]);
	jclose(w);
}

/* The "tx" object; zeros when this run did not send. */
static void
json_tx(struct jw *w, const struct pg_options *o, const struct pg_result *r)
{
	static const struct pg_tx none;
	const struct pg_tx *tx = r->tx != NULL ? r->tx : &none;

	jopen(w, "tx");
	ju(w, "packets", tx->sent);
	ju(w, "bytes", tx->bytes);
	jd(w, "pps", rate(tx->sent, r->tx_seconds), 3);
	ju(w, "drops", tx->drops);
	ju(w, "unsent", tx->unsent);
	ju(w, "alloc_failures", tx->alloc_fail);
	jd(w, "seconds", r->tx_seconds, 6);
	ju(w, "streams", tx->nstreams);
	jd(w, "rate_per_stream", r->tx != NULL ? o->rate : 0, 3);
	ju(w, "size", r->tx != NULL ? o->size : 0);
	ju(w, "frame_len", tx->frame_len);
	jclose(w);
}

/* A "latency_us" object from a histogram; mean_ns < 0 leaves the mean out. */
static void
json_latency(struct jw *w, const uint64_t *hist, uint64_t n, uint64_t max_ns, double mean_ns)
{
	jopen(w, "latency_us");
	jd(w, "p50", (double)pg_hist_quantile(hist, n, 0.5, max_ns) / 1e3, 3);
	jd(w, "p99", (double)pg_hist_quantile(hist, n, 0.99, max_ns) / 1e3, 3);
	jd(w, "max", (double)max_ns / 1e3, 3);
	if (mean_ns >= 0)
		jd(w, "mean", mean_ns / 1e3, 3);
	jclose(w);
}

/* The "rx" object: totals over all SSRCs; zeros when this run did not receive. */
static void
json_rx(struct jw *w, const struct pg_result *r)
{
	static const struct pg_rx none;
	const struct pg_rx *rx = r->rx != NULL ? r->rx : &none;
	struct totals t;

	sum_totals(rx, &t);
	jopen(w, "rx");
	ju(w, "packets", rx->packets);
	ju(w, "bytes", rx->bytes);
	jd(w, "pps", rate(rx->packets, r->rx_seconds), 3);
	jd(w, "seconds", r->rx_seconds, 6);
	ju(w, "probes", rx->probes);
	ju(w, "other", rx->other);
	ju(w, "chained", rx->chained);
	ju(w, "ssrcs", rx->table.used);
	ju(w, "max_ssrcs", rx->table.cap);
	ju(w, "ssrc_overflow", rx->table.overflow);
	if (rx->table.overflow > 0)
		ju(w, "ssrc_overflow_first", rx->overflow_ssrc);
	else
		jnull(w, "ssrc_overflow_first");
	jb(w, "verify", rx->verify);
	ju(w, "malformed", rx->malformed);
	ju(w, "malformed_no_ssrc", rx->malformed_no_ssrc);
	json_reasons(w, rx->bad);
	ju(w, "lost", t.lost);
	jd(w, "loss_fraction", t.expected ? (double)t.lost / (double)t.expected : 0, 9);
	ju(w, "duplicates", t.duplicates);
	ju(w, "reordered", t.reordered);
	ju(w, "seq_errors", t.seq_errors);
	ju(w, "latency_negative", t.lat_negative);
	json_latency(w, t.hist, t.lat_count, t.lat_max_ns, -1);
	jclose(w);
}

/* The "ssrcs" array: one object per SSRC, in order of first arrival. */
static void
json_ssrcs(struct jw *w, const struct pg_options *o, const struct pg_rx *rx)
{
	jkey(w, "ssrcs");
	fputc('[', w->f);
	w->first = true;
	for (uint32_t i = 0; rx != NULL && i < rx->table.used; i++) {
		const struct pg_ssrc *s = &rx->table.entries[i];
		double mean = s->lat_count ? (double)s->lat_sum_ns / (double)s->lat_count : 0;

		fputc('\n', w->f);
		jopen(w, NULL);
		ju(w, "ssrc", s->ssrc);
		ju(w, "stream", s->stream);
		ju(w, "pt", s->pt);
		ju(w, "packets", s->packets);
		ju(w, "bytes", s->bytes);
		ju(w, "lost", pg_ssrc_lost(s));
		jd(w, "loss_fraction", pg_ssrc_loss_fraction(s), 9);
		ju(w, "duplicates", s->duplicates);
		ju(w, "reordered", s->reordered);
		ju(w, "seq_errors", s->seq_errors);
		ju(w, "late", s->late);
		if (s->has_probe) {
			ju(w, "first_seq", s->min_seq);
			ju(w, "max_seq", s->max_seq);
		} else {
			jnull(w, "first_seq");
			jnull(w, "max_seq");
		}
		ju(w, "first_rx_ns", s->first_rx_ns);
		ju(w, "last_rx_ns", s->last_rx_ns);
		ju(w, "rtp_seq_first", s->first_rtp_seq);
		ju(w, "rtp_seq_last", s->last_rtp_seq);
		ju(w, "malformed", s->malformed);
		json_reasons(w, s->bad);
		json_latency(w, s->hist, s->lat_count, s->lat_max_ns, mean);
		jd(w, "jitter_ms", jitter_ms(s, rx->clock_rate), 6);
		jd(w, "jitter_mean_ms", jitter_mean_ms(s, rx->clock_rate), 6);
		jb(w, "failed", ssrc_failed(o, s));
		jclose(w);
	}
	fputc(']', w->f);
	w->first = false;
}

int
pg_report_json(FILE *f, const struct pg_options *o, const struct pg_result *r)
{
	struct jw w = {.f = f, .first = true};
	uint32_t failed = 0;

	for (uint32_t i = 0; r->rx != NULL && i < r->rx->table.used; i++)
		failed += ssrc_failed(o, &r->rx->table.entries[i]);
	jopen(&w, NULL);
	jkey(&w, "mode");
	fprintf(f, "\"%s\"", mode_names[o->mode]);
	jb(&w, "interrupted", r->interrupted);
	fputc('\n', f);
	json_tx(&w, o, r);
	fputc('\n', f);
	json_rx(&w, r);
	fputc('\n', f);
	json_ssrcs(&w, o, r->rx);
	fputc('\n', f);
	ju(&w, "expect_ssrcs", o->expect_ssrcs);
	ju(&w, "missing_ssrcs", r->rx != NULL ? missing(o, r->rx) : 0);
	jkey(&w, "max_loss");
	if (o->max_loss >= 0)
		fprintf(f, "%.9g", o->max_loss);
	else
		fputs("null", f);
	ju(&w, "failed_ssrcs", failed);
	if (o->max_malformed != UINT64_MAX)
		ju(&w, "max_malformed", o->max_malformed);
	else
		jnull(&w, "max_malformed");
	jb(&w, "allow_overflow", o->allow_overflow);
	uint32_t fail = failures(o, r);
	jkey(&w, "failures");
	fputc('[', f);
	for (uint32_t b = 0, n = 0; b < RTE_DIM(fail_names); b++)
		if (fail & (1u << b))
			fprintf(f, "%s\"%s\"", n++ ? "," : "", fail_names[b]);
	fputc(']', f);
	ju(&w, "status", (uint64_t)pg_report_status(o, r));
	jclose(&w);
	fputc('\n', f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
