/*
 * capture_int.h - what the capture backends share (private to capture/).
 */
#ifndef MDR_CAPTURE_INT_H
#define MDR_CAPTURE_INT_H

#include "capture.h"

struct capture_ops {
	int (*burst)(struct mdr_capture *c, uint16_t q, struct mdr_cap_pkt *p, uint16_t n);
	void (*brk)(struct mdr_capture *c);
	void (*stats)(struct mdr_capture *c, struct mdr_capture_stats *st);
	void (*close)(struct mdr_capture *c);
};

struct mdr_capture {
	const struct capture_ops *ops;
	enum mdr_capture_kind kind;
	int linktype;
	uint16_t queues;
	bool replay;
	char desc[256];
	void *priv;
};

#endif
