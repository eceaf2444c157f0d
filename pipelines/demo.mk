# pipelines/demo.mk - the main job, run by `make demo`: a small real study
# of decision-boundary reproducibility on Fashion-MNIST, in minutes on 2
# cores.
#
#   make -f pipelines/demo.mk [OUT=out/demo] [BIN=bin] [-j2] [VAR=value...]
#
# Trains two seeds of each of three architectures on a subset of the
# training split, cuts planes through triplets of test images (three
# distinct classes, seeded: every model sees the same planes), predicts a
# class at every grid point, compares the models and draws:
#
#   $(OUT)/figure1.png       one plane, rows = seeds, columns = architectures
#                            (the paper's Figure 1)
#   $(OUT)/heatmap.png       the architecture x architecture agreement matrix
#   $(OUT)/table.tsv         agreement per pair and group with 95% intervals,
#                            per-class IoU, fragmentation per model
#   $(OUT)/summary.txt       test accuracy and regions per plane of every
#                            model, every within- and across-group
#                            agreement with its 95% interval, and where
#                            the intervals show within > across (printed
#                            at the end)
#
# Rerunning redoes exactly what a deleted file or a changed variable
# touches, and nothing else ($(OUT)/.cmd/ records the command of every
# target; common.mk says how); -j2 runs independent trainings and
# predictions at once.  Hygiene: every target is written under a temporary
# name and renamed (the tools' -o does it; the text targets here do it by
# hand), .DELETE_ON_ERROR and pipefail, so a run killed at any moment and
# started again never uses a half file.

OUT      ?= out/demo
NTRAIN   ?= 10000
EPOCHS   ?= 4
SEEDS    ?= 0 1
ARCHS    ?= mlp cnn5 resnet18
TRIPLETS ?= 20
RES      ?= 40
PIC_RES  ?= 120
STUDY    ?= demo
TRAIN_OPTS ?=

# Per-architecture settings: width and optimiser.
WIDTH_mlp      ?= 256
WIDTH_cnn5     ?= 8
WIDTH_resnet18 ?= 4
WIDTH_vgg11    ?= 8
WIDTH_vit      ?= 64
WIDTH_mixer    ?= 64
OPT_mlp        ?= --optim adam --lr 0.001 --schedule cosine
OPT_fcnet      ?= --optim adam --lr 0.001 --schedule cosine
OPT_cnn5       ?= --lr 0.05 --schedule cosine
OPT_resnet18   ?= --lr 0.05 --schedule cosine
OPT_vgg11      ?= --lr 0.05 --schedule cosine
# The token models, as dbv-train(1)'s CPU setting (patch 4: 49 tokens on 28x28).
OPT_vit        ?= --optim adam --lr 0.001 --schedule cosine --depth 4 --patch 4 --heads 4 --dim-head 32 --mlp-dim 256
OPT_mixer      ?= --optim adam --lr 0.001 --schedule cosine --depth 4 --patch 4

# BIN (the tools next to these files: bin/ of the source tree, or
# PREFIX/bin when installed), DATA (fashion-mnist), THREADS (2), PIC_RANGE
# (0.5), DATA_SEED_OFFSET (1000: init seed S draws its batches with seed
# S + 1000; DATA_SEED=N: one order for all), PLANE_SEED (1), PIC_SEED (7)
# and WIDTH_fcnet (1) are common.mk's and study.mk's defaults.
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk
include $(dir $(lastword $(MAKEFILE_LIST)))study.mk
