#include "deadline.h"

#include <time.h>

#include "exporter.h"

int mutex_lock_until(pthread_mutex_t *mu, double deadline)
{
	double left = deadline - mono_now();
	if (left <= 0)
		return pthread_mutex_trylock(mu);
	struct timespec abs;
	clock_gettime(CLOCK_REALTIME, &abs);
	/* Add whole seconds and nanoseconds apart: a double of the epoch loses microseconds. */
	time_t sec = (time_t)left;
	abs.tv_sec += sec;
	abs.tv_nsec += (long)((left - (double)sec) * 1e9);
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(mu, &abs);
}
