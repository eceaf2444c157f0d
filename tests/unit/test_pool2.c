/*
 * test_pool2.c - the 2x2 average pool (lib/nn/pool2.c) against its naive
 * references, on even and odd maps, with 1 and 2 threads: forward, the
 * adding backward and the _set form (which must write every element,
 * the dropped odd row and column included); and the reference backward
 * against central differences of the reference forward.
 */
#include <string.h>

#include "check.h"
#include "nn/nn_internal.h"

static void fill(struct dbv_rng *r, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (float)dbv_rng_normal(r);
}

static void test_against_ref(void)
{
	static const int shapes[][3] = {	/* planes, h, w */
		{ 1, 2, 2 }, { 3, 4, 6 }, { 5, 7, 7 }, { 2, 3, 8 }, { 4, 9, 5 },
		{ 96, 14, 14 }, { 64, 33, 31 },
	};
	struct dbv_rng r;

	dbv_rng_seed(&r, 15);
	for (int th = 1; th <= 2; th++) {
		dbv_threads_set(th);
		for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
			const size_t pl = (size_t)shapes[k][0];
			const int h = shapes[k][1], w = shapes[k][2];
			const size_t nx = pl * h * w, ny = pl * (h / 2) * (w / 2);
			float *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
			float *y = malloc(ny * sizeof *y), *yr = malloc(ny * sizeof *yr);
			float *dx = malloc(nx * sizeof *dx), *dxr = malloc(nx * sizeof *dxr);
			float *dxs = malloc(nx * sizeof *dxs);
			size_t bad = 0;

			fill(&r, x, nx);
			fill(&r, dy, ny);
			dbv_avgpool2_forward(pl, h, w, x, y);
			dbv_avgpool2_forward_ref(pl, h, w, x, yr);
			for (size_t i = 0; i < ny; i++)
				bad += fabsf(y[i] - yr[i]) > 1e-6f * (1 + fabsf(yr[i]));
			/* the adding form onto a non-zero dx */
			fill(&r, dx, nx);
			memcpy(dxr, dx, nx * sizeof *dx);
			dbv_avgpool2_backward(pl, h, w, dy, dx);
			dbv_avgpool2_backward_ref(pl, h, w, dy, dxr);
			for (size_t i = 0; i < nx; i++)
				bad += fabsf(dx[i] - dxr[i]) > 1e-6f * (1 + fabsf(dxr[i]));
			/* set: garbage (NaN) before, the reference onto 0 after */
			for (size_t i = 0; i < nx; i++)
				dxs[i] = NAN;
			memset(dxr, 0, nx * sizeof *dxr);
			dbv_avgpool2_backward_set(pl, h, w, dy, dxs);
			dbv_avgpool2_backward_ref(pl, h, w, dy, dxr);
			for (size_t i = 0; i < nx; i++)
				bad += !(dxs[i] == dxr[i]);
			if (bad)
				fprintf(stderr, "avgpool2 %zux%dx%d, %d threads: %zu values differ\n",
					pl, h, w, th, bad);
			CHECK(bad == 0);
			free(x), free(dy), free(y), free(yr), free(dx), free(dxr);
			free(dxs);
		}
	}
	dbv_threads_set(2);
}

/* d/dx of sum(dy * pool(x)) by central differences of the reference
 * forward (linear: exact up to rounding) against the reference backward. */
static void test_ref_gradient(void)
{
	const int h = 5, w = 6, pl = 2, nx = pl * h * w, ny = pl * 2 * 3;
	float x[60], dy[12], y[12], dx[60] = { 0 };
	struct dbv_rng r;
	double worst = 0;

	dbv_rng_seed(&r, 3);
	fill(&r, x, nx);
	fill(&r, dy, ny);
	dbv_avgpool2_backward_ref(pl, h, w, dy, dx);
	for (int i = 0; i < nx; i++) {
		const float keep = x[i], eps = 0.5f;
		double lp = 0, lm = 0;

		x[i] = keep + eps;
		dbv_avgpool2_forward_ref(pl, h, w, x, y);
		for (int j = 0; j < ny; j++)
			lp += (double)dy[j] * y[j];
		x[i] = keep - eps;
		dbv_avgpool2_forward_ref(pl, h, w, x, y);
		for (int j = 0; j < ny; j++)
			lm += (double)dy[j] * y[j];
		x[i] = keep;
		worst = fmax(worst, fabs((lp - lm) / (2 * eps) - dx[i]));
	}
	CHECK(worst < 1e-5);
	/* the odd last row and column get nothing */
	for (int p = 0; p < pl; p++)
		for (int j = 0; j < w; j++)
			CHECK(dx[(p * h + h - 1) * w + j] == 0);
}

int main(void)
{
	test_against_ref();
	test_ref_gradient();
	return check_done();
}
