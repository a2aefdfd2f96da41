/*
 * Targets: the -scrape_uri server and those named by /probe?target=.
 *
 * Everything here is what common/backend will own once it exists, behind
 * the narrowest interface the exporter needs, so that the port is a
 * rename: the registry (bounded, least recently used probe target
 * forgotten first), one lock per target taken no later than the scrape
 * deadline, the reconnect backoff, the up/down state logged once per
 * change, the failure counter, and the /probe argument handling. What a
 * target's connection is stays opaque (struct chtarget_ops).
 */
#ifndef CLICKHOUSE_EXPORTER_TARGET_H
#define CLICKHOUSE_EXPORTER_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/exporter.h"

struct chtarget;

/* How to make and drop the connection state of a target. */
struct chtarget_ops {
	/*
	 * Parse uri and make its connection state (no I/O); probe says it is
	 * named by a /probe request, not by the configuration. display
	 * receives the address as logs may show it (no secrets). NULL with err
	 * (no secrets either) when the address is unusable.
	 */
	void *(*open)(const char *uri, bool probe, char *display, size_t displen, char *err, size_t errlen);
	/* Close and wipe. */
	void (*close)(void *conn);
};

/*
 * Set up the registry: the main target (uri may be invalid: every scrape
 * of it then fails with the reason, as a server that is down), and room
 * for max_probe /probe targets. ops must stay valid. Returns 0 or -1.
 */
int chtargets_init(const struct chtarget_ops *ops, const char *main_uri, size_t max_probe, char *err,
		   size_t errlen);

/* Close every target. */
void chtargets_fini(void);

/* The -scrape_uri target. */
struct chtarget *chtarget_main(void);

/*
 * The target named by the request's target= argument, found or added
 * (its reference must be given back with chtarget_put). NULL with an HTTP
 * status and message: 400 missing or unusable target, 503 registry full
 * of targets in use.
 */
struct chtarget *chtarget_from_request(const struct request *rq, int *status, char *msg, size_t msglen);

void chtarget_put(struct chtarget *t);

/*
 * Take t for one scrape, waiting no later than deadline (monotonic
 * seconds). Returns its connection state with t locked, or NULL when the
 * scrape cannot happen (another scrape held t until the deadline, the
 * address is unusable, a reconnect backoff is running): that failure is
 * already recorded as by chtarget_end, its reason in err.
 */
void *chtarget_begin(struct chtarget *t, double deadline, char *err, size_t errlen);

/*
 * End the scrape begun by chtarget_begin: record up or the failure (logged
 * when the state or the reason changes; a failure starts or lengthens the
 * backoff) and unlock t.
 */
void chtarget_end(struct chtarget *t, bool up, const char *err);

/* Failed scrapes of t since the exporter started. */
uint64_t chtarget_failures(const struct chtarget *t);

/* The address of t as logs show it. */
const char *chtarget_name(const struct chtarget *t);

#endif
