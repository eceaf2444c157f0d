/*
 * pool2.c - the 2x2 average pool of stride 2 (DenseNet's transitions,
 * PyTorch's F.avg_pool2d(x, 2)), forward and backward, and its naive
 * references.
 *
 * Planes are [h, w] maps ([c, n, h, w] is c*n planes in CNHW).  The
 * output is floor(h/2) x floor(w/2): an odd last row or column is
 * dropped, as PyTorch does (ceil_mode off); its gradient is 0.  Each
 * window is summed in row-major order ((a + b) + c) + d and multiplied
 * by 1/4 (exact: dividing by 4, as PyTorch does, rounds the same).
 * Threads take ranges of planes, so the results do not depend on their
 * count.
 */
#include <string.h>

#include "nn/nn_internal.h"

struct pool2_job {
	const float *x, *dy;
	float *y, *dx;
	int h, w, set;
};

/* Planes [lo, hi) of the forward pass. */
static void avg_fwd_part(void *arg, size_t lo, size_t hi)
{
	const struct pool2_job *j = arg;
	const int h = j->h, w = j->w, oh = h / 2, ow = w / 2;

	for (size_t p = lo; p < hi; p++) {
		const float *xp = j->x + p * h * w;
		float *yp = j->y + p * oh * ow;

		for (int oy = 0; oy < oh; oy++) {
			const float *r0 = xp + (size_t)2 * oy * w, *r1 = r0 + w;
			float *yr = yp + (size_t)oy * ow;

			for (int ox = 0; ox < ow; ox++)
				yr[ox] = (((r0[2 * ox] + r0[2 * ox + 1]) +
					   r1[2 * ox]) + r1[2 * ox + 1]) * 0.25f;
		}
	}
}

void dbv_avgpool2_forward(size_t planes, int h, int w, const float *x,
			  float *y)
{
	struct pool2_job j = { .x = x, .y = y, .h = h, .w = w };

	if (h < 2 || w < 2)
		return;
	par_for(par_threads(planes * h * w, PAR_MIN), planes, 1, avg_fwd_part,
		&j);
}

/* Planes [lo, hi) of the backward pass: each input of a window gets a
 * quarter of its dy; with set, dx is written whole. */
static void avg_bwd_part(void *arg, size_t lo, size_t hi)
{
	const struct pool2_job *j = arg;
	const int h = j->h, w = j->w, oh = h / 2, ow = w / 2;

	for (size_t p = lo; p < hi; p++) {
		const float *dyp = j->dy + p * oh * ow;
		float *dxp = j->dx + p * h * w;

		if (j->set && ((h & 1) || (w & 1)))
			memset(dxp, 0, (size_t)h * w * sizeof(float));
		for (int oy = 0; oy < oh; oy++) {
			float *d0 = dxp + (size_t)2 * oy * w, *d1 = d0 + w;
			const float *dyr = dyp + (size_t)oy * ow;

			for (int ox = 0; ox < ow; ox++) {
				const float g = dyr[ox] * 0.25f;

				if (j->set) {
					d0[2 * ox] = d0[2 * ox + 1] = g;
					d1[2 * ox] = d1[2 * ox + 1] = g;
				} else {
					d0[2 * ox] += g;
					d0[2 * ox + 1] += g;
					d1[2 * ox] += g;
					d1[2 * ox + 1] += g;
				}
			}
		}
	}
}

static void avgpool2_backward(size_t planes, int h, int w, const float *dy,
			      float *dx, int set)
{
	struct pool2_job j = { .dy = dy, .dx = dx, .h = h, .w = w,
			       .set = set };

	if (h < 2 || w < 2)
		return;
	par_for(par_threads(planes * h * w, PAR_MIN), planes, 1, avg_bwd_part,
		&j);
}

void dbv_avgpool2_backward(size_t planes, int h, int w, const float *dy,
			   float *dx)
{
	avgpool2_backward(planes, h, w, dy, dx, 0);
}

void dbv_avgpool2_backward_set(size_t planes, int h, int w, const float *dy,
			       float *dx)
{
	avgpool2_backward(planes, h, w, dy, dx, 1);
}

/* The references: one output (or input) at a time, the window's sum in
 * double. */
void dbv_avgpool2_forward_ref(size_t planes, int h, int w, const float *x,
			      float *y)
{
	const int oh = h / 2, ow = w / 2;

	for (size_t p = 0; p < planes; p++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++) {
				double s = 0;

				for (int t = 0; t < 4; t++)
					s += x[(p * h + 2 * oy + t / 2) * w +
					       2 * ox + t % 2];
				y[(p * oh + oy) * ow + ox] = (float)(s / 4);
			}
}

void dbv_avgpool2_backward_ref(size_t planes, int h, int w, const float *dy,
			       float *dx)
{
	const int oh = h / 2, ow = w / 2;

	for (size_t p = 0; p < planes; p++)
		for (int iy = 0; iy < h; iy++)
			for (int ix = 0; ix < w; ix++)
				if (iy / 2 < oh && ix / 2 < ow)
					dx[(p * h + iy) * w + ix] +=
						dy[(p * oh + iy / 2) * ow + ix / 2] / 4;
}
