/* Growable byte buffer with a hard size cap (after curl's dynbuf). */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

#define WUR __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/*
 * Every append either fits entirely or fails with -ENOSPC (cap reached) or
 * -ENOMEM and leaves the buffer unchanged. The content is always
 * NUL-terminated once anything was appended; the NUL is not counted in len.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len */
};

/* Initialise an empty buffer that may grow up to max bytes. No allocation. */
void buf_init(struct buf *b, size_t max);

/* Release the memory and leave an empty buffer with the same cap. */
void buf_free(struct buf *b);

/* Forget the content but keep the allocation for reuse. */
void buf_reset(struct buf *b);

/* Make room for n more bytes; returns 0, -ENOSPC or -ENOMEM. */
int buf_reserve(struct buf *b, size_t n) WUR;

int buf_append(struct buf *b, const void *p, size_t n) WUR;
int buf_puts(struct buf *b, const char *s) WUR;
int buf_putc(struct buf *b, char c) WUR;
int buf_printf(struct buf *b, const char *fmt, ...) WUR PRINTF_LIKE(2, 3);

/*
 * Hand the content over to the caller, who must free() it; the buffer is
 * left empty. Returns a valid (possibly empty) string or NULL on ENOMEM.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
