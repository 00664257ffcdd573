/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-pktgen's entry point: splits the command line at "--" (EAL options before, the
 * tool's after), checks the tool's options before starting the EAL, sets up mempools and
 * ports, places the roles on lcores and runs them, then reports.
 *
 * Placement: each lcore runs lcore_loop() with a set of roles. TX and RX get an lcore of
 * their own when the EAL gives enough (-l 0-2 for both, -l 0-1 for one role); the main lcore
 * keeps the control role (deadlines, --progress, which read only published totals) and
 * takes whatever role is left over, so -l 0 runs TX, RX and control interleaved on one core.
 *
 * Ending: the control role decides when the run is over (sending done and --rx-grace
 * passed; --duration plus grace, or --rx-idle, for a receiver alone) and raises the quit
 * flag; SIGINT and SIGTERM raise it too. Every lcore then returns, the report is printed
 * and the EAL is cleaned up, so a signal still gives a full summary. SIGUSR1 only ends the
 * sending (as if --duration were over): the run then ends --rx-grace later, as usual.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "pg.h"

#define CTL_PERIOD_US 1000
#define IDLE_POLLS 256      /* empty polls before --idle-sleep applies */
#define POOL_MAX (1u << 18) /* mbufs per pool at most */

/* The roles one lcore runs. */
struct lcore_roles {
	bool tx;
	bool rx;
	bool ctl;
};

/* The run; globals because lcore functions and the signal handler get no better handle. */
static struct pg_options opt;
static struct pg_tx tx;
static struct pg_rx rx;
static struct lcore_roles roles[RTE_MAX_LCORE];
static bool quit; /* set by the control role or a signal; read by every lcore */
static bool signalled;
static double tsc_hz;
static uint64_t run_start_tsc;

bool
pg_quit_requested(void)
{
	return __atomic_load_n(&quit, __ATOMIC_RELAXED);
}

/* SIGINT/SIGTERM: ask every lcore to stop; the report still runs. */
static void
on_signal(int sig __rte_unused)
{
	__atomic_store_n(&signalled, true, __ATOMIC_RELAXED);
	__atomic_store_n(&quit, true, __ATOMIC_RELAXED);
}

/* SIGUSR1: end the sending now; receiving goes on for --rx-grace. */
static void
on_usr1(int sig __rte_unused)
{
	__atomic_store_n(&tx.stop, true, __ATOMIC_RELAXED);
}

/* Print one --progress line: rates over the last interval and totals. */
static void
progress(uint64_t now_tsc)
{
	static uint64_t last_tsc, last_tx, last_rx;
	uint64_t t = opt.mode != PG_MODE_RX ? __atomic_load_n(&tx.sent, __ATOMIC_RELAXED) : 0;
	uint64_t r = opt.mode != PG_MODE_TX ? __atomic_load_n(&rx.packets, __ATOMIC_RELAXED) : 0;
	double dt = (double)(now_tsc - (last_tsc ? last_tsc : run_start_tsc)) / tsc_hz;

	fprintf(stderr,
		PG_NAME ": t=%.1f s tx %.0f pps (total %" PRIu64 ", drops %" PRIu64 ") rx %.0f pps "
			"(total %" PRIu64 ", ssrcs %u)\n",
		(double)(now_tsc - run_start_tsc) / tsc_hz, (double)(t - last_tx) / dt, t,
		__atomic_load_n(&tx.drops, __ATOMIC_RELAXED), (double)(r - last_rx) / dt, r,
		__atomic_load_n(&rx.table.used, __ATOMIC_RELAXED));
	last_tsc = now_tsc;
	last_tx = t;
	last_rx = r;
}

