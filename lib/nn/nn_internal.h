/*
 * lib/nn/nn_internal.h - kernel internals shared inside lib/nn (and by its
 * unit tests); not part of the public surface.
 */
#ifndef DBV_NN_INTERNAL_H
#define DBV_NN_INTERNAL_H

#include "nn/nn.h"
#include "base/par.h"

/* cblas_sgemm with OpenBLAS single-threaded (dbv_sgemm splits large
 * products across dbv's threads and calls this on each part; the layers
 * call it from inside their own parts).  Arguments as dbv_sgemm. */
void dbv_sgemm1(int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta,
		float *c, int ldc);

#endif /* DBV_NN_INTERNAL_H */
