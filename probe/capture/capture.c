/*
 * capture.c - backend-independent capture entry points.
 */
#include "capture_int.h"

#include <stdlib.h>

void mdr_capture_close(struct mdr_capture *c)
{
	if (c) {
		c->ops->close(c);
		free(c);
	}
}

enum mdr_capture_kind mdr_capture_kind(const struct mdr_capture *c) { return c->kind; }
int mdr_capture_linktype(const struct mdr_capture *c) { return c->linktype; }
uint16_t mdr_capture_queues(const struct mdr_capture *c) { return c->queues; }
bool mdr_capture_is_replay(const struct mdr_capture *c) { return c->replay; }
const char *mdr_capture_describe(const struct mdr_capture *c) { return c->desc; }

int mdr_capture_burst(struct mdr_capture *c, uint16_t q, struct mdr_cap_pkt *p, uint16_t n)
{
	return c->ops->burst(c, q, p, n);
}

void mdr_capture_break(struct mdr_capture *c)
{
	if (c->ops->brk)
		c->ops->brk(c);
}

void mdr_capture_get_stats(struct mdr_capture *c, struct mdr_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	c->ops->stats(c, st);
}
