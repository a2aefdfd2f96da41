/*
 * edac: memory error counters of the EDAC memory controllers in
 * /sys/devices/system/edac/mc/mc*: per controller, per csrow (the
 * "noinfo" counts as csrow "unknown") and per csrow channel with its DIMM
 * label. A host without EDAC reports no series (success 1), as upstream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* upstream's readUintFromFile of dir/file. */
static int read_count(struct scrape *s, const char *dir, const char *file, uint64_t *v)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	return sysfs_read_uint(s, path, v);
}

/* The leading digits of s (the number a "mc[0-9]*" glob matched). */
static void leading_digits(const char *s, char *dst, size_t cap)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9' && n + 1 < cap) {
		dst[n] = s[n];
		n++;
	}
	dst[n] = '\0';
}

/* "ch<N>_ce_count" anywhere in name (upstream's unanchored regexp): N, or NULL. */
static bool channel_of(const char *name, char *dst, size_t cap)
{
	for (const char *p = strstr(name, "ch"); p; p = strstr(p + 1, "ch")) {
		size_t n = 0;
		while (p[2 + n] >= '0' && p[2 + n] <= '9')
			n++;
		if (n && n < cap && strncmp(p + 2 + n, "_ce_count", 9) == 0) {
			memcpy(dst, p + 2, n);
			dst[n] = '\0';
			return true;
		}
	}
	return false;
}

/* Copy src to dst replacing every "from" by "to" (strings.ReplaceAll), truncating. */
static void replace_all(const char *src, const char *from, const char *to, char *dst, size_t cap)
{
	size_t o = 0, flen = strlen(from);
	for (const char *p = src; *p && o + 1 < cap;) {
		const char *add = NULL;
		if (flen ? strncmp(p, from, flen) == 0 : 0)
			add = to, p += flen;
		if (!add) {
			dst[o++] = *p++;
			continue;
		}
		for (; *add && o + 1 < cap; add++)
			dst[o++] = *add;
	}
	dst[o] = '\0';
}

/* The channel's DIMM label with upstream's clean-up, or "unknown". */
static void dimm_label(struct scrape *s, const char *csrow, const char *channel, char *dst, size_t cap)
{
	char path[4096], raw[256], a[512], b[512];
	if (pathf(path, sizeof path, "%s/ch%s_dimm_label", csrow, channel) < 0 ||
	    sysfs_file(s, path, raw, sizeof raw, true) < 0) {
		strf(dst, cap, "unknown");
		return;
	}
	replace_all(raw, "#", "", a, sizeof a);
	replace_all(a, "csrow", "_csrow", b, sizeof b);
	replace_all(b, "channel", "_channel", dst, cap);
}

static int count_error(struct scrape *s, int rc, const char *what, const char *dir)
{
	if (rc == -EBADMSG)
		return scrape_fail(s, "invalid %s in %s", what, dir);
	return scrape_fail(s, "couldn't read %s in %s: %s", what, dir, strerror(-rc));
}

