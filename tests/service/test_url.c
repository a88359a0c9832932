/*
 * How a client finds gocspd without a URL (gocsp__wire_client_url): the
 * user's own socket first, the system unit's when only that one is there,
 * and the user's when neither is (so the error names it).
 */
#include "gocsp_test.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "wire.h"

static char dir[64];
static char user_url[160], system_url[160];

/* A unix socket bound at the path of url (its descriptor). */
static int
socket_at(const char *url)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    gocsp__wire_ipc_path(url));
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
	return fd;
}

static const char *
client_url(void)
{
	static char buf[200];
	assert_int_equal(gocsp__wire_client_url(buf, sizeof(buf), system_url),
	    0);
	return buf;
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/gocsp-url.XXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("XDG_RUNTIME_DIR", dir, 1);
	char sub[100];
	snprintf(sub, sizeof(sub), "%s/gocsp", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(user_url, sizeof(user_url), "ipc://%s/gocsp/gocspd.sock",
	    dir);
	snprintf(system_url, sizeof(system_url), "ipc://%s/system.sock", dir);
	char def[200];
	assert_int_equal(gocsp__wire_default_url(def, sizeof(def)), 0);
	assert_string_equal(def, user_url);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[100];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
test_url__neither_names_the_users(void **state)
{
	assert_string_equal(client_url(), user_url);
}

static void
test_url__the_system_socket_alone(void **state)
{
	int fd = socket_at(system_url);
	assert_string_equal(client_url(), system_url);
	close(fd);
}

static void
test_url__the_users_socket_first(void **state)
{
	int sys = socket_at(system_url), user = socket_at(user_url);
	assert_string_equal(client_url(), user_url);
	close(sys);
	close(user);
}

static void
test_url__a_file_is_not_a_socket(void **state)
{
	int sys = socket_at(system_url);
	char *path = strdup(gocsp__wire_ipc_path(user_url));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_string_equal(client_url(), system_url);
	free(path);
	close(sys);
}

static void
test_url__too_small_a_buffer(void **state)
{
	int fd = socket_at(system_url);
	char buf[8];
	assert_int_equal(gocsp__wire_client_url(buf, sizeof(buf), system_url),
	    -ENAMETOOLONG);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_url__neither_names_the_users,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url__the_system_socket_alone,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url__the_users_socket_first,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url__a_file_is_not_a_socket,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url__too_small_a_buffer,
	        setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
