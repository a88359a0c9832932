/*
 * Design notes: the Linux port of os.h.  Futexes are private
 * (FUTEX_PRIVATE_FLAG) because every waiter lives in this process.  Timed
 * futex waits use FUTEX_WAIT_BITSET, whose timeout is an absolute
 * CLOCK_MONOTONIC time, so a wait interrupted and restarted keeps its
 * deadline.
 */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "gocsp/gocsp.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef PIDFD_SELF
#define PIDFD_SELF -10000 /* the calling thread, Linux 6.15 */
#endif
#define GUARD_IOV_MAX 64

int
gocsp__futex_wait(uint32_t *addr, uint32_t val, int64_t deadline)
{
	struct timespec ts, *tsp = NULL;
	if (deadline >= 0) {
		ts.tv_sec = deadline / 1000000000;
		ts.tv_nsec = deadline % 1000000000;
		tsp = &ts;
	}
	long r =
	    syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
	        val, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
	if (r < 0 && errno == ETIMEDOUT)
		return GOCSP_ETIMEDOUT;
	return 0;
}

void
gocsp__futex_wake(uint32_t *addr, int n)
{
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL,
	    NULL, 0);
}

int64_t
gocsp__os_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
gocsp__os_now_coarse(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long
gocsp__os_nthreads(void)
{
	/* Field 20 of /proc/self/stat, counted after the command name,
	 * which is in parentheses and may hold spaces or parentheses. */
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	/* ") S ppid ...": the state is field 3, num_threads field 20. */
	for (int field = 2; field < 20; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -1;
	}
	return strtol(p + 1, NULL, 10);
}

int
gocsp__os_ncpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		int n = CPU_COUNT(&set);
		if (n > 0)
			return n;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int) n : 1;
}

size_t
gocsp__os_pagesize(void)
{
	static size_t page;
	if (page == 0)
		page = (size_t) sysconf(_SC_PAGESIZE);
	return page;
}

void *
gocsp__os_reserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
gocsp__os_release(void *p, size_t len)
{
	munmap(p, len);
}

int
gocsp__os_guard(void *p, size_t len, int allow_mprotect)
{
	if (madvise(p, len, MADV_GUARD_INSTALL) == 0)
		return 1;
	if (allow_mprotect && mprotect(p, len, PROT_NONE) == 0)
		return 2;
	return 0;
}

int
gocsp__os_guard_strided(void *base, size_t stride, size_t len, int n)
{
	/* Once refused (an older kernel), always refused. */
	static _Atomic int refused;
	if (n > GUARD_IOV_MAX)
		n = GUARD_IOV_MAX;
	if (n < 2 || atomic_load_explicit(&refused, memory_order_relaxed))
		return 0;
	struct iovec iov[GUARD_IOV_MAX];
	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){.iov_base = (char *) base +
		        stride * (size_t) i,
		    .iov_len = len};
	long r = syscall(SYS_process_madvise, PIDFD_SELF, iov, n,
	    MADV_GUARD_INSTALL, 0);
	if (r < 0) {
		atomic_store_explicit(&refused, 1, memory_order_relaxed);
		return 0;
	}
	return (int) ((size_t) r / len);
}

void
gocsp__os_unguard(void *p, size_t len, int kind)
{
	if (kind == 2)
		mprotect(p, len, PROT_READ | PROT_WRITE);
}

void
gocsp__os_nap(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000,
	    .tv_nsec = ns % 1000000000};
	nanosleep(&ts, NULL);
}

void
gocsp__os_thread_init(void)
{
	/* The default slack (50 us) would stretch every nap to it. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
}

long
gocsp__os_max_map_count(void)
{
	long n = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f != NULL) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 65530;
		fclose(f);
	}
	return n;
}