/* The control role: end the run when its deadline passes; print progress. */
static void
control(uint64_t now_tsc)
{
	static uint64_t next_progress;
	uint64_t grace = (uint64_t)(opt.rx_grace * tsc_hz);
	bool end = false;

	if (opt.progress) {
		if (next_progress == 0)
			next_progress = run_start_tsc + (uint64_t)tsc_hz;
		if (now_tsc >= next_progress) {
			progress(now_tsc);
			next_progress += (uint64_t)tsc_hz;
		}
	}
	if (opt.mode == PG_MODE_TX) {
		end = __atomic_load_n(&tx.done, __ATOMIC_ACQUIRE);
	} else if (opt.mode == PG_MODE_BOTH) {
		end = __atomic_load_n(&tx.done, __ATOMIC_ACQUIRE) && now_tsc >= tx.done_tsc + grace;
	} else {
		uint64_t last = __atomic_load_n(&rx.last_rx_tsc, __ATOMIC_RELAXED);
		if (opt.duration > 0)
			end = now_tsc >= run_start_tsc + (uint64_t)(opt.duration * tsc_hz) + grace;
		if (opt.rx_idle > 0 && last != 0 && now_tsc > last)
			end |= now_tsc - last >= (uint64_t)(opt.rx_idle * tsc_hz);
	}
	if (end)
		__atomic_store_n(&quit, true, __ATOMIC_RELAXED);
}

/* Whether an idle lcore may sleep --idle-sleep now without delaying a due packet. */
static bool
may_sleep(const struct lcore_roles *r, uint64_t now_tsc)
{
	if (!r->tx || tx.done)
		return true;
	uint64_t due = pg_tx_next_due_tsc(&tx);
	return tx.period_tsc > 0 && due > now_tsc &&
	       (double)(due - now_tsc) > opt.idle_sleep_us * tsc_hz / 1e6;
}

/* Run this lcore's roles until the quit flag. */
static int
lcore_loop(void *arg __rte_unused)
{
	const struct lcore_roles *r = &roles[rte_lcore_id()];
	uint64_t ctl_period = (uint64_t)(CTL_PERIOD_US * tsc_hz / 1e6);
	uint64_t next_ctl = 0;
	unsigned int idle = 0;

	if (!r->tx && !r->rx && !r->ctl)
		return 0; /* more lcores than roles */
	if (r->tx)
		pg_tx_start(&tx, &opt, rte_rdtsc());
	while (!__atomic_load_n(&quit, __ATOMIC_RELAXED)) {
		uint64_t now = rte_rdtsc();
		unsigned int work = 0;

		if (r->tx && !tx.done)
			work += pg_tx_poll(&tx, now);
		if (r->rx)
			work += pg_rx_poll(&rx);
		if (r->ctl && now >= next_ctl) {
			control(now);
			next_ctl = now + ctl_period;
			if (!r->tx && !r->rx)
				rte_delay_us_sleep(CTL_PERIOD_US);
		}
		if (r->tx && tx.done && !r->rx && !r->ctl)
			break;
		idle = work != 0 ? 0 : idle + 1;
		if (opt.idle_sleep_us > 0 && idle >= IDLE_POLLS && may_sleep(r, now))
			rte_delay_us_sleep(opt.idle_sleep_us);
	}
	return 0;
}

/* Put the roles on the lcores the EAL gave; see the file comment. */
static void
place_roles(void)
{
	bool want_tx = opt.mode != PG_MODE_RX, want_rx = opt.mode != PG_MODE_TX;
	unsigned int lcore;

	roles[rte_get_main_lcore()].ctl = true;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (want_tx) {
			roles[lcore].tx = true;
			want_tx = false;
		} else if (want_rx) {
			roles[lcore].rx = true;
			want_rx = false;
		}
	}
	roles[rte_get_main_lcore()].tx = want_tx;
	roles[rte_get_main_lcore()].rx = want_rx;
	RTE_LCORE_FOREACH(lcore) {
		if (roles[lcore].tx || roles[lcore].rx || roles[lcore].ctl)
			fprintf(stderr, PG_NAME ": lcore %u:%s%s%s\n", lcore,
				roles[lcore].tx ? " tx" : "", roles[lcore].rx ? " rx" : "",
				roles[lcore].ctl ? " control" : "");
	}
}

