/* Checking an exposition as text in unit tests: render it, look for whole lines. */
#ifndef TESTS_EXPO_TEXT_H
#define TESTS_EXPO_TEXT_H

#include <check.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/expo.h"

/* Render e as text 0.0.4 and free it; the caller frees the text. */
static inline char *expo_text(struct expo *e)
{
	struct buf b;
	buf_init(&b, 1u << 26);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
	char *t = buf_detach(&b, NULL);
	expo_free(e);
	return t;
}

/* True if text has line as one of its whole lines. */
static inline int text_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

#define HAS(t, l) ck_assert_msg(text_has_line((t), (l)), "missing line: %s\n%s", (l), (t))
#define LACKS(t, s) ck_assert_msg(strstr((t), (s)) == NULL, "unexpected: %s", (s))

#endif
