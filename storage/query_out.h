/*
 * query_out.h - output formats of `mdrprobe query` (internal to the CLI
 * and the tests).
 *
 * table: one aligned line per flow (start, duration, protocol, client ->
 *        server, application, packets, bytes, name and sids), or per
 *        group for aggregations;
 * json:  one EVE flow event per line, exactly mdr_eve_flow() (the same
 *        fields as the flow events of eve.json); groups as
 *        {"<field>": value, "flows": n, "bytes": n, "packets": n};
 * csv:   RFC 4180 with a header line.
 */
#ifndef MDR_QUERY_OUT_H
#define MDR_QUERY_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"

enum mdr_qout_format { MDR_QOUT_TABLE = 0, MDR_QOUT_JSON, MDR_QOUT_CSV };

struct mdr_qout {
	FILE *fp;
	enum mdr_qout_format fmt;
	const char *group;          /* aggregation field name, NULL for records */
	uint64_t rows;
	bool header_done;
	int err;                    /* write error (errno): output stopped */
};

/* mdr_query_cb writing one row to o->fp; stops the query on write errors. */
int mdr_qout_row(void *o, const struct mdr_query_row *row);

#endif
