/*
 * Upstream's connection and label flags turned into what librdkafka and the
 * exposition need, with one-line refusals for what cannot be honoured.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../common/expo.h"
#include "../common/parse.h"
#include "kafka.h"

/* Label names of our own families: a constant label may not reuse them. */
static const char *const reserved_labels[] = { "id", "address", "topic", "partition", "consumergroup", "state",
					       NULL };

void free_const_labels(struct kafka_options *o)
{
	for (size_t i = 0; i < o->nlabels; i++) {
		free(o->label_names[i]);
		free(o->label_values[i]);
		o->label_names[i] = o->label_values[i] = NULL;
	}
	o->nlabels = 0;
}

int parse_const_labels(const char *spec, struct kafka_options *o, char *err, size_t errlen)
{
	free_const_labels(o);
	/* Upstream: split on ',', then on '='; an item with no '=' is skipped, text after a second '=' dropped. */
	for (const char *item = spec; item && *item;) {
		const char *end = strchr(item, ',');
		size_t len = end ? (size_t)(end - item) : strlen(item);
		const char *eq = memchr(item, '=', len);
		if (eq) {
			size_t nlen = (size_t)(eq - item);
			const char *val = eq + 1;
			const char *eq2 = memchr(val, '=', len - nlen - 1);
			size_t vlen = eq2 ? (size_t)(eq2 - val) : len - nlen - 1;
			char *name = strndup(item, nlen), *value = strndup(val, vlen);
			if (!name || !value) {
				free(name);
				free(value);
				strf(err, errlen, "out of memory");
				return -1;
			}
			bool ok = expo_valid_label_name(name) && strncmp(name, "__", 2) != 0;
			for (size_t i = 0; ok && reserved_labels[i]; i++)
				ok = strcmp(name, reserved_labels[i]) != 0;
			if (!ok) {
				strf(err, errlen, "--kafka.labels: '%.64s' cannot be a label name", name);
				free(name);
				free(value);
				return -1;
			}
			/* A name given twice keeps its last value, as upstream's map does. */
			size_t i = 0;
			while (i < o->nlabels && strcmp(o->label_names[i], name))
				i++;
			if (i < o->nlabels) {
				free(o->label_values[i]);
				o->label_values[i] = value;
				free(name);
			} else if (o->nlabels == MAX_CONST_LABELS) {
				free(name);
				free(value);
				strf(err, errlen, "--kafka.labels: more than %d labels", MAX_CONST_LABELS);
				return -1;
			} else {
				o->label_names[o->nlabels] = name;
				o->label_values[o->nlabels] = value;
				o->nlabels++;
			}
		}
		item = end ? end + 1 : NULL;
	}
	return 0;
}

int parse_lag_seconds_method(const char *s, enum lag_seconds_method *out)
{
	if (!strcmp(s, "interpolation"))
		*out = LAG_SECONDS_INTERPOLATION;
	else if (!strcmp(s, "timestamp"))
		*out = LAG_SECONDS_TIMESTAMP;
	else if (!strcmp(s, "none"))
		*out = LAG_SECONDS_NONE;
	else
		return -1;
	return 0;
}

static int add(struct kafka_props *p, const char *name, const char *value)
{
	if (p->n == MAX_PROPS)
		return -1;
	p->props[p->n++] = (struct kprop){ name, value };
	return 0;
}

/* sarama's version syntax: 0.a.b.c before 1.0, a.b.c from 1.0 on. Returns 1 for < 0.10. */
static int check_version(const char *v)
{
	int parts = 0;
	long first = -1, second = -1;
	const char *p = v;
	for (;;) {
		size_t len = 0;
		while (isdigit((unsigned char)p[len]))
			len++;
		uint64_t n;
		if (len == 0 || parse_u64_n(p, len, &n) < 0 || n > 100000)
			return -1;
		if (parts == 0)
			first = (long)n;
		else if (parts == 1)
			second = (long)n;
		parts++;
		p += len;
		if (!*p)
			break;
		if (*p != '.')
			return -1;
		p++;
	}
	if (first == 0 ? parts != 4 : parts != 3)
		return -1;
	return first == 0 && second < 10;
}

