/*
 * prometheus_sample: the Prometheus text gocspd and `gocsp stat
 * --prometheus` write (proto/prometheus.c), for made-up figures whose
 * names hold every character a label value must escape.  metrics.py
 * parses it with a real parser and checks the names come back whole.
 */
#include <stdio.h>

#include "prometheus.h"

int
main(void)
{
	Gocsp__ServerInfo s = GOCSP__SERVER_INFO__INIT;
	s.version = "0.1.0\"\\\n";
	s.clients = 2;
	s.coroutines = 7;
	Gocsp__ChanInfo c = GOCSP__CHAN_INFO__INIT, *cs[] = {&c};
	c.name = "quote\" backslash\\ newline\n end";
	c.cap = 4;
	c.sent = 3;
	Gocsp__PoolInfo p = GOCSP__POOL_INFO__INIT, *ps[] = {&p};
	p.name = "p\\\"\n";
	p.from = "in\"";
	p.to = "";
	p.state = "running";
	p.done = 5;
	struct gocsp__metrics m = {&s, cs, 1, ps, 1};
	return gocsp__prometheus_write(stdout, &m) == 0 ? 0 : 1;
}
