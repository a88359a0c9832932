/*
 * Design notes: a named WaitGroup is a counter and a channel that is
 * closed when the counter comes down to zero; waiting is receiving from
 * that channel, which a client's wait does in a select beside its
 * connection's gone channel and its timeout.  Going up from zero makes a
 * fresh channel, so a wait that started before sees the zero it waited
 * for, as with Go's WaitGroup reused after Wait returned.  A counter back
 * at zero forgets its name: a wait group costs nothing while idle.
 */
#include "wg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct wg {
	struct wg *next;
	int64_t count;
	gocsp_chan *zero; /* closed once count is 0 */
	char name[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct wg *wgs; /* under lock: those above zero */
static uint32_t count, max_count;

void
gocspd_wgs_init(uint32_t max)
{
	max_count = max;
}

static struct wg **
lookup(const char *name)
{
	struct wg **l = &wgs;
	while (*l != NULL && strcmp((*l)->name, name) != 0)
		l = &(*l)->next;
	return l;
}

int
gocspd_wg_add(const char *name, int64_t delta, int64_t *now)
{
	pthread_mutex_lock(&lock);
	struct wg **l = lookup(name), *w = *l;
	int64_t old = w != NULL ? w->count : 0;
	int rc = 0;
	if (delta < 0 && old < -delta) {
		rc = GOCSP_EINVAL;
	} else if (w == NULL && delta > 0) {
		if (count >= max_count) {
			rc = GOCSP_ELIMIT;
		} else if ((w = calloc(1, sizeof(*w) + strlen(name) + 1)) ==
		        NULL ||
		    (w->zero = gocsp_chan_make(0, 0)) == NULL) {
			free(w);
			rc = GOCSP_ENOMEM;
		} else {
			strcpy(w->name, name);
			w->count = delta;
			w->next = wgs;
			wgs = w;
			count++;
		}
	} else if (w != NULL) {
		w->count += delta;
		if (w->count == 0) {
			*l = w->next;
			count--;
			(void) gocsp_chan_close(w->zero);
			gocsp_chan_release(w->zero);
			free(w);
		}
	}
	*now = rc == 0 ? old + delta : old;
	pthread_mutex_unlock(&lock);
	return rc;
}

gocsp_chan *
gocspd_wg_zero(const char *name)
{
	pthread_mutex_lock(&lock);
	struct wg *w = *lookup(name);
	gocsp_chan *z = w != NULL ? gocsp_chan_retain(w->zero) : NULL;
	pthread_mutex_unlock(&lock);
	return z;
}

void
gocspd_wgs_fini(void)
{
	pthread_mutex_lock(&lock);
	while (wgs != NULL) {
		struct wg *w = wgs;
		wgs = w->next;
		(void) gocsp_chan_close(w->zero);
		gocsp_chan_release(w->zero);
		free(w);
	}
	count = 0;
	pthread_mutex_unlock(&lock);
}
