/*
 * The client side of TLS to Redis (rediss://): certificates and keys read
 * once at start-up into GnuTLS credentials that every connection shares
 * (GnuTLS credentials are read-only once set up, so threads may share them).
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "redis.h"

struct rtls *rtls_load(const struct rtls_opts *o, char *err, size_t errlen)
{
	if ((*o->cert_file != 0) != (*o->key_file != 0)) {
		strf(err, errlen, "TLS client key file and cert file should both be present "
			       "(--tls-client-cert-file, --tls-client-key-file)");
		return NULL;
	}
	struct rtls *t = calloc(1, sizeof *t);
	if (!t || gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		free(t);
		strf(err, errlen, "out of memory");
		return NULL;
	}
	t->skip_verify = o->skip_verify;
	int rc;
	if (*o->ca_file) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred, o->ca_file, GNUTLS_X509_FMT_PEM);
		/* 0 certificates read is an error too: nothing could ever be trusted. */
		if (rc <= 0) {
			strf(err, errlen, "couldn't load --tls-ca-cert-file %s: %s", o->ca_file,
			     rc == 0 ? "no certificate in it" : gnutls_strerror(rc));
			goto fail;
		}
	} else if ((rc = gnutls_certificate_set_x509_system_trust(t->cred)) < 0 && !o->skip_verify) {
		strf(err, errlen, "couldn't load the system's CA certificates: %s", gnutls_strerror(rc));
		goto fail;
	}
	if (*o->cert_file) {
		rc = gnutls_certificate_set_x509_key_file(t->cred, o->cert_file, o->key_file,
							  GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			strf(err, errlen, "couldn't load the TLS client key pair %s, %s: %s", o->cert_file,
			     o->key_file, gnutls_strerror(rc));
			goto fail;
		}
	}
	return t;
fail:
	rtls_free(t);
	return NULL;
}

void rtls_free(struct rtls *t)
{
	if (!t)
		return;
	gnutls_certificate_free_credentials(t->cred);
	free(t);
}
