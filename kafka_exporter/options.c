/*
 * kafka_exporter's option values and what start-up does with them: refuse
 * bad values, compile the filters, parse --kafka.labels and make the
 * cluster's target (the backend layer's default target).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "kafka.h"

/* How long exit waits for librdkafka's threads to finish. */
#define RETIRE_WAIT 5.0

int kafka_setup(struct exporter *x, char *err, size_t errlen)
{
	struct kafka_args *a = &kafka_args;
	if (a->topic_workers <= 0) {
		strf(err, errlen, "--topic.workers must be positive");
		return -1;
	}
	if (kafka_opts.group_workers <= 0 || kafka_opts.group_workers > 10000) {
		strf(err, errlen, "--group.workers must be between 1 and 10000");
		return -1;
	}
	if (kafka_opts.refresh_metadata < 0) {
		strf(err, errlen, "--refresh.metadata must not be negative");
		return -1;
	}
	if (kafka_opts.status_window <= 0) {
		strf(err, errlen, "--consumergroup.status-window must be positive");
		return -1;
	}
	if (parse_lag_seconds_method(a->lag_seconds, &kafka_opts.lag_seconds) < 0) {
		strf(err, errlen, "--consumergroup.lag-seconds must be interpolation, timestamp or none");
		return -1;
	}
	if (rx_filter_init(&kafka_opts.topics, "topic.filter", a->topic_filter, "topic.exclude", a->topic_exclude,
			   err, errlen) < 0 ||
	    rx_filter_init(&kafka_opts.groups, "group.filter", a->group_filter, "group.exclude", a->group_exclude,
			   err, errlen) < 0)
		return -1;
	if (parse_const_labels(a->labels, &kafka_opts, err, errlen) < 0)
		return -1;
	/* kafka_up carries --kafka.labels too. */
	x->backend->label_names = (const char *const *)kafka_opts.label_names;
	x->backend->label_values = (const char *const *)kafka_opts.label_values;
	x->unshared_requests = a->concurrent;
	if (a->verbosity > 0) {
		struct flag *lf = flags_find(x->fs, "log.format");
		log_setup("debug", *(const char **)lf->dest);
	}

	struct ktarget *t = ktarget_new(&a->conn, err, errlen);
	if (!t)
		return -1;
	/*
	 * The target keeps its own copy. The flags took the password out of
	 * argv already; this also clears $SASL_USER_PASSWORD in place, so
	 * /proc/PID/environ does not show it.
	 */
	if (a->conn.sasl_password)
		secret_wipe((char *)(uintptr_t)a->conn.sasl_password, strlen(a->conn.sasl_password));
	log_info("reading Kafka", "servers", t->props.bootstrap, "security", t->props.protocol, "librdkafka",
		 rd_kafka_version_str(), NULL);
	if (backend_set_default(x->backend, t, NULL) < 0) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void kafka_teardown(struct exporter *x)
{
	(void)x;
	/* The layer has closed the handle (in the background): let it finish, within bounds. */
	kafka_wait_retired(RETIRE_WAIT);
	rx_filter_free(&kafka_opts.topics);
	rx_filter_free(&kafka_opts.groups);
	free_const_labels(&kafka_opts);
}
