/*
 * Targets and the registry of /probe targets. A probe target keeps its
 * connection between probes like the default target; the registry is
 * bounded and forgets targets nobody has probed for a while, closing their
 * connections.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "pg.h"

#define MAX_PROBE_TARGETS 64
/* A probe target unused this long is dropped with its connections. */
#define PROBE_IDLE_SECONDS 600.0

struct pgtarget *pgtarget_new(const struct pgdsn *d, const char *key)
{
	struct pgtarget *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (pgdsn_copy(&t->dsn, d) < 0 || (key && !(t->key = strdup(key)))) {
		pgdsn_free(&t->dsn);
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->was_up = true; /* log the first failure */
	t->last_used = mono_now();
	return t;
}

void pgtarget_free(struct pgtarget *t)
{
	if (!t)
		return;
	pgconn_close(t->conn);
	for (size_t i = 0; i < t->ndbs; i++) {
		pgconn_close(t->dbs[i].conn);
		free(t->dbs[i].datname);
	}
	free(t->dbs);
	pgdsn_free(&t->dsn);
	if (t->key) {
		memset(t->key, 0, strlen(t->key));
		free(t->key);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pgtarget *registry[MAX_PROBE_TARGETS];
static size_t nregistry;

static void registry_remove(size_t i)
{
	pgtarget_free(registry[i]);
	registry[i] = registry[--nregistry];
}

struct pgtarget *probe_target_get(const char *key, const struct pgdsn *d)
{
	double now = mono_now();
	pthread_mutex_lock(&registry_lock);
	struct pgtarget *found = NULL;
	for (size_t i = 0; i < nregistry;) {
		struct pgtarget *t = registry[i];
		if (!strcmp(t->key, key)) {
			found = t;
			i++;
		} else if (t->users == 0 && now - t->last_used > PROBE_IDLE_SECONDS) {
			log_debug("forgetting an idle probe target", "target", t->dsn.safe, NULL);
			registry_remove(i);
		} else {
			i++;
		}
	}
	if (!found) {
		if (nregistry == MAX_PROBE_TARGETS) {
			/* Full: drop the least recently used target nobody is probing. */
			size_t victim = nregistry;
			for (size_t i = 0; i < nregistry; i++)
				if (registry[i]->users == 0 &&
				    (victim == nregistry || registry[i]->last_used < registry[victim]->last_used))
					victim = i;
			if (victim < nregistry)
				registry_remove(victim);
		}
		if (nregistry < MAX_PROBE_TARGETS) {
			found = pgtarget_new(d, key);
			if (found)
				registry[nregistry++] = found;
		} else {
			/* Every slot busy: serve this probe with a target of its own. */
			found = pgtarget_new(d, NULL);
		}
	}
	if (found) {
		found->users++;
		found->last_used = now;
	}
	pthread_mutex_unlock(&registry_lock);
	return found;
}

void probe_target_put(struct pgtarget *t)
{
	pthread_mutex_lock(&registry_lock);
	t->users--;
	t->last_used = mono_now();
	bool orphan = t->key == NULL;
	pthread_mutex_unlock(&registry_lock);
	if (orphan)
		pgtarget_free(t);
}

void probe_targets_free(void)
{
	pthread_mutex_lock(&registry_lock);
	while (nregistry)
		registry_remove(nregistry - 1);
	pthread_mutex_unlock(&registry_lock);
}
