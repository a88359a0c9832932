# A thin wrapper around CMake; the build lives in build/.
#
#   make deps              install missing Debian packages (needs root)
#   make build             configure and build in build/
#   make test              build, then run every test (ctest)
#   make demo              build, then run examples/demo.sh (gocspd serving
#                          a pool of shell workers, then in-process examples)
#   make bench             Release build in build-bench/, run tests/bench/run.sh
#   make bench-daemon      the same tree, run tests/bench/daemon.sh (gocspd
#                          against raw nng and Redis)
#   make bench-pools       the same tree, run tests/bench/pool.sh (gocsp spawn
#                          against xargs -P2 and GNU parallel -j2)
#   make sanitize-thread   TSan build in build-tsan/, run the unit tests
#   make sanitize-address  ASan+UBSan build in build-asan/, run the unit tests
#   make valgrind          build, then run an example under valgrind (no
#                          error, nothing definitely lost)
#   make format            clang-format every C file of the project in place
#   make format-check      fail if clang-format would change any of them
#   make install           install build/ into PREFIX (default /usr/local)
#   make clean             remove the build directories
#
# Variables: BUILD (build/), PREFIX, DESTDIR, JOBS (nproc), CMAKE_FLAGS (extra
# configure options, e.g. -DGOCSP_CONTEXT=ucontext), SAN_LABEL (unit),
# BENCH_ARGS (after the build directory, e.g. "3 pingpong": see run.sh, or
# "3 rtt" for bench-daemon: see daemon.sh; "5 2000" for bench-pools: pairs
# and jobs, see pool.sh).

BUILD       ?= build
PREFIX      ?= /usr/local
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
SAN_LABEL   ?= unit|daemon
BENCH_ARGS  ?=
CTEST_JOBS  ?= 2
comma       := ,

# scdoc makes the man pages; the service tests read /metrics with
# python3-prometheus-client, render the pages with man-db and check the
# units with systemd's systemd-analyze; clang-format checks the C style
# (make format-check).
DEPS       = cmake gcc g++ make pkg-config libcmocka-dev libnng-dev \
             libprotobuf-c-dev protobuf-c-compiler openssl python3 scdoc \
             python3-prometheus-client man-db systemd \
             systemd-container clang-format
VALGRIND_DEPS = $(DEPS) valgrind
BENCH_DEPS = $(DEPS) golang-go
DAEMON_BENCH_DEPS = $(DEPS) libhiredis-dev redis-server redis-tools
POOL_BENCH_DEPS = $(DEPS) parallel bc findutils

# $(call install-deps,PACKAGES): install those not installed, with one
# apt-get update; without root, print the command to run and fail.
define install-deps
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "deps: not a Debian system; make sure these are installed: $(strip $(1))"; \
		exit 0; \
	fi; \
	missing=; \
	for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -qx 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing$$missing"; \
		apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
		echo "deps: missing packages:$$missing"; \
		echo "deps: run: sudo apt-get update && sudo apt-get install -y$$missing"; \
		exit 1; \
	fi
endef

# $(call cmake-build,DIR,CONFIGURE OPTIONS)
define cmake-build
	cmake -S . -B $(1) $(2) $(CMAKE_FLAGS)
	cmake --build $(1) -j $(JOBS)
endef

.PHONY: all deps build test demo bench sanitize-thread sanitize-address \
	format format-check valgrind install clean

all: build

deps:
	$(call install-deps,$(DEPS))

build: deps
	$(call cmake-build,$(BUILD))

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(CTEST_JOBS)

demo: build
	@if [ ! -f examples/demo.sh ]; then \
		echo "demo: examples/demo.sh does not exist yet"; exit 1; \
	fi
	bash examples/demo.sh $(abspath $(BUILD))

bench:
	$(call install-deps,$(BENCH_DEPS))
	$(call cmake-build,build-bench,-DCMAKE_BUILD_TYPE=Release)
	@if [ ! -f tests/bench/run.sh ]; then \
		echo "bench: tests/bench/run.sh does not exist yet"; exit 1; \
	fi
	bash tests/bench/run.sh $(abspath build-bench) $(BENCH_ARGS)

.PHONY: bench-daemon
bench-daemon:
	$(call install-deps,$(DAEMON_BENCH_DEPS))
	$(call cmake-build,build-bench,-DCMAKE_BUILD_TYPE=Release)
	bash tests/bench/daemon.sh $(abspath build-bench) $(BENCH_ARGS)

.PHONY: bench-pools
bench-pools:
	$(call install-deps,$(POOL_BENCH_DEPS))
	$(call cmake-build,build-bench,-DCMAKE_BUILD_TYPE=Release)
	bash tests/bench/pool.sh $(abspath build-bench) $(BENCH_ARGS)

# Sanitizer builds are Debug (assertions on); GOCSP_SANITIZE adds -O1 -g.
sanitize-thread: deps
	$(call cmake-build,build-tsan,-DCMAKE_BUILD_TYPE=Debug -DGOCSP_SANITIZE=thread)
	cd build-tsan && ctest --output-on-failure -j $(CTEST_JOBS) \
		-L '$(SAN_LABEL)' --no-tests=error

sanitize-address: deps
	$(call cmake-build,build-asan,-DCMAKE_BUILD_TYPE=Debug -DGOCSP_SANITIZE=address$(comma)undefined)
	cd build-asan && ctest --output-on-failure -j $(CTEST_JOBS) \
		-L '$(SAN_LABEL)' --no-tests=error

valgrind:
	$(call install-deps,$(VALGRIND_DEPS))
	$(call cmake-build,$(BUILD))
	cd $(BUILD) && ctest --output-on-failure -L valgrind --no-tests=error

# The C files .clang-format covers (generated code lives in build trees).
FORMAT_FILES = $(shell find libgocsp daemon clients proto tests \
	-name '*.[ch]' | sort)

format:
	clang-format -i $(FORMAT_FILES)

format-check: deps
	clang-format --dry-run --Werror $(FORMAT_FILES)

install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

clean:
	rm -rf $(BUILD) build-bench build-tsan build-asan
