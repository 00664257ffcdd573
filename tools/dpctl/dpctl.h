/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What cascade-dpctl's two halves share: dpctl_cmd.c turns words into ring
 * commands, dpctl.c attaches to the segment and runs them.
 */
#ifndef DPCTL_H
#define DPCTL_H

#include <stddef.h>
#include <stdint.h>

#include <cascade/msg.h>

/* A decimal or 0x-hex unsigned 64-bit value. 0 or -EINVAL. */
int dpctl_parse_u64(const char *s, uint64_t *v);
/* IPv4:PORT or [IPv6]:PORT. 0 or -EINVAL. */
int dpctl_parse_addr(const char *s, struct cascade_addr *a);
/*
 * Hex digits into out (at most cap bytes). 0 with *n the byte count;
 * -EMSGSIZE for an odd count of digits or more than cap bytes; -EILSEQ with
 * *n the offset of the first character that is not a hex digit.
 */
int dpctl_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n);
/* Whether a command has at least n words; prints a usage hint if not. 0 or -EINVAL. */
int dpctl_need(int argc, int n, const char *what);
/*
 * The ring command for one command line (argv[0] is the verb), with request id
 * req_id. Returns 0, or -EINVAL after printing what is wrong.
 */
int dpctl_build_cmd(int argc, char **argv, struct cascade_cmd *c, uint64_t req_id);

#endif /* DPCTL_H */
