#include "cpulist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* One item, "7" or "0-3", of n bytes at s (blanks trimmed by the caller). */
static int parse_item(const char *s, size_t n, uint64_t *lo, uint64_t *hi)
{
	const char *dash = memchr(s, '-', n);
	if (!dash)
		return parse_u64_n(s, n, lo) < 0 ? -1 : (*hi = *lo, 0);
	if (parse_u64_n(s, (size_t)(dash - s), lo) < 0 ||
	    parse_u64_n(dash + 1, n - (size_t)(dash - s) - 1, hi) < 0)
		return -1;
	return *lo <= *hi ? 0 : -1;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Set bits lo..hi a word at a time: "0-65535" repeated is not a slow file. */
static void set_range(uint64_t *bits, size_t lo, size_t hi)
{
	for (size_t w = lo / 64; w <= hi / 64; w++) {
		uint64_t mask = ~0ull;
		if (w == lo / 64)
			mask &= ~0ull << (lo % 64);
		if (w == hi / 64 && hi % 64 != 63)
			mask &= (1ull << (hi % 64 + 1)) - 1;
		bits[w] |= mask;
	}
}

int cpulist_parse(const char *text, struct cpulist *out)
{
	*out = (struct cpulist){ 0 };
	/* A bitmap first: ranges may overlap and repeat, the result may not. */
	uint64_t bits[(CPULIST_MAX_ID + 1) / 64] = { 0 };
	for (const char *p = text; *p;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *a = p, *b = end;
		while (a < b && blank(*a))
			a++;
		while (b > a && blank(b[-1]))
			b--;
		p = *end ? end + 1 : end;
		if (a == b)
			continue;
		uint64_t lo, hi;
		if (parse_item(a, (size_t)(b - a), &lo, &hi) < 0 || hi > CPULIST_MAX_ID)
			return -1;
		set_range(bits, (size_t)lo, (size_t)hi);
	}
	size_t count = 0;
	for (size_t w = 0; w < sizeof bits / sizeof bits[0]; w++)
		count += (size_t)__builtin_popcountll(bits[w]);
	if (!count)
		return 0;
	out->ids = malloc(count * sizeof *out->ids);
	if (!out->ids)
		return -2;
	for (size_t w = 0; w < sizeof bits / sizeof bits[0]; w++)
		for (uint64_t word = bits[w]; word; word &= word - 1)
			out->ids[out->n++] = (unsigned short)(w * 64 + (size_t)__builtin_ctzll(word));
	return 0;
}

bool cpulist_has(const struct cpulist *l, unsigned long id)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->ids[mid] == id)
			return true;
		if (l->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void cpulist_free(struct cpulist *l)
{
	free(l->ids);
	*l = (struct cpulist){ 0 };
}
