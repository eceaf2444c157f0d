#!/bin/sh
# bench/gemm.sh - sgemm GFLOP/s on the OpenBLAS core dbv chooses, and on
# the generic core Debian's OpenBLAS 0.3.21 falls back to on CPUs it does
# not know (Prescott), so the ratio shows.  About 15 s.
#
#   BENCHBIN=build/obj/bench sh bench/gemm.sh      (make bench sets it)
#   GEMM_SECONDS=1   minimum time per measurement
set -eu
g=${BENCHBIN:?BENCHBIN must name the bench build directory}/gemm
s=${GEMM_SECONDS:-1}

if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
	echo "# OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE from the environment"
	"$g" "$s"
fi
echo "# the core dbv chooses (OPENBLAS_CORETYPE unset)"
(unset OPENBLAS_CORETYPE; "$g" "$s")
echo "# the generic core (OPENBLAS_CORETYPE=PRESCOTT)"
OPENBLAS_CORETYPE=PRESCOTT "$g" "$s"
