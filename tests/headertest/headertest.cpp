// gocsp.h on its own as C++11: nothing is included before it, and a second
// inclusion must be harmless.
#include <gocsp/gocsp.h>
#include <gocsp/gocsp.h>

static_assert(GOCSP_EAGAIN == -11, "GOCSP_EAGAIN is -EAGAIN");
static_assert(GOCSP_ECLOSED < -4000, "gocsp's own codes sit below -4000");

int gocsp_headertest_cxx();

int
gocsp_headertest_cxx()
{
	gocsp_case c = { nullptr, GOCSP_SEND, nullptr, 0 };
	gocsp_waitgroup wg = {};

	return c.op == GOCSP_SEND && wg.state_ == 0;
}
