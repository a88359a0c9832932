# libgocsp's sources, relative to libgocsp/src (included by
# libgocsp/CMakeLists.txt).  GOCSP_CONTEXT selects the context switch:
# auto (assembly where there is one, else ucontext), asm, or ucontext.
set(GOCSP_SOURCES
	chan.c
	coro.c
	ctx.c
	dump.c
	duration.c
	error.c
	fault.c
	io.c
	lock.c
	netpoll.c
	rand.c
	runq.c
	sched.c
	select.c
	sema.c
	stack.c
	time.c
	timer.c
	waiter.c
	wg.c
	mutex.c
	rwmutex.c
	once.c
	cond.c
	pool.c
	os/linux.c
	arch/regs_asm.c
	arch/regs_ucontext.c
)
set(GOCSP_CONTEXT_DEFINES)
if(NOT GOCSP_CONTEXT STREQUAL "ucontext" AND
   CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
	list(APPEND GOCSP_SOURCES arch/switch_x86_64.S)
elseif(NOT GOCSP_CONTEXT STREQUAL "ucontext" AND
       CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
	list(APPEND GOCSP_SOURCES arch/switch_aarch64.S)
else()
	if(GOCSP_CONTEXT STREQUAL "asm")
		message(FATAL_ERROR "no assembly context switch for ${CMAKE_SYSTEM_PROCESSOR}")
	endif()
	list(APPEND GOCSP_CONTEXT_DEFINES GOCSP_REGS_UCONTEXT=1)
endif()
