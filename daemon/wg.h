/*
 * wg.h: WaitGroups shared by processes, by name.
 */
#ifndef GOCSPD_WG_H
#define GOCSPD_WG_H

#include <stdint.h>

#include <gocsp/gocsp.h>

/* At most max named wait groups at once (--max-waitgroups). */
void gocspd_wgs_init(uint32_t max);

/*
 * Add delta to the counter of name (a new name starts at zero).
 * @return 0 with the new counter in *count; GOCSP_EINVAL if it would go
 *         below zero (nothing changes); GOCSP_ELIMIT; GOCSP_ENOMEM.
 */
int gocspd_wg_add(const char *name, int64_t delta, int64_t *count);

/*
 * A channel closed once the counter of name is zero (a new reference,
 * for the caller to release), or NULL when it is zero now.
 */
gocsp_chan *gocspd_wg_zero(const char *name);

/* Forget every wait group (the daemon is stopping). */
void gocspd_wgs_fini(void);

#endif /* GOCSPD_WG_H */
