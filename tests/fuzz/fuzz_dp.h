/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the dataplane's fuzz targets (fuzz_cmd, fuzz_classify) share: EAL
 * without hugepages, root, PCI or shared files; the segment laid out in plain
 * memory with cascade_seg_layout() and opened with cascade_seg_open(); the
 * real tables (dp_tables_init()); the main lcore's side of a command as
 * dp_ctl.c drives it (apply, the deferred reply, publish, a grace period,
 * reclaim); and the checks that every target runs after its input: one reply
 * per command, tables, lookups, directory and consumer lists that agree, and
 * nothing left allocated once everything is deleted.
 *
 * A check that fails aborts (the fuzzer's crash, a unit test's failure),
 * naming the condition. Main thread only.
 */
#ifndef FUZZ_DP_H
#define FUZZ_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

#define FUZZ_WORKERS 2

#define fuzz_check(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));

/*
 * Start EAL once, with --no-huge -m 256 --no-pci --no-shconf -l 0, logs
 * off, and the n extra arguments (--vdev ...).
 */
void fuzz_dp_eal(const char *const *extra, int n);
/* Lay out the segment for dp.opt and FUZZ_WORKERS in plain memory and open it as dp.seg. */
void fuzz_dp_segment(void);
/*
 * dp_tables_init(), with the workers registered as RCU readers (online: a
 * grace period ends when fuzz_dp_settle() says they are quiescent).
 */
void fuzz_dp_tables(void);

/*
 * Apply cmd as the main lcore applies a command from the ring: its request id
 * is replaced by the next one, a delete's reply waits for its grace period,
 * any other goes to the reply ring at once. Checks the reply (its id, a
 * status of 0 or a known -errno, a message naming the field when refused).
 * Returns the status.
 */
int fuzz_dp_apply(struct cascade_cmd *cmd);
/* Apply a command of this type on object id (deletes, FLUSH) or pause it; returns the status. */
int fuzz_dp_apply_obj(uint16_t type, uint64_t id, uint8_t paused);
/* The slot of object id in an id lookup (tp_by_id...), or UINT32_MAX when it is not there. */
uint32_t fuzz_dp_slot(struct rte_hash *h, uint64_t id);
/*
 * Apply a worker's learn request as the main lcore does (dp_table_learn()),
 * checking the rule that a learn never replaces a remote tuple, an RTCP
 * remote or a next-hop MAC that is known, and never gives a pipe a remote.
 * Returns dp_table_learn()'s result.
 */
int fuzz_dp_learn(const struct dp_learn *l);
/*
 * The end of a batch as the main loop ends it: publish the consumer lists,
 * (quiescent) every worker reports a quiescent state, reclaim; then the reply
 * and event rings are drained, each reply checked against the commands
 * applied.
 */
void fuzz_dp_settle(bool quiescent);
/*
 * The tables, their lookups and the directory agree: every slot in use is
 * found by its id and address or SSRC and nothing else is; every object's
 * transport and producer exist; (published) each producer's live consumer
 * list holds exactly its consumers.
 */
void fuzz_dp_check_tables(bool published);
/*
 * FLUSH, then settle until nothing waits: every command answered, every
 * directory record free, every lookup empty, and rte_malloc's heap back to
 * what it held after start-up.
 */
void fuzz_dp_flush(void);

#endif /* FUZZ_DP_H */
