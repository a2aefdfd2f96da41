// links: kafka_exporter
/*
 * libFuzzer target for kafka_exporter's parsers of flag values: the input's
 * lines are, in order, --kafka.labels, the --kafka.server values (split on
 * spaces), --sasl.mechanism, --kafka.version, --tls.ca-file, --tls.cert-file,
 * --tls.key-file, --tls.server-name, --sasl.username,
 * --consumergroup.lag-seconds, the topic (or group) filter and exclude
 * patterns, then names to filter; the first byte's bits are the boolean
 * flags. What the parsers return is checked for the promises setup() and
 * the scrapes rely on. Built and run by `make fuzz`; the unit test
 * check_kafka_flags_corpus replays its corpus (tests/fuzz/corpus/
 * kafka_flags) in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/expo.h"
#include "../../common/rx.h"
#include "../../kafka_exporter/kafka.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 12
#define MAX_NAMES 16
#define MAX_SERVERS 8
/* Stands for a password given on the command line: never among the properties. */
#define PASSWORD "fuzz-Pa55word"

static const char *prop(const struct kafka_props *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->props[i].name, name))
			return p->props[i].value;
	return NULL;
}

static void check_labels(const char *spec)
{
	struct kafka_options o = { 0 };
	char err[256] = "";
	if (parse_const_labels(spec, &o, err, sizeof err) == 0) {
		if (o.nlabels > MAX_CONST_LABELS || o.label_names[o.nlabels] || o.label_values[o.nlabels])
			abort(); /* the backend layer reads NULL-terminated arrays */
		for (size_t i = 0; i < o.nlabels; i++) {
			if (!expo_valid_label_name(o.label_names[i]) || !o.label_values[i])
				abort();
			for (size_t j = 0; j < i; j++)
				if (!strcmp(o.label_names[i], o.label_names[j]))
					abort(); /* a name given twice keeps one value */
		}
	} else if (!strstr(err, "--kafka.labels") && strcmp(err, "out of memory") != 0) {
		abort(); /* a refusal names the flag */
	}
	free_const_labels(&o);
}

static void check_conn(char **field, unsigned bits)
{
	/* The password must not leak, unless the input gave the same text as another flag's value. */
	bool given = false;
	for (int i = 0; i < NFIELDS; i++)
		given = given || strstr(field[i], PASSWORD);
	const char *servers[MAX_SERVERS];
	size_t nservers = 0;
	for (char *s = field[1], *sp; s && nservers < MAX_SERVERS; s = sp ? sp + 1 : NULL) {
		sp = strchr(s, ' ');
		if (sp)
			*sp = '\0';
		servers[nservers++] = s;
	}
	struct kafka_conn_flags f = {
		.servers = { nservers, servers },
		.sasl_enabled = bits & 1, .sasl_handshake = bits & 2, .sasl_mechanism = field[2],
		.sasl_username = field[8], .sasl_password = PASSWORD,
		.tls_enabled = bits & 4, .tls_insecure = bits & 8, .tls_server_name = field[7],
		.tls_ca_file = field[4], .tls_cert_file = field[5], .tls_key_file = field[6],
		.kafka_version = field[3], .allow_auto_topic_creation = bits & 16,
	};
	static struct kafka_props p;
	char err[256] = "";
	if (kafka_conn_props(&f, &p, err, sizeof err) < 0) {
		if (!err[0] || (!given && strstr(err, PASSWORD)))
			abort();
		return;
	}
	if (p.n > MAX_PROPS)
		abort();
	for (size_t i = 0; i < p.n; i++)
		if (!p.props[i].name || !p.props[i].value || (!given && strstr(p.props[i].value, PASSWORD)))
			abort();
	const char *bootstrap = prop(&p, "bootstrap.servers"), *protocol = prop(&p, "security.protocol");
	if (!bootstrap || !*bootstrap || !protocol || !prop(&p, "broker.version.fallback"))
		abort();
	/* The protocol follows the two switches, whatever else was given. */
	const char *want = f.sasl_enabled ? (f.tls_enabled ? "SASL_SSL" : "SASL_PLAINTEXT")
					  : (f.tls_enabled ? "SSL" : "PLAINTEXT");
	if (strcmp(protocol, want) != 0)
		abort();
}

static void check_method(const char *s)
{
	enum lag_seconds_method m;
	bool known = !strcmp(s, "interpolation") || !strcmp(s, "timestamp") || !strcmp(s, "none");
	if ((parse_lag_seconds_method(s, &m) == 0) != known)
		abort();
}

static void check_filters(char **field, char **names, size_t nnames)
{
	struct rx_filter f;
	char err[256];
	if (strlen(field[10]) > 512 || strlen(field[11]) > 512)
		return; /* long patterns exercise PCRE2 more than the flags */
	if (rx_filter_init(&f, "topic.filter", field[10], "topic.exclude", field[11], err, sizeof err) < 0) {
		if (!strstr(err, "--topic."))
			abort();
		return;
	}
	for (size_t i = 0; i < nnames; i++)
		(void)rx_filter_ignored(&f, names[i]);
	rx_filter_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned bits = data[0];
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *field[NFIELDS], *names[MAX_NAMES];
	size_t nf = 0, nnames = 0;
	char *cursor = text;
	for (char *line; (line = strsep(&cursor, "\n"));) {
		if (nf < NFIELDS)
			field[nf++] = line;
		else if (nnames < MAX_NAMES)
			names[nnames++] = line;
	}
	static char empty[1];
	while (nf < NFIELDS)
		field[nf++] = empty;
	check_labels(field[0]);
	check_method(field[9]);
	check_filters(field, names, nnames);
	check_conn(field, bits); /* last: it cuts field[1] */
	free(text);
	return 0;
}
