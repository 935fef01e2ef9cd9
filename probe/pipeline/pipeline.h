/*
 * pipeline.h - threads of the probe: dispatcher, workers, writer.
 *
 *   capture --(dispatcher: symmetric hash)--> worker rings --> workers
 *   workers --(flow records)--> writer thread --> eve.json (and later sinks)
 *
 * Each worker owns its decoder, flow table, reassembly pool and counters:
 * nothing on the packet path is shared or locked. With a multi-queue DPDK
 * port (symmetric RSS) the workers poll their own queues and there is no
 * dispatcher. The dispatcher also sends packet-time ticks to every worker,
 * so flow timeouts happen at the same packet time whatever the worker count.
 */
#ifndef MDR_PIPELINE_H
#define MDR_PIPELINE_H

#include <stdio.h>

#include "../capture/capture.h"
#include "../config/config.h"

struct mdr_pipeline;

struct mdr_pipeline *mdr_pipeline_create(const struct mdr_config *cfg,
					 struct mdr_capture *cap,
					 char *errbuf, size_t errlen);
/* Runs until the capture ends or mdr_pipeline_stop(); flushes every flow. */
int mdr_pipeline_run(struct mdr_pipeline *p);
/* Async-signal-safe request to stop. */
void mdr_pipeline_stop(struct mdr_pipeline *p);
/* Human-readable end-of-run counters. */
void mdr_pipeline_print_summary(struct mdr_pipeline *p, FILE *out);
void mdr_pipeline_free(struct mdr_pipeline *p);

#endif
