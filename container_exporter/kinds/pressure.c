/*
 * Kind "pressure": PSI stall time of the cgroup ({cpu,memory,io}.pressure
 * "some" and "full" totals) from its cgroup v2 directory, also on a hybrid
 * host where the same path exists in the cgroup2 mount.
 */
#include "../../common/parse.h"
#include "../../common/statfile.h"
#include "../cgparse.h"
#include "../container.h"

static void collect(struct scan *sc, struct expo *e)
{
	static const struct {
		const char *file, *waiting, *stalled, *what;
	} res[3] = {
		{ "cpu.pressure", "container_pressure_cpu_waiting_seconds_total",
		  "container_pressure_cpu_stalled_seconds_total", "CPU" },
		{ "memory.pressure", "container_pressure_memory_waiting_seconds_total",
		  "container_pressure_memory_stalled_seconds_total", "memory" },
		{ "io.pressure", "container_pressure_io_waiting_seconds_total",
		  "container_pressure_io_stalled_seconds_total", "I/O" },
	};
	struct family *waiting[3], *stalled[3];
	char help[160];
	for (int r = 0; r < 3; r++) {
		strf(help, sizeof help,
		     "Total time some tasks of the cgroup waited for %s (PSI \"some\"), in seconds.",
		     res[r].what);
		waiting[r] = FAMILY(sc, e, res[r].waiting, METRIC_COUNTER, help, NULL);
		strf(help, sizeof help,
		     "Total time all tasks of the cgroup were stalled on %s (PSI \"full\"), in seconds.",
		     res[r].what);
		stalled[r] = FAMILY(sc, e, res[r].stalled, METRIC_COUNTER, help, NULL);
	}
	int h = sc->lay->unified;
	struct buf *b = &sc->cx->rd;
	for (size_t i = 0; h >= 0 && i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		if (!(cg->here & 1u << h) || (cg == sc->cx->root && sc->cx->o.disable_root_stats))
			continue;
		for (int r = 0; r < 3; r++) {
			struct psi p;
			if (cg_read(sc, cg, h, res[r].file, b) < 0)
				continue;
			if (psi_parse(b->data, &p, NULL) < 0) {
				scan_bad_file(sc, cg, res[r].file, "not PSI lines");
				continue;
			}
			if (p.some.present)
				SAMPLE(sc, e, waiting[r], cg, (double)p.some.total / 1e6, NULL);
			if (p.full.present)
				SAMPLE(sc, e, stalled[r], cg, (double)p.full.total / 1e6, NULL);
		}
	}
}

const struct kind_collector collector_pressure = { .kind = K_PRESSURE, .collect = collect };
