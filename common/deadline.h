/*
 * Waiting with a scrape's deadline: deadlines are monotonic seconds
 * (mono_now()), while POSIX timed waits want CLOCK_REALTIME instants.
 */
#ifndef COMMON_DEADLINE_H
#define COMMON_DEADLINE_H

#include <pthread.h>

/*
 * Lock mu, waiting no later than deadline (monotonic seconds); a deadline
 * already past makes it a trylock. Returns 0, or the pthread error
 * (ETIMEDOUT, EBUSY).
 */
int mutex_lock_until(pthread_mutex_t *mu, double deadline);

#endif