static int edac_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "devices/system/edac/mc") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir mcs;
	if (sysfs_dir_read(s, base, &mcs) < 0)
		return COLLECT_OK; /* no EDAC: nothing to report */

	const char *const l_ctrl[] = { "controller", NULL };
	const char *const l_row[] = { "controller", "csrow", NULL };
	const char *const l_chan[] = { "controller", "csrow", "channel", "dimm_label", NULL };
	struct family *fce = expo_family(e, "node_edac_correctable_errors_total", METRIC_COUNTER,
					 "Correctable memory errors of the memory controller.", l_ctrl);
	struct family *fue = expo_family(e, "node_edac_uncorrectable_errors_total", METRIC_COUNTER,
					 "Uncorrectable memory errors of the memory controller.", l_ctrl);
	struct family *frce = expo_family(e, "node_edac_csrow_correctable_errors_total", METRIC_COUNTER,
					  "Correctable memory errors of the chip-select row.", l_row);
	struct family *frue = expo_family(e, "node_edac_csrow_uncorrectable_errors_total", METRIC_COUNTER,
					  "Uncorrectable memory errors of the chip-select row.", l_row);
	struct family *fcce = expo_family(e, "node_edac_channel_correctable_errors_total", METRIC_COUNTER,
					  "Correctable memory errors of the csrow channel.", l_chan);
	struct family *fcue = expo_family(e, "node_edac_channel_uncorrectable_errors_total", METRIC_COUNTER,
					  "Uncorrectable memory errors of the csrow channel.", l_chan);

	int rc = COLLECT_OK;
	for (size_t i = 0; i < mcs.n && rc == COLLECT_OK; i++) {
		if (!sysfs_glob_digit(mcs.ents[i].name, "mc"))
			continue;
		char mc[4096], ctrl[32];
		leading_digits(mcs.ents[i].name + 2, ctrl, sizeof ctrl);
		if (pathf(mc, sizeof mc, "%s/%s", base, mcs.ents[i].name) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		/* Upstream emits each value as soon as it is read. */
		static const struct {
			const char *file;
			int fam; /* 0 ce, 1 ue, 2 csrow ce, 3 csrow ue */
		} top[] = { { "ce_count", 0 }, { "ce_noinfo_count", 2 }, { "ue_count", 1 }, { "ue_noinfo_count", 3 } };
		for (size_t k = 0; k < 4; k++) {
			uint64_t v;
			int r = read_count(s, mc, top[k].file, &v);
			if (r < 0) {
				rc = count_error(s, r, top[k].file, mc);
				break;
			}
			if (top[k].fam == 0)
				expo_sample(e, fce, (double)v, ctrl);
			else if (top[k].fam == 1)
				expo_sample(e, fue, (double)v, ctrl);
			else
				expo_sample(e, top[k].fam == 2 ? frce : frue, (double)v, ctrl, "unknown");
		}
		if (rc != COLLECT_OK)
			break;

		struct sysfs_dir rows;
		if (sysfs_dir_read(s, mc, &rows) < 0)
			continue;
		for (size_t r = 0; r < rows.n && rc == COLLECT_OK; r++) {
			if (!sysfs_glob_digit(rows.ents[r].name, "csrow"))
				continue;
			char row[4096], rownum[32];
			leading_digits(rows.ents[r].name + 5, rownum, sizeof rownum);
			if (pathf(row, sizeof row, "%s/%s", mc, rows.ents[r].name) < 0) {
				rc = scrape_fail(s, "path too long");
				break;
			}
			uint64_t v;
			int err = read_count(s, row, "ce_count", &v);
			if (err < 0) {
				rc = count_error(s, err, "ce_count", row);
				break;
			}
			expo_sample(e, frce, (double)v, ctrl, rownum);
			err = read_count(s, row, "ue_count", &v);
			if (err < 0) {
				rc = count_error(s, err, "ue_count", row);
				break;
			}
			expo_sample(e, frue, (double)v, ctrl, rownum);

			struct sysfs_dir chans;
			if (sysfs_dir_read(s, row, &chans) < 0)
				continue;
			for (size_t c = 0; c < chans.n; c++) {
				const char *cname = chans.ents[c].name;
				size_t len = strlen(cname);
				char channel[32], label[256], file[64];
				/* The glob "ch*_ce_count", then upstream's regexp. */
				if (len < 11 || strncmp(cname, "ch", 2) != 0 || strcmp(cname + len - 9, "_ce_count") != 0 ||
				    !channel_of(cname, channel, sizeof channel))
					continue;
				dimm_label(s, row, channel, label, sizeof label);
				err = read_count(s, row, cname, &v);
				if (err < 0) {
					rc = count_error(s, err, cname, row);
					break;
				}
				expo_sample(e, fcce, (double)v, ctrl, rownum, channel, label);
				strf(file, sizeof file, "ch%s_ue_count", channel);
				/* A channel without an uncorrectable count is fine. */
				if (read_count(s, row, file, &v) == 0)
					expo_sample(e, fcue, (double)v, ctrl, rownum, channel, label);
			}
			sysfs_dir_free(&chans);
		}
		sysfs_dir_free(&rows);
	}
	sysfs_dir_free(&mcs);
	return rc;
}

const struct collector_def collector_edac = {
	.name = "edac",
	.default_enabled = true,
	.collect = edac_collect,
};