int kafka_conn_props(const struct kafka_conn_flags *f, struct kafka_props *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t len = 0;
	for (size_t i = 0; i < f->servers.n; i++) {
		const char *srv = f->servers.items[i];
		if (!*srv || strchr(srv, ',')) {
			strf(err, errlen, "--kafka.server: '%.128s' is not host:port", srv);
			return -1;
		}
		int w = strf(out->bootstrap + len, sizeof out->bootstrap - len, "%s%s", i ? "," : "", srv);
		if (w < 0 || (size_t)w >= sizeof out->bootstrap - len) {
			strf(err, errlen, "--kafka.server: too many servers");
			return -1;
		}
		len += (size_t)w;
	}
	if (!len) {
		strf(err, errlen, "--kafka.server: no server given");
		return -1;
	}
	add(out, "bootstrap.servers", out->bootstrap);
	add(out, "client.id", "kafka_exporter");
	/* End offsets are high watermarks, as upstream reports (not the last stable offset). */
	add(out, "isolation.level", "read_uncommitted");
	add(out, "allow.auto.create.topics", f->allow_auto_topic_creation ? "true" : "false");
	/* Come back quickly after a broker restart. */
	add(out, "reconnect.backoff.max.ms", "2000");
	/* Reading one record for its timestamp (lag in seconds) must not prefetch more. */
	add(out, "queued.min.messages", "1");
	add(out, "fetch.message.max.bytes", "65536");
	add(out, "fetch.wait.max.ms", "100");

	if (f->sasl_enabled) {
		const char *m = f->sasl_mechanism ? f->sasl_mechanism : "";
		char low[32];
		size_t i = 0;
		for (; m[i] && i + 1 < sizeof low; i++)
			low[i] = (char)tolower((unsigned char)m[i]);
		low[i] = '\0';
		if (!*low || !strcmp(low, "plain")) {
			strf(out->mechanism, sizeof out->mechanism, "PLAIN");
		} else if (!strcmp(low, "scram-sha256")) {
			strf(out->mechanism, sizeof out->mechanism, "SCRAM-SHA-256");
		} else if (!strcmp(low, "scram-sha512")) {
			strf(out->mechanism, sizeof out->mechanism, "SCRAM-SHA-512");
		} else if (!strcmp(low, "gssapi") || !strcmp(low, "awsiam")) {
			strf(err, errlen, "--sasl.mechanism=%s is not supported by this kafka_exporter (PLAIN and SCRAM only)", low);
			return -1;
		} else {
			strf(err, errlen,
			     "invalid --sasl.mechanism \"%.32s\": can only be \"scram-sha256\", \"scram-sha512\" or \"plain\"", m);
			return -1;
		}
		if (!f->sasl_handshake) {
			strf(err, errlen, "--no-sasl.handshake is not supported: librdkafka always sends the SASL handshake");
			return -1;
		}
		add(out, "sasl.mechanisms", out->mechanism);
		if (f->sasl_username && *f->sasl_username)
			add(out, "sasl.username", f->sasl_username);
	}
	strf(out->protocol, sizeof out->protocol, "%s%s", f->sasl_enabled ? "SASL_" : "",
	     f->tls_enabled ? "SSL" : "PLAINTEXT");
	add(out, "security.protocol", out->protocol);

	if (f->tls_enabled) {
		if (f->tls_server_name && *f->tls_server_name) {
			strf(err, errlen, "--tls.server-name is not supported: librdkafka checks the name each broker advertises");
			return -1;
		}
		if (f->tls_ca_file && *f->tls_ca_file)
			add(out, "ssl.ca.location", f->tls_ca_file);
		bool cert = f->tls_cert_file && *f->tls_cert_file, key = f->tls_key_file && *f->tls_key_file;
		if (cert != key) {
			strf(err, errlen, "--tls.cert-file and --tls.key-file must be given together");
			return -1;
		}
		if (cert) {
			add(out, "ssl.certificate.location", f->tls_cert_file);
			add(out, "ssl.key.location", f->tls_key_file);
		}
		if (f->tls_insecure) {
			add(out, "enable.ssl.certificate.verification", "false");
			add(out, "ssl.endpoint.identification.algorithm", "none");
		}
	}

	int old = check_version(f->kafka_version ? f->kafka_version : "");
	if (old < 0) {
		strf(err, errlen, "invalid --kafka.version '%.32s'", f->kafka_version ? f->kafka_version : "");
		return -1;
	}
	/* The version is used when a broker cannot tell its API versions (before 0.10). */
	strf(out->fallback, sizeof out->fallback, "%s", f->kafka_version);
	add(out, "broker.version.fallback", out->fallback);
	if (old)
		add(out, "api.version.request", "false");
	return 0;
}
