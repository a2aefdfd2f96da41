/*
 * Kind "oom_event": OOM kills in the cgroup, counted by the kernel
 * (memory.events oom_kill in v2, memory.oom_control oom_kill in v1) rather
 * than parsed from /dev/kmsg as cAdvisor does.
 */
#include "../cgparse.h"
#include "../container.h"

static void collect(struct scan *sc, struct expo *e)
{
	struct family *f = FAMILY(sc, e, "container_oom_events_total", METRIC_COUNTER,
				  "Number of processes of the cgroup killed by the OOM killer.", NULL);
	static const char *const key[1] = { "oom_kill" };
	struct buf *b = &sc->cx->rd;
	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		if (cg == sc->cx->root && sc->cx->o.disable_root_stats)
			continue;
		int h = cg_hier(sc, cg, CTL_MEMORY);
		const char *file = hier_v2(sc, h) ? "memory.events" : "memory.oom_control";
		if (h < 0 || cg_read(sc, cg, h, file, b) < 0)
			continue;
		uint64_t v, found;
		if (cgp_keyed(b->data, key, 1, &v, &found) < 0) {
			scan_bad_file(sc, cg, file, "not \"key value\" lines");
			continue;
		}
		/* oom_kill exists since Linux 4.13 (v1) and 4.13 (v2). */
		if (found)
			SAMPLE(sc, e, f, cg, (double)v, NULL);
	}
}

const struct kind_collector collector_oom_event = { .kind = K_OOM_EVENT, .collect = collect };
