// links: redis_exporter
/*
 * libFuzzer target for redis_exporter's addresses (redis_exporter/uri.c)
 * and password file (pwfile.c): the bytes as an address, with and without
 * its password kept, then as the JSON password file, looked up with that
 * address. Checked: a failure says why, a success has its log form, a
 * stripped password is gone. Built and run by `make fuzz`;
 * check_redis_addr_corpus replays its corpus in every pass. (redis_info
 * also parses its input as an address, among the replies.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../redis_exporter/redis.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The password file's path: one per process, removed at exit. */
static char pwpath[64];

static void remove_pwfile(void)
{
	unlink(pwpath);
}

static void password_file(const uint8_t *data, size_t size, const char *as_given,
			  const struct raddr *a)
{
	if (!pwpath[0]) {
		snprintf(pwpath, sizeof pwpath, "/tmp/fuzz_redis_pw.%ld", (long)getpid());
		atexit(remove_pwfile);
	}
	FILE *f = fopen(pwpath, "wb");
	if (!f)
		return;
	size_t n = fwrite(data, 1, size, f);
	fclose(f);
	if (n != size)
		return;
	char err[256] = "";
	struct pwfile *p = pwfile_load(pwpath, err, sizeof err);
	if (!p) {
		if (!err[0])
			abort(); /* a failure says why */
		return;
	}
	pwfile_count(p);
	pwfile_lookup(p, as_given, a);
	pwfile_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096) /* an address comes from a flag or a URL */
		return 0;
	char *s = fuzz_cstring(data, size);
	if (!s)
		return 0;
	struct raddr a = { 0 };
	for (int strip = 0; strip < 2; strip++) {
		char err[256] = "";
		memset(&a, 0, sizeof a);
		if (raddr_parse(s, strip, &a, err, sizeof err) < 0) {
			if (!err[0])
				abort();
			continue;
		}
		if (!a.display[0] || strnlen(a.display, sizeof a.display) == sizeof a.display ||
		    (strip && (a.has_password || a.password[0])))
			abort();
	}
	password_file(data, size, s, &a);
	free(s);
	return 0;
}
