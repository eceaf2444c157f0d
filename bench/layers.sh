#!/bin/sh
# bench/layers.sh - conv and linear layer GFLOP/s (lib/nn/layers.c) as a
# fraction of the sgemm rate measured in the same run, 2 BLAS threads, on
# the core dbv chooses: 3x3 convolutions of stride 1 and 2 and 1x1 of
# stride 2, each pass as dbv runs it (direct kernels) and as im2col +
# sgemm, and dwt alone; linear layers; the token models' products.  About
# 40 s (each measurement alternates with the sgemm it is compared with).
#
#   BENCHBIN=build/obj/bench sh bench/layers.sh      (make bench sets it)
#   LAYERS_SECONDS=1   minimum time per measurement
set -eu
b=${BENCHBIN:?BENCHBIN must name the bench build directory}/layers
"$b" "${LAYERS_SECONDS:-1}" 2
