/*
 * test_ring.c - SPSC rings: order, capacity, wrap-around, and a two-thread
 * stress run that checks every record arrives once, intact and in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>

#include "ring/ring.h"

static void test_ring_fifo_and_full(void **state)
{
	struct mdr_ring *r = mdr_ring_create(6, sizeof(uint64_t));
	uint64_t v, out[16];

	(void)state;
	assert_non_null(r);
	assert_int_equal(mdr_ring_capacity(r), 8);
	for (v = 0; v < 8; v++)
		assert_int_equal(mdr_ring_push(r, &v), 0);
	v = 99;
	assert_int_equal(mdr_ring_push(r, &v), -ENOBUFS);
	assert_int_equal(mdr_ring_count(r), 8);
	assert_int_equal(mdr_ring_pop(r, out, 3), 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[2], 2);
	for (v = 8; v < 11; v++)
		assert_int_equal(mdr_ring_push(r, &v), 0);
	assert_int_equal(mdr_ring_pop(r, out, 16), 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i], (uint64_t)i + 3);
	assert_int_equal(mdr_ring_pop(r, out, 16), 0);
	mdr_ring_free(r);
}

static void test_bring_records_and_wrap(void **state)
{
	struct mdr_bring *r = mdr_bring_create(4096);
	uint32_t len;
	uint8_t *p;

	(void)state;
	assert_non_null(r);
	assert_int_equal(mdr_bring_max_record(r), 1024 - 8);
	assert_null(mdr_bring_reserve(r, 2000)); /* larger than a quarter */
	assert_null(mdr_bring_peek(r, &len));
	/* many variable records force the writer to wrap many times */
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t n = 1 + (i * 37) % 900;
		p = mdr_bring_reserve(r, n);
		assert_non_null(p);
		memset(p, (int)(i & 0xff), n);
		mdr_bring_commit(r);
		p = mdr_bring_peek(r, &len);
		assert_non_null(p);
		assert_int_equal(len, n);
		assert_int_equal(p[0], i & 0xff);
		assert_int_equal(p[n - 1], i & 0xff);
		mdr_bring_release(r);
	}
	/* fill until full: reserve must fail, not overwrite unreleased data */
	int k = 0;
	while ((p = mdr_bring_reserve(r, 500))) {
		memset(p, k, 500);
		mdr_bring_commit(r);
		k++;
	}
	assert_true(k >= 6 && k <= 8);
	for (int i = 0; i < k; i++) {
		p = mdr_bring_peek(r, &len);
		assert_non_null(p);
		assert_int_equal(len, 500);
		assert_int_equal(p[499], i);
	}
	assert_null(mdr_bring_peek(r, &len));
	mdr_bring_release(r);
	assert_non_null(mdr_bring_reserve(r, 1000));
	mdr_bring_free(r);
}

#define STRESS_N 2000000u

static void *producer(void *arg)
{
	struct mdr_bring *r = arg;

	for (uint32_t i = 0; i < STRESS_N; i++) {
		uint32_t n = 4 + (i % 61) * 4;
		uint32_t *p;

		while (!(p = mdr_bring_reserve(r, n)))
			;
		for (uint32_t k = 0; k < n / 4; k++)
			p[k] = i + k;
		mdr_bring_commit(r);
	}
	return NULL;
}

static void test_bring_two_threads(void **state)
{
	struct mdr_bring *r = mdr_bring_create(1 << 16);
	pthread_t t;
	uint32_t expect = 0, len;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
	while (expect < STRESS_N) {
		uint32_t *p = mdr_bring_peek(r, &len);

		if (!p)
			continue;
		assert_int_equal(len, 4 + (expect % 61) * 4);
		for (uint32_t k = 0; k < len / 4; k++)
			if (p[k] != expect + k)
				fail_msg("record %u word %u: %u", expect, k, p[k]);
		expect++;
		if ((expect & 15) == 0)
			mdr_bring_release(r);
	}
	mdr_bring_release(r);
	pthread_join(t, NULL);
	mdr_bring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_fifo_and_full),
		cmocka_unit_test(test_bring_records_and_wrap),
		cmocka_unit_test(test_bring_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
