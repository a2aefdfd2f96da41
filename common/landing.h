/*
 * The landing page at "/": what a person looking at a misbehaving exporter
 * needs first. The version; links that answer 200 (the telemetry path, the
 * health check, an example of the per-request route when the default
 * target passes its checks); each target's latest scrape (up, down or
 * partial, its error, when, how long) for exporters of a server; each
 * collector's latest run told apart as ok, no data (COLLECT_NODATA, or no
 * series without an error) or failed with its error.
 *
 * It is made from copies of the latest states only: showing it never
 * starts a scrape and never waits for one. Everything shown is HTML-escaped,
 * and credentials in URLs or "password=" are masked as a last guard.
 */
#ifndef COMMON_LANDING_H
#define COMMON_LANDING_H

#include "buf.h"
#include "exporter.h"

/*
 * Append x's landing page to out; telemetry_path is the served one
 * ("/metrics"). Returns 0, or -ENOSPC/-ENOMEM from the buffer.
 */
int landing_render(struct exporter *x, const char *telemetry_path, struct buf *out) WUR;

/*
 * Append s HTML-escaped, with a URL's user information ("://user:pw@")
 * and the value of a password= keyword masked. Returns 0 or the buffer's
 * error. Exposed for tests.
 */
int landing_put_text(struct buf *out, const char *s) WUR;

#endif
