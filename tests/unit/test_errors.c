/*
 * Error codes: values (errno twins, gocsp's own below -4000), distinctness,
 * and gocsp_strerror for every code, unknown codes and plain -errno.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <errno.h>

struct code {
	int value;
	const char *name;
	const char *text;
};

static const struct code codes[] = {
#define XX(name, value, text) {GOCSP_##name, #name, text},
    GOCSP_ERRNO_MAP(XX)
#undef XX
};
#define NCODES (sizeof codes / sizeof codes[0])

static void
test_errors__errno_twins(void **state)
{
	(void) state;
	assert_int_equal(GOCSP_EAGAIN, -EAGAIN);
	assert_int_equal(GOCSP_ETIMEDOUT, -ETIMEDOUT);
	assert_int_equal(GOCSP_ECANCELED, -ECANCELED);
	assert_int_equal(GOCSP_ENOMEM, -ENOMEM);
	assert_int_equal(GOCSP_EINVAL, -EINVAL);
	assert_int_equal(GOCSP_EPERM, -EPERM);
	assert_int_equal(GOCSP_ENOENT, -ENOENT);
	assert_int_equal(GOCSP_EEXIST, -EEXIST);
	assert_int_equal(GOCSP_EPROTO, -EPROTO);
	assert_int_equal(GOCSP_ECONNREFUSED, -ECONNREFUSED);
	assert_int_equal(GOCSP_ECONNRESET, -ECONNRESET);
}

static void
test_errors__own_codes_below_4000(void **state)
{
	(void) state;
	assert_true(GOCSP_ECLOSED < -4000);
	assert_true(GOCSP_ELIMIT < -4000);
	assert_true(GOCSP_ECLOSED != GOCSP_ELIMIT);
}

static void
test_errors__codes_distinct_and_negative(void **state)
{
	size_t i, j;
	(void) state;
	assert_true(NCODES >= 13);
	for (i = 0; i < NCODES; i++) {
		assert_true(codes[i].value < 0);
		for (j = i + 1; j < NCODES; j++)
			if (codes[i].value == codes[j].value)
				fail_msg("%s and %s share %d", codes[i].name,
				    codes[j].name, codes[i].value);
	}
}

static void
test_errors__strerror_names_every_code(void **state)
{
	size_t i, j;
	(void) state;
	for (i = 0; i < NCODES; i++) {
		const char *s = gocsp_strerror(codes[i].value);
		assert_non_null(s);
		if (strcmp(s, codes[i].text) != 0)
			fail_msg("gocsp_strerror(GOCSP_%s) = \"%s\", want "
			         "\"%s\"",
			    codes[i].name, s, codes[i].text);
		for (j = 0; j < i; j++)
			assert_string_not_equal(s,
			    gocsp_strerror(codes[j].value));
	}
	/* spot checks that do not depend on the map */
	assert_non_null(strstr(gocsp_strerror(GOCSP_ECLOSED), "closed"));
	assert_non_null(strstr(gocsp_strerror(GOCSP_ETIMEDOUT), "timeout"));
}

static void
test_errors__unknown_codes(void **state)
{
	int unknown[] = {1, 12345, -3999, -4003, -4999, -99999, -2147483647,
	    2147483647, -2147483647 - 1};
	size_t i;
	(void) state;
	for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		const char *s = gocsp_strerror(unknown[i]);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	assert_non_null(gocsp_strerror(0));
}

static int
contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* I/O calls return -errno: those read like strerror(), including the
 * errnos that are gocsp codes as well (gocsp_connect's ECONNREFUSED is
 * not "daemon unreachable"). */
static void
test_errors__negative_errno_text(void **state)
{
	struct {
		int err;
		const char *want;
	} io[] = {
	    {EBADF, "bad file descriptor"},
	    {EPIPE, "broken pipe"},
	    {ENOTSOCK, "socket"},
	    {EADDRINUSE, "address already in use"},
	    {EISDIR, "directory"},
	    /* Codes the client library uses too: the texts fit both. */
	    {ECONNREFUSED, "connection refused"},
	    {ECONNRESET, "connection reset"},
	    {ENOENT, "no such file"},
	    {EEXIST, "exists"},
	    {EPROTO, "protocol"},
	};
	size_t i;
	(void) state;
	for (i = 0; i < sizeof io / sizeof io[0]; i++) {
		const char *s = gocsp_strerror(-io[i].err);
		assert_non_null(s);
		if (!contains_ci(s, io[i].want))
			fail_msg("gocsp_strerror(-%d) = \"%s\", want text "
			         "like \"%s\"",
			    io[i].err, s, strerror(io[i].err));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_errors__errno_twins),
	    GT_CASE(test_errors__own_codes_below_4000),
	    GT_CASE(test_errors__codes_distinct_and_negative),
	    GT_CASE(test_errors__strerror_names_every_code),
	    GT_CASE(test_errors__unknown_codes),
	    GT_CASE(test_errors__negative_errno_text),
	};
	return GT_RUN_CASES(tests);
}
