/*
 * What cAdvisor reports for every container whatever the kinds: creation
 * and start time, CPU and memory limits (the "spec"), last seen, health.
 */
#include <string.h>

#include "../common/parse.h"
#include "cgparse.h"
#include "container.h"

/* Limits above 2^62 mean "unlimited"; cAdvisor exports them as 0. */
static double limit_value(uint64_t v)
{
	return v > (1ull << 62) ? 0 : (double)v;
}

/*
 * cAdvisor's creation time: the oldest modification time of the cgroup's
 * directories and of cgroup.clone_children (v1) / cgroup.events (v2) in
 * them, not before the boot time. Computed once per cgroup.
 */
static double creation_time(struct scan *sc, struct cg *cg)
{
	if (cg->created > 0)
		return cg->created;
	double lowest = sc->now;
	for (size_t h = 0; h < sc->lay->nh; h++) {
		if (!(cg->here & sc->lay->walk & 1u << h))
			continue;
		double dir = 0, file = 0;
		const char *f = sc->lay->h[h].v2 ? "cgroup.events" : "cgroup.clone_children";
		int rc = cg_mtimes(cg, (int)h, sc->lay->h[h].dir, f, &dir, &file);
		if (dir > 0 && dir < lowest)
			lowest = dir;
		if (rc == 0 && file < lowest)
			lowest = file;
	}
	if (lowest < sc->cx->boot_time)
		lowest = sc->cx->boot_time;
	cg->created = (double)(long long)lowest;
	return cg->created;
}

/*
 * The memory limits of a cgroup other than the root, read again only when
 * one of its files was written (limits change only so).
 */
static const struct memspec *mem_spec(struct scan *sc, struct cg *cg, int h)
{
	struct memspec *m = &cg->mem;
	if (h == m->h && cg_cfg_current(sc->cx, cg, h, m->gen))
		return m;
	memset(m, 0, sizeof *m);
	m->gen = sc->cx->gen;
	m->h = (int8_t)h;
	unsigned bad = sc->nbad;
	if (hier_v2(sc, h)) {
		m->has_limit = cg_read_u64(sc, cg, h, "memory.max", &m->limit) == 0;
		if (m->has_limit) {
			m->has_swap = cg_read_u64(sc, cg, h, "memory.swap.max", &m->swap) == 0;
			m->has_reservation = cg_read_u64(sc, cg, h, "memory.min", &m->reservation) == 0;
		}
	} else {
		m->has_limit = cg_read_u64(sc, cg, h, "memory.limit_in_bytes", &m->limit) == 0;
		m->has_swap = cg_read_u64(sc, cg, h, "memory.memsw.limit_in_bytes", &m->swap) == 0;
		m->has_reservation =
			cg_read_u64(sc, cg, h, "memory.soft_limit_in_bytes", &m->reservation) == 0;
	}
	/* An unparsable file is read (and reported) again next time. */
	if (sc->nbad != bad)
		m->gen = 0;
	return m;
}

void collect_spec(struct scan *sc, struct expo *e)
{
	struct family *created = FAMILY(sc, e, "container_creation_time_seconds", METRIC_GAUGE,
					"Creation time of the container (its cgroup), in seconds since the epoch.",
					NULL);
	struct family *started = FAMILY(sc, e, "container_start_time_seconds", METRIC_GAUGE,
					"Start time of the container, in seconds since the epoch.", NULL);
	struct family *period = FAMILY(sc, e, "container_spec_cpu_period", METRIC_GAUGE,
				       "CFS period of the container, in microseconds.", NULL);
	struct family *quota = FAMILY(sc, e, "container_spec_cpu_quota", METRIC_GAUGE,
				      "CFS quota of the container per period, in microseconds.", NULL);
	struct family *shares = FAMILY(sc, e, "container_spec_cpu_shares", METRIC_GAUGE,
				       "CPU shares of the container (cgroup v2 weights converted to shares).",
				       NULL);
	struct family *mlimit = FAMILY(sc, e, "container_spec_memory_limit_bytes", METRIC_GAUGE,
				       "Memory limit of the container in bytes; 0 when unlimited.", NULL);
	struct family *slimit = FAMILY(sc, e, "container_spec_memory_swap_limit_bytes", METRIC_GAUGE,
				       "Memory plus swap (v1) or swap (v2) limit of the container in bytes; 0 when unlimited.",
				       NULL);
	struct family *rlimit = FAMILY(sc, e, "container_spec_memory_reservation_limit_bytes",
				       METRIC_GAUGE,
				       "Memory reservation (v1 soft limit, v2 memory.min) of the container in bytes; 0 when unlimited.",
				       NULL);
	struct family *seen = FAMILY(sc, e, "container_last_seen", METRIC_GAUGE,
				     "Last time the container was seen, in seconds since the epoch.", NULL);
	struct family *health = FAMILY(sc, e, "container_health_state", METRIC_GAUGE,
				       "Result of the container's health check: 1 healthy, 0 starting or unhealthy, -1 no health check.",
				       NULL);
	struct cx *cx = sc->cx;
	/* The root's limits: the machine's memory and swap (cAdvisor's machine info). */
	bool have_meminfo = cx->machine.have_memory;
	uint64_t mem_total = cx->machine.memory, swap_total = cx->machine.swap;
	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		bool root = cg == cx->root;
		double ct = creation_time(sc, cg);
		scan_sample(sc, e, created, cg, ct, false, NULL);
		scan_sample(sc, e, started, cg, cg->meta.started > 0 ? (double)(long long)cg->meta.started : ct,
			    false, NULL);

		const struct cpuspec *c = cg_cpuspec(sc, cg);
		if (c->has_period)
			scan_sample(sc, e, period, cg, (double)c->period, false, NULL);
		if (c->quota)
			scan_sample(sc, e, quota, cg, (double)c->quota, false, NULL);
		if (c->has_shares)
			scan_sample(sc, e, shares, cg, (double)c->shares, false, NULL);

		int h = cg_hier(sc, cg, CTL_MEMORY);
		uint64_t v;
		if (root && have_meminfo) {
			/* The machine's memory and swap for the root, as cAdvisor's raw handler. */
			scan_sample(sc, e, mlimit, cg, (double)mem_total, false, NULL);
			scan_sample(sc, e, slimit, cg, (double)swap_total, false, NULL);
			const char *res = hier_v2(sc, h) ? "memory.min" : "memory.soft_limit_in_bytes";
			if (h >= 0 && cg_read_u64(sc, cg, h, res, &v) == 0)
				scan_sample(sc, e, rlimit, cg, limit_value(v), false, NULL);
		} else if (h >= 0) {
			const struct memspec *m = mem_spec(sc, cg, h);
			if (m->has_limit)
				scan_sample(sc, e, mlimit, cg, limit_value(m->limit), false, NULL);
			if (m->has_swap)
				scan_sample(sc, e, slimit, cg, limit_value(m->swap), false, NULL);
			if (m->has_reservation)
				scan_sample(sc, e, rlimit, cg, limit_value(m->reservation), false, NULL);
		}
		scan_sample(sc, e, seen, cg, (double)(long long)sc->now, true, NULL);
		scan_sample(sc, e, health, cg, cg->meta.health, true, NULL);
	}
}
