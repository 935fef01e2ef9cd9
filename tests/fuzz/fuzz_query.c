/*
 * fuzz_query.c - libFuzzer target for the query language parser.
 *
 * Any input is parsed (relative times against a fixed clock); a query
 * that parses is printed by the planner (mdr_query_explain without a
 * store), one that does not must come with a message naming a column
 * inside the input. ASan/UBSan catch the rest.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz
 *   ./build-fuzz/tests/fuzz/fuzz_query -max_len=512 corpus_dir/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

#define NOW_NS (1715558400ull * 1000000000ull)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], err[256], plan[8192];
	struct mdr_query *q = NULL;
	int col;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (mdr_query_parse_at(text, NOW_NS, &q, err, sizeof(err)) == 0) {
		if (mdr_query_explain(NULL, q, plan, sizeof(plan)) < 0)
			abort();
		mdr_query_free(q);
		return 0;
	}
	if (q || !err[0])
		abort();
	/* every syntax error names a column within the text (or just past it) */
	if (sscanf(err, "column %d:", &col) == 1 && (col < 1 || (size_t)col > strlen(text) + 1))
		abort();
	return 0;
}
