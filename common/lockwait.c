#include "lockwait.h"

#include <time.h>

#include "exporter.h"

int lock_wait(pthread_mutex_t *mu, double deadline)
{
	int rc = pthread_mutex_trylock(mu);
	double wait = deadline - mono_now();
	if (rc == 0 || wait <= 0)
		return rc;
	/* pthread_mutex_timedlock takes CLOCK_REALTIME: convert the interval, not the instant. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	long long ns = until.tv_nsec + (long long)(wait * 1e9);
	until.tv_sec += (time_t)(ns / 1000000000);
	until.tv_nsec = (long)(ns % 1000000000);
	return pthread_mutex_timedlock(mu, &until);
}
