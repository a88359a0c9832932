/*
 * Design notes: Go's time.ParseDuration, so that command lines written
 * for Go programs ("250ms", "1.5s", "1h2m") mean the same here.  As in Go,
 * the whole part is exact integer arithmetic and a fraction is scaled in
 * floating point; overflow of int64 nanoseconds is an error.
 */
#include "internal.h"

#include <string.h>

static const struct {
	const char *name;
	int64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
    {"ms", 1000000},
    {"s", 1000000000},
    {"m", 60 * (int64_t) 1000000000},
    {"h", 3600 * (int64_t) 1000000000},
};

/* Digits at *s: their value (saturated) and how many there were. */
static size_t
digits(const char **s, uint64_t *value, uint64_t *scale, bool *overflow)
{
	size_t n = 0;
	*value = 0;
	*scale = 1;
	for (; **s >= '0' && **s <= '9'; (*s)++, n++) {
		if (*value > (UINT64_MAX - 9) / 10 ||
		    *scale > UINT64_MAX / 10) {
			/* Fraction digits past 19 no longer matter. */
			*overflow = true;
			continue;
		}
		*value = *value * 10 + (uint64_t) (**s - '0');
		*scale *= 10;
	}
	return n;
}

int
gocsp_parse_duration(const char *s, int64_t *out)
{
	if (s == NULL || out == NULL)
		return GOCSP_EINVAL;
	bool neg = false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return GOCSP_EINVAL;

	uint64_t total = 0;
	while (*s != '\0') {
		uint64_t whole, frac = 0, scale = 1, unused;
		bool int_over = false, frac_over = false;
		size_t nd = digits(&s, &whole, &unused, &int_over);
		if (*s == '.') {
			s++;
			nd += digits(&s, &frac, &scale, &frac_over);
		}
		if (nd == 0 || int_over)
			return GOCSP_EINVAL;
		size_t ul = 0;
		while (s[ul] != '\0' && s[ul] != '.' &&
		    !(s[ul] >= '0' && s[ul] <= '9'))
			ul++;
		int64_t unit = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ul &&
			    memcmp(units[i].name, s, ul) == 0)
				unit = units[i].ns;
		if (unit == 0)
			return GOCSP_EINVAL; /* missing or unknown unit */
		s += ul;
		if (whole > (uint64_t) INT64_MAX / (uint64_t) unit)
			return GOCSP_EINVAL;
		uint64_t v = whole * (uint64_t) unit;
		if (frac != 0)
			v += (uint64_t) ((double) frac *
			    ((double) unit / (double) scale));
		total += v;
		if (total > (uint64_t) INT64_MAX)
			return GOCSP_EINVAL;
	}
	*out = neg ? -(int64_t) total : (int64_t) total;
	return 0;
}
