#!/bin/sh
# usage: package.sh BUILD_DIR CONSUMER_DIR WORK_DIR LIBDIR [CONFIG]
#
# Installs BUILD_DIR into WORK_DIR/prefix with `cmake --install`, then builds
# and runs CONSUMER_DIR/consumer.c twice: with `pkg-config gocsp` (shared
# library, found through LD_LIBRARY_PATH) and as a CMake project using
# find_package(gocsp) with gocsp::gocsp and gocsp::gocsp_static.  Also
# builds CONSUMER_DIR/api_names.c (every libgocsp name of the API contract,
# at its contract signature) with pkg-config, and runs it.
# With the daemon's side, also what makes gocspd a service: the installed
# gocspd and gocsp run, the systemd units and sysusers.d file, the bash
# completion, and (when built) the man pages and the examples, which
# build with pkg-config.
# LIBDIR is CMAKE_INSTALL_LIBDIR. Environment: CC, CMAKE, PKG_CONFIG,
# GOCSP_CONSUMER_FLAGS (extra compile and link flags, e.g. a sanitizer),
# GOCSP_WITH_MAN and GOCSP_WITH_EXAMPLES (1 when this tree built them).
set -eu
build=$1
consumer=$2
work=$3
libdir=$4
config=${5:-}
cc=${CC:-cc}
cmake=${CMAKE:-cmake}
pkg_config=${PKG_CONFIG:-pkg-config}
extra=${GOCSP_CONSUMER_FLAGS:-}

prefix=$work/prefix
case $libdir in
/*) ;;
*) libdir=$prefix/$libdir ;;
esac

step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"

step "cmake --install $build --prefix $prefix"
if [ -n "$config" ]; then
	"$cmake" --install "$build" --prefix "$prefix" --config "$config"
else
	"$cmake" --install "$build" --prefix "$prefix"
fi

step "installed files"
for f in include/gocsp/gocsp.h; do
	[ -f "$prefix/$f" ] || die "missing $prefix/$f"
done
for f in libgocsp.so libgocsp.so.0 libgocsp.a pkgconfig/gocsp.pc \
    cmake/gocsp/gocspConfig.cmake cmake/gocsp/gocspConfigVersion.cmake \
    cmake/gocsp/gocspTargets.cmake; do
	[ -e "$libdir/$f" ] || die "missing $libdir/$f"
done
[ -L "$libdir/libgocsp.so" ] || die "libgocsp.so is not a link"
[ -L "$libdir/libgocsp.so.0" ] || die "libgocsp.so.0 is not a link"
# The daemon's side, when this tree built it.
with_client=0
if [ -e "$libdir/libgocsp-client.so" ]; then
	with_client=1
	for f in include/gocsp/client.h bin/gocsp sbin/gocspd; do
		[ -e "$prefix/$f" ] || die "missing $prefix/$f"
	done
	for f in libgocsp-client.so.0 pkgconfig/gocsp-client.pc; do
		[ -e "$libdir/$f" ] || die "missing $libdir/$f"
	done
	for f in lib/systemd/system/gocspd.service \
	    lib/systemd/user/gocspd.service lib/sysusers.d/gocsp.conf \
	    share/bash-completion/completions/gocsp; do
		[ -f "$prefix/$f" ] || die "missing $prefix/$f"
	done
fi
if [ "${GOCSP_WITH_MAN:-0}" = 1 ]; then
	for f in man1/gocsp.1 man8/gocspd.8 man3/libgocsp.3 \
	    man3/gocsp-client.3; do
		[ -f "$prefix/share/man/$f" ] || die "missing $prefix/share/man/$f"
	done
fi
examples=$prefix/share/doc/gocsp/examples
if [ "${GOCSP_WITH_EXAMPLES:-0}" = 1 ]; then
	[ -f "$examples/sieve.c" ] || die "missing $examples/sieve.c"
	[ -x "$examples/shell/primes.sh" ] ||
	    die "missing $examples/shell/primes.sh"
fi
echo ok

if [ "$with_client" = 1 ]; then
	step "the installed commands"
	export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	version=$("$prefix/sbin/gocspd" --version) || die "gocspd --version"
	echo "$version"
	[ "$version" = "$("$prefix/bin/gocsp" --version | sed 's/gocsp/gocspd/')" ] ||
	    die "gocsp and gocspd disagree on the version"
	got=$(bash -c ". '$prefix/share/bash-completion/completions/gocsp' &&
	    complete -p gocsp")
	[ "$got" = "complete -F _gocsp gocsp" ] ||
	    die "the completion does not load: $got"
	echo ok
fi

step "pkg-config gocsp"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
got=$("$pkg_config" --variable=prefix gocsp)
[ "$got" = "$prefix" ] || die "gocsp.pc has prefix=$got, not $prefix"
flags=$("$pkg_config" --cflags --libs gocsp)
echo "$flags"
case " $flags " in
*" -fstack-clash-protection "*) ;;
*) die "gocsp.pc does not ask for -fstack-clash-protection" ;;
esac
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$cc" -std=c11 -Wall -Wextra -Werror $extra -o "$work/consumer" \
    "$consumer/consumer.c" $flags
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$work/consumer" || die "consumer built with pkg-config failed"

if [ "$with_client" = 1 ]; then
	step "pkg-config gocsp-client"
	cflags=$("$pkg_config" --cflags --libs gocsp-client)
	echo "$cflags"
	# shellcheck disable=SC2086 # word splitting of the flags is intended
	"$cc" -std=c11 -Wall -Wextra -Werror $extra -o "$work/client" \
	    "$consumer/client.c" $cflags || die "client.c does not build"
	LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	    "$work/client" || die "client built with pkg-config failed"
fi

step "every API.md name, with pkg-config gocsp"
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$cc" -std=c11 -Wall -Wextra -Werror $extra -o "$work/api_names" \
    "$consumer/api_names.c" $flags || die "API.md names do not build"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$work/api_names" || die "API.md names: error codes"

if [ "${GOCSP_WITH_EXAMPLES:-0}" = 1 ]; then
	step "the installed examples, with pkg-config gocsp"
	for f in "$examples"/*.c; do
		# As a user would: the compiler's own C dialect (the examples
		# use POSIX getopt).
		# shellcheck disable=SC2086 # word splitting of the flags
		"$cc" -Wall -Wextra $extra -o "$work/example" "$f" $flags ||
		    die "$f does not build"
	done
	echo ok
fi

step "find_package(gocsp)"
"$cmake" -S "$consumer" -B "$work/cmake-consumer" \
    -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_C_FLAGS="$extra" \
    -DCMAKE_EXE_LINKER_FLAGS="$extra" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/cmake-consumer.log" 2>&1 ||
    { cat "$work/cmake-consumer.log"; die "configuring the CMake consumer"; }
"$cmake" --build "$work/cmake-consumer" ||
    die "building the CMake consumer"
# gocsp::gocsp is an imported shared library: CMake gives the program an
# RPATH to it, so no LD_LIBRARY_PATH here.
"$work/cmake-consumer/consumer" || die "CMake consumer (shared) failed"
"$work/cmake-consumer/consumer_static" ||
    die "CMake consumer (static) failed"
if ldd "$work/cmake-consumer/consumer_static" | grep -q libgocsp; then
	die "consumer_static links libgocsp.so"
fi
if [ "$with_client" = 1 ]; then
	[ -x "$work/cmake-consumer/client" ] ||
	    die "find_package(gocsp) did not give gocsp::client"
	"$work/cmake-consumer/client" || die "CMake client consumer failed"
fi
echo "ok: installed package works"
