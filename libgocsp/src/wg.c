/*
 * Design notes: WaitGroup, after Go's sync/waitgroup.go.  state_ packs
 * the counter (high 32 bits) and the number of waiters (low 32).  The
 * Add that brings the counter to zero resets the state and releases the
 * waiters through the semaphore table, which never touches the
 * WaitGroup: a waiter may free it as soon as it returns.
 */
#include "internal.h"

void
gocsp_wg_add(gocsp_waitgroup *wg, int delta)
{
	uint64_t add = (uint64_t) (int64_t) delta << 32;
	uint64_t state =
	    __atomic_add_fetch(&wg->state_, add, __ATOMIC_SEQ_CST);
	int32_t v = (int32_t) (state >> 32);
	uint32_t waiters = (uint32_t) state;
	if (v < 0)
		gocsp__throw("gocsp_wg_add: negative WaitGroup counter");
	if (v > 0 || waiters == 0)
		return;
	if (__atomic_load_n(&wg->state_, __ATOMIC_SEQ_CST) != state)
		gocsp__throw("gocsp_wg_add: WaitGroup misuse: add called "
		             "concurrently with wait");
	__atomic_store_n(&wg->state_, 0, __ATOMIC_SEQ_CST);
	gocsp__semrelease(&wg->sema_, waiters);
}

void
gocsp_wg_done(gocsp_waitgroup *wg)
{
	gocsp_wg_add(wg, -1);
}

void
gocsp_wg_wait(gocsp_waitgroup *wg)
{
	uint64_t state = __atomic_load_n(&wg->state_, __ATOMIC_SEQ_CST);
	for (;;) {
		if ((state >> 32) == 0)
			return;
		if (__atomic_compare_exchange_n(&wg->state_, &state, state + 1,
		        false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			gocsp__semacquire(&wg->sema_, false,
			    GOCSP__WAIT_WAITGROUP);
			return;
		}
	}
}
