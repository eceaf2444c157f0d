# pipelines/repro.mk - the paper's architecture study (Somepalli et al.,
# CVPR 2022, Fig. 1 and the reproducibility matrix): its seven
# architectures, three seeds each, scaled to a CPU.
#
#   make -f pipelines/repro.mk [-j2] [OUT=out/repro] [VAR=value...]
#
# Every knob is a make variable.  The defaults: Fashion-MNIST, the
# paper's line-up in its order, FCNet, MLP-Mixer, ViT, VGG-19,
# DenseNet-121's layout, pre-activation ResNet-18 and WideResNet, at
# widths and epochs scaled so that the whole study runs in about an hour
# on 2 cores from nothing (doc/results.md has the time and the numbers),
# 3 seeds each, 50 test planes of 40x40 points, range 0.1 (the paper's
# scoring setting), and the picture plane at range 0.5.  Per architecture:
# WIDTH_<arch>, OPT_<arch> (optimiser and architecture options) and
# EPOCHS_<arch> (default EPOCHS).
#
# DATA=cifar10 is the paper's own setting (PAPER.md): 50,000 images, 100
# epochs of SGD (lr 0.1, momentum 0.9, weight decay 5e-4, steps at 37,
# 62, 87, crop + flip), 500 planes of 50x50, the paper's widths (VGG-19
# and ResNet-18 64, DenseNet-121 growth 32, WRN-28-10, ViT and Mixer 512
# with their depths, heads and patch 4) and its picture through test
# images 30, 72, 42.  It first prints its cost from measured throughput
# (make estimate: dbv-train --estimate and dbv-predict --estimate) and
# stops there; RUN=1 runs it (days on a CPU: see SLURM=1 in dbv(7)).
#
# Outputs under $(OUT): figure1.png (rows = seeds, columns =
# architectures, one plane), heatmap.png (the 7x7 group matrix of
# agreement), table.tsv / table.dbv (pairs, groups with 95% intervals,
# IoU, fragmentation), summary.txt (per model its test accuracy and
# regions per plane, every group agreement with its 95% interval, and
# within > across where the intervals show it).

OUT      ?= out/repro
SEEDS    ?= 0 1 2
ARCHS    ?= fcnet mixer vit vgg densenet resnet18 wrn
PIC_RES  ?= 200
STUDY    ?= architecture study

ifeq ($(DATA),cifar10)
# The paper's setting.
NTRAIN   ?= 50000
EPOCHS   ?= 100
TRIPLETS ?= 500
RES      ?= 50
PIC_IDS  ?= 30,72,42
TRAIN_OPTS ?= --batch 128 --lr 0.1 --momentum 0.9 --wd 5e-4 --schedule step \
	--milestones 37,62,87 --augment crop:4,flip
WIDTH_fcnet    ?= 1
WIDTH_mixer    ?= 512
WIDTH_vit      ?= 512
WIDTH_vgg      ?= 64
WIDTH_densenet ?= 32
WIDTH_resnet18 ?= 64
WIDTH_wrn      ?= 10
OPT_mixer      ?= --depth 12 --patch 4
OPT_vit        ?= --depth 6 --patch 4 --heads 8 --dim-head 64 --mlp-dim 512
OPT_vgg        ?= --depth 19
OPT_wrn        ?= --depth 28
BIG      := 1
else
NTRAIN   ?= 10000
EPOCHS   ?= 4
TRIPLETS ?= 50
RES      ?= 40
TRAIN_OPTS ?= --batch 128
WIDTH_mlp      ?= 512
WIDTH_fcnet    ?= 1
WIDTH_cnn5     ?= 16
WIDTH_mixer    ?= 64
WIDTH_vit      ?= 64
WIDTH_vgg      ?= 8
WIDTH_vgg11    ?= 16
WIDTH_densenet ?= 4
WIDTH_resnet18 ?= 8
WIDTH_wrn      ?= 2
OPT_mlp        ?= --optim adam --lr 0.001
OPT_fcnet      ?= --optim adam --lr 0.001
OPT_cnn5       ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_mixer      ?= --optim adam --lr 0.001 --schedule cosine --depth 4 --patch 4
OPT_vit        ?= --optim adam --lr 0.001 --schedule cosine --depth 4 --patch 4 --heads 4 \
	--dim-head 16 --mlp-dim 128
OPT_vgg        ?= --depth 19 --lr 0.05 --momentum 0.9 --schedule cosine
OPT_vgg11      ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_densenet   ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_resnet18   ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_wrn        ?= --depth 10 --lr 0.05 --momentum 0.9 --schedule cosine
endif

# BIN, DATA, THREADS, PIC_RANGE, DATA_SEED_OFFSET, DATA_SEED, PLANE_SEED,
# PIC_SEED and PIC_IDS: common.mk's and study.mk's defaults, as in
# demo.mk.
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk
include $(dir $(lastword $(MAKEFILE_LIST)))study.mk
