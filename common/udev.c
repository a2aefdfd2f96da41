#include "udev.h"

#include <errno.h>
#include <string.h>

#include "fsread.h"
#include "hostfs.h"
#include "parse.h"

size_t udev_parse(char *text, struct udev_prop *props, size_t max)
{
	size_t n = 0;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		if (line[0] != 'E' || line[1] != ':')
			continue;
		char *eq = strchr(line + 2, '=');
		if (!eq)
			continue;
		size_t len = strlen(eq + 1);
		if (len && eq[len] == '\r') /* a CRLF line, as bufio.ScanLines strips it */
			eq[len] = '\0';
		*eq = '\0';
		if (n < max)
			props[n++] = (struct udev_prop){ line + 2, eq + 1 };
	}
	return n;
}

int udev_block_props(unsigned major, unsigned minor, struct buf *b, struct udev_prop *props,
		     size_t max)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s/b%u:%u", path_udev_data, major, minor) < 0)
		return -ENAMETOOLONG;
	int rc = read_whole(path, b);
	if (rc < 0)
		return rc;
	return (int)udev_parse(b->data, props, max);
}

const char *udev_get(const struct udev_prop *props, size_t n, const char *key)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(props[i].key, key) == 0)
			return props[i].value;
	return NULL;
}