/*
 * Mbufs for one queue pair and the lcore caches, times the segments of a frame of up to
 * max_frame bytes in mbufs of seg bytes (at most POOL_MAX in all: tiny --rx-mbuf-size
 * values are for tests), rounded to 2^n - 1 as mempools like.
 */
static uint32_t
pool_size(uint32_t max_frame, uint32_t seg)
{
	uint64_t n = 2u * opt.ring_size + 4u * opt.burst + 2048 +
		     2u * RTE_MEMPOOL_CACHE_MAX_SIZE * rte_lcore_count();
	n *= (max_frame + seg - 1) / seg;
	return rte_align32pow2((uint32_t)RTE_MIN(n, (uint64_t)POOL_MAX)) - 1;
}

/* Split argv at "--": returns the index of "--", or argc when there is none. */
static int
find_separator(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}

/* Everything between option parsing and the report; returns 0 or 1 (start-up error). */
static int
run(void)
{
	struct rte_mempool *tx_pool = NULL, *rx_pool = NULL;
	struct rte_ether_addr mac = {{0}};
	struct pg_clock clock;
	bool tx_started = false, rx_started = false;
	bool want_tx = opt.mode != PG_MODE_RX, want_rx = opt.mode != PG_MODE_TX;
	uint32_t frame = pg_tx_frame_len(&opt);
	double wait_s = opt.link_timeout;
	uint32_t room = RTE_PKTMBUF_HEADROOM + frame, min_room = RTE_MBUF_DEFAULT_BUF_SIZE;
	int rc = 1;

	if (want_tx && !rte_eth_dev_is_valid_port(opt.tx_port)) {
		fprintf(stderr, PG_NAME ": --tx-port: port %u does not exist (%u ports)\n",
			opt.tx_port, rte_eth_dev_count_avail());
		return 1;
	}
	if (want_rx && !rte_eth_dev_is_valid_port(opt.rx_port)) {
		fprintf(stderr, PG_NAME ": --rx-port: port %u does not exist (%u ports)\n",
			opt.rx_port, rte_eth_dev_count_avail());
		return 1;
	}

	/* room for what an SFU may add (header extensions, a VLAN tag) */
	uint32_t rx_room = RTE_MAX(min_room, room + 256);
	if (opt.rx_mbuf_size != 0)
		rx_room = RTE_PKTMBUF_HEADROOM + opt.rx_mbuf_size;
	rx_pool = pg_pool_create("pg_rx", pool_size(frame + 256, rx_room - RTE_PKTMBUF_HEADROOM),
				 rx_room);
	if (rx_pool == NULL)
		goto out;
	if (want_tx) {
		if (rte_eth_macaddr_get(opt.tx_port, &mac) != 0)
			memset(&mac, 0, sizeof(mac));
		if (pg_tx_init(&tx, &opt, &mac) != 0) {
			fprintf(stderr, PG_NAME ": --streams: no memory for %u streams\n",
				opt.streams);
			goto out;
		}
		tx_pool = pg_pool_create("pg_tx", pool_size(1, 1), RTE_MAX(min_room, room));
		if (tx_pool == NULL)
			goto out;
		pg_tx_prefill(&tx, tx_pool);
	}
	if (want_rx && pg_rx_init(&rx, &opt) != 0) {
		fprintf(stderr, PG_NAME ": --max-ssrcs: no memory for %u SSRCs\n", opt.max_ssrcs);
		goto out;
	}
	if (want_rx) {
		if (pg_port_start(opt.rx_port, opt.ring_size, rx_pool, frame + 256, wait_s) != 0)
			goto out;
		rx_started = true;
	}
	if (want_tx && !(rx_started && opt.tx_port == opt.rx_port)) {
		if (pg_port_start(opt.tx_port, opt.ring_size, rx_pool, frame, wait_s) != 0)
			goto out;
		tx_started = true;
	}
	if (want_tx && !pg_port_wait_link(opt.tx_port, wait_s) && !pg_quit_requested())
		fprintf(stderr,
			PG_NAME ": warning: port %u link down after %.1f s, sending anyway\n",
			opt.tx_port, wait_s);

	/* after the ports: a memif server refuses clients until its port is started */
	pg_clock_init(&clock);
	tsc_hz = pg_clock_tsc_hz(&clock);
	tx.clock = clock;
	rx.clock = clock;
	place_roles();
	run_start_tsc = rte_rdtsc();
	rx.start_ns = pg_clock_ns(&rx.clock, run_start_tsc);
	rte_eal_mp_remote_launch(lcore_loop, NULL, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	uint64_t end_tsc = rte_rdtsc();

	struct pg_result res = {
		.tx = want_tx ? &tx : NULL,
		.rx = want_rx ? &rx : NULL,
		.interrupted = signalled,
	};
	if (want_tx)
		res.tx_seconds = (double)((tx.done ? tx.done_tsc : end_tsc) - tx.t0_tsc) / tsc_hz;
	if (want_rx && rx.first_rx_tsc != 0)
		res.rx_seconds = (double)(rx.last_rx_tsc - rx.first_rx_tsc) / tsc_hz;
	bool json_stdout = opt.json_path != NULL && strcmp(opt.json_path, "-") == 0;
	pg_report_text(json_stdout ? stderr : stdout, &opt, &res);
	rc = pg_report_status(&opt, &res);
	if (opt.json_path != NULL) {
		FILE *f = json_stdout ? stdout : fopen(opt.json_path, "w");
		if (f == NULL || pg_report_json(f, &opt, &res) != 0) {
			fprintf(stderr, PG_NAME ": --json: cannot write %s: %s\n", opt.json_path,
				strerror(errno));
			rc = rc ? rc : 1;
		}
		if (f != NULL && !json_stdout && fclose(f) != 0 && rc == 0)
			rc = 1;
	}
out:
	if (tx_started)
		pg_port_stop(opt.tx_port);
	if (rx_started)
		pg_port_stop(opt.rx_port);
	if (want_rx)
		pg_rx_fini(&rx);
	if (want_tx)
		pg_tx_fini(&tx);
	rte_mempool_free(tx_pool);
	rte_mempool_free(rx_pool);
	return rc;
}

int
main(int argc, char **argv)
{
	int sep = find_separator(argc, argv);
	char **pg_argv = calloc((size_t)argc + 1, sizeof(*pg_argv));
	int pg_argc = 0;
	int rc;

	if (pg_argv == NULL)
		return 1;
	pg_argv[pg_argc++] = argv[0];
	for (int i = sep + 1; i < argc; i++)
		pg_argv[pg_argc++] = argv[i];
	pg_argv[pg_argc] = NULL;
	if (sep == argc) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				pg_options_usage(stdout);
				return 0;
			}
		}
	}
	rc = pg_options_parse(&opt, pg_argc, pg_argv);
	free(pg_argv); /* opt keeps pointers into argv, not into pg_argv */
	if (rc != 0)
		return rc > 0 ? 0 : 1;
	if (opt.json_path != NULL && strcmp(opt.json_path, "-") != 0) {
		/* fail now rather than after the run; the report rewrites the file */
		FILE *f = fopen(opt.json_path, "w");
		if (f == NULL) {
			fprintf(stderr, PG_NAME ": --json: cannot open %s: %s\n", opt.json_path,
				strerror(errno));
			return 1;
		}
		fclose(f);
	}

	if (rte_eal_init(sep, argv) < 0) {
		fprintf(stderr, PG_NAME ": EAL start failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	rc = run();
	rte_eal_cleanup();
	return rc;
}
