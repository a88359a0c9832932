/*
 * gocsp.h on its own as strict C11: nothing is included before it, and a
 * second inclusion must be harmless.
 */
#include <gocsp/gocsp.h>
#include <gocsp/gocsp.h>

int gocsp_headertest_c(void);

int
gocsp_headertest_c(void)
{
	gocsp_case c = {NULL, GOCSP_RECV, NULL, 0};
	gocsp_waitgroup wg = {0};

	return c.op == GOCSP_RECV && wg.state_ == 0 && GOCSP_ECLOSED < -4000 &&
	    GOCSP_FOREVER == -1;
}
