/*
 * gocspd on tcp:// and tls+tcp:// beside its ipc:// socket: one channel
 * shared by clients of every transport; TLS with a client certificate
 * required, refused without one.  Certificates come from make-certs.sh
 * (openssl).
 */
#include "harness.h"

#include <netinet/in.h>

static struct gt_daemon D;

/* A port free on 127.0.0.1 now. */
static int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *) &sin, &len) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sin.sin_port);
}

static void
test_net__tcp_and_tls_share_channels(void **state)
{
	char certs[] = "/tmp/gocsp-certs.XXXXXX";
	assert_non_null(mkdtemp(certs));
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sh %s/make-certs.sh %s",
	    getenv("GOCSP_TEST_DIR"), certs);
	assert_int_equal(system(cmd), 0);

	char tcp[64], tls[64], cert[128], ca[128], client_cert[128];
	snprintf(tcp, sizeof(tcp), "tcp://127.0.0.1:%d", free_port());
	snprintf(tls, sizeof(tls), "tls+tcp://127.0.0.1:%d", free_port());
	snprintf(cert, sizeof(cert), "%s/server.pem", certs);
	snprintf(ca, sizeof(ca), "%s/ca.crt", certs);
	snprintf(client_cert, sizeof(client_cert), "%s/client.pem", certs);
	const char *args[] = {"-u", tcp, "-u", tls, "--tls-cert", cert,
	    "--tls-ca", ca, "--tls-verify", NULL};
	assert_int_equal(gt_daemon_start(&D, args), 0);

	gocsp_client *local = gt_client(&D), *net = NULL, *sec = NULL;
	char why[256];
	int rc = gocsp_client_dial(&net, tcp, why, sizeof(why));
	if (rc != 0)
		gt_failf(__FILE__, __LINE__, "tcp: %s (%s)",
		    gocsp_strerror(rc), why);
	EXPECT_EQ(gocsp_client_make(local, "x", 4), 0);
	EXPECT_EQ(gocsp_client_send(local, "x", "over tcp", 8, 0), 0);
	void *d = NULL;
	size_t n;
	EXPECT_EQ(gocsp_client_recv(net, "x", &d, &n, GOCSP_SEC(5)), 0);
	EXPECT(n == 8 && memcmp(d, "over tcp", 8) == 0);
	free(d);

	/* TLS without a client certificate: refused. */
	setenv("GOCSP_TLS_CA", ca, 1);
	unsetenv("GOCSP_TLS_CERT");
	gocsp_client *nocert = NULL;
	EXPECT(gocsp_client_open(&nocert, tls) != 0);
	gocsp_client_close(nocert);
	/* With one: served, the daemon verified. */
	setenv("GOCSP_TLS_CERT", client_cert, 1);
	setenv("GOCSP_TLS_SERVER_NAME", "localhost", 1);
	rc = gocsp_client_dial(&sec, tls, why, sizeof(why));
	if (rc != 0)
		gt_failf(__FILE__, __LINE__, "TLS with a certificate: %s (%s)",
		    gocsp_strerror(rc), why);
	EXPECT_EQ(gocsp_client_send(sec, "x", "over tls", 8, GOCSP_SEC(5)), 0);
	EXPECT_EQ(gocsp_client_recv(local, "x", &d, &n, GOCSP_SEC(5)), 0);
	EXPECT(n == 8 && memcmp(d, "over tls", 8) == 0);
	free(d);

	/* An unbuffered rendezvous across transports. */
	EXPECT_EQ(gocsp_client_make(net, "u", 0), 0);
	gocsp_client_case cs[1] = {{.name = "u", .op = GOCSP_RECV}};
	EXPECT_EQ(gocsp_client_send(sec, "u", "x", 1, GOCSP_MS(100)),
	    GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_client_select(net, cs, 1, GOCSP_MS(100)),
	    GOCSP_ETIMEDOUT);
	gocsp_client_close(net);
	gocsp_client_close(sec);
	gocsp_client_close(local);
	assert_int_equal(gt_daemon_stop(&D), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", certs);
	(void) !system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_net__tcp_and_tls_share_channels),
	};
	return GT_RUN_CASES(tests);
}
