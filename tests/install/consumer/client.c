/*
 * A program that knows the gocsp client library only through its installed
 * header and library: every name the client part of API.md gives, at its
 * contract signature (a changed one fails the build), and the calls that
 * need no daemon: the URL rules, and GOCSP_ECONNREFUSED where no daemon
 * listens.  Prints "ok" and exits 0.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <gocsp/client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG(type, fn) ((void) (type) (fn))

static void
names(void)
{
	SIG(int (*)(gocsp_client **, const char *), gocsp_client_open);
	SIG(void (*)(gocsp_client *), gocsp_client_close);
	SIG(int (*)(gocsp_client *, const char *, uint32_t),
	    gocsp_client_make);
	SIG(int (*)(gocsp_client *, const char *, const void *, size_t,
	        int64_t),
	    gocsp_client_send);
	SIG(int (*)(gocsp_client *, const char *, void **, size_t *, int64_t),
	    gocsp_client_recv);
	SIG(int (*)(gocsp_client *, const char *), gocsp_client_chan_close);
	SIG(int (*)(gocsp_client *, const char *), gocsp_client_remove);
	SIG(int (*)(gocsp_client *, gocsp_client_case *, size_t, int64_t),
	    gocsp_client_select);
	gocsp_client_case k = {.name = "c",
	    .op = GOCSP_RECV,
	    .data = NULL,
	    .len = 0,
	    .out = NULL,
	    .out_len = 0,
	    .ok = 0};
	(void) k;
}

int
main(void)
{
	names();
	char url[256];
	setenv("GOCSP_URL", "ipc:///nonexistent/gocsp-test.sock", 1);
	if (gocsp_client_url(url, sizeof(url), NULL) != 0 ||
	    strcmp(url, "ipc:///nonexistent/gocsp-test.sock") != 0) {
		fprintf(stderr, "client: $GOCSP_URL not honoured: %s\n", url);
		return 1;
	}
	gocsp_client *cl = NULL;
	int rc = gocsp_client_open(&cl, NULL);
	if (rc != GOCSP_ECONNREFUSED || cl != NULL) {
		fprintf(stderr, "client: open with no daemon: %s\n",
		    gocsp_strerror(rc));
		return 1;
	}
	printf("ok\n");
	return 0;
}
