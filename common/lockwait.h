/* Waiting for a mutex no longer than a deadline on the monotonic clock. */
#ifndef COMMON_LOCKWAIT_H
#define COMMON_LOCKWAIT_H

#include <pthread.h>

/*
 * Lock mu, waiting until deadline (seconds of CLOCK_MONOTONIC, as
 * mono_now()) at most; a deadline already past only tries. Returns 0 when
 * locked, ETIMEDOUT or EBUSY when not.
 */
int lock_wait(pthread_mutex_t *mu, double deadline);

#endif
