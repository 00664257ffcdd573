/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secrets (the API token, the cluster secret, the Redis password) come from
 * a file, the environment or a systemd credential, never from the command
 * line, where every local user can read them in /proc/PID/cmdline. Start-up
 * only, before the event loop; not thread-safe.
 *
 * Layer: leaf.
 */
#ifndef CP_SECRET_H
#define CP_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Where one secret may come from, first match wins:
 *   env      the environment variable (unset once read, so no child inherits it);
 *   cred     the file of that name in $CREDENTIALS_DIRECTORY (systemd's
 *            LoadCredential=), when the variable is set and the file exists;
 *   file     the path the configuration names (its field: file_field);
 *   inline   what dst already holds (the configuration's inline value,
 *            inline_field), when none of the above is there.
 * A file holds the secret on its first and only line (a final newline is
 * dropped); one that group or others may read gets a warning.
 */
struct cp_secret_src {
	const char *env;          /* e.g. "CASCADE_API_TOKEN" */
	const char *cred;         /* e.g. "api-token" */
	const char *file_field;   /* e.g. "api.token_file" */
	const char *inline_field; /* e.g. "api.token", or NULL when there is no inline form */
};

/*
 * Fill dst (cap bytes) from the first source of src that is there; file is
 * the configured path or "". A secret shorter than min_len (0: may be
 * absent) or unreadable stops start-up: -1 after one line on stderr naming
 * the source (the field, the variable or the credential). 0 otherwise, with
 * dst "" when no source had it and min_len is 0.
 */
int cp_secret_load(const struct cp_secret_src *src, const char *file, size_t min_len, char *dst,
		   size_t cap);

/*
 * Warn (one line on stderr naming field) when path may be read by group or
 * others: for a configuration file that holds a secret inline.
 */
void cp_secret_check_mode(const char *path, const char *field);

#endif /* CP_SECRET_H */
