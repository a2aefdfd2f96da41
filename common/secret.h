/* Secrets (passwords, URLs that hold one) wiped from memory before it is given back. */
#ifndef COMMON_SECRET_H
#define COMMON_SECRET_H

#include <stddef.h>

/* Overwrite n bytes at p with zeros; not optimised away. */
void secret_wipe(void *p, size_t n);

/* Wipe the NUL-terminated string s and free() it; NULL is ignored. */
void secret_free(char *s);

#endif
