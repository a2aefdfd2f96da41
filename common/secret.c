#include "secret.h"

#include <stdlib.h>
#include <string.h>

void secret_wipe(void *p, size_t n)
{
	/* Through a volatile pointer: a memset before free() may be dropped as a dead store. */
	volatile unsigned char *q = p;
	while (n--)
		*q++ = 0;
}

void secret_free(char *s)
{
	if (!s)
		return;
	secret_wipe(s, strlen(s));
	free(s);
}
