# pipelines/repro.mk - the paper's architecture study (Somepalli et al.,
# CVPR 2022, Fig. 1 and the reproducibility matrix), scaled to a CPU.
#
#   make -f pipelines/repro.mk [-j2] [OUT=out/repro] [VAR=value...]
#
# Every knob is a make variable.  The defaults (Fashion-MNIST, 20,000
# training images, 6 epochs, 3 seeds of mlp, cnn5, resnet18 and vgg11, 100
# test planes of 50x50 points, range 0.1: the paper's scoring setting) run
# in under an hour on 2 cores: 13 min 16 s measured from nothing, without
# -j, on an AVX-512 CPU (dbv's own convolution kernels; 22 min 39 s
# before them; doc/results.md).  The paper's own setting on CIFAR-10:
#
#   make -f pipelines/repro.mk DATA=cifar10 NTRAIN=50000 EPOCHS=100 \
#     TRIPLETS=500 ARCHS="resnet18 vgg11" WIDTH_resnet18=64 WIDTH_vgg11=64 \
#     TRAIN_OPTS="--wd 5e-4 --augment crop:4,flip --schedule step --milestones 37,62,87"
#
# The paper's line-up adds the ViT and the MLP-Mixer (patch 4), left out
# of the default ARCHS for their cost on 2 cores: at 120-190 images/s
# (bench/train.sh, on a busy machine) three seeds of 20,000 images x 6
# epochs take 30 to 50 minutes of training each:
#
#   make -f pipelines/repro.mk ARCHS="mlp cnn5 resnet18 vgg11 vit mixer"
#
# Outputs under $(OUT): figure1.png (rows = seeds, columns = architectures,
# one plane at range 0.5), heatmap.png (group x group agreement),
# table.tsv / table.dbv (pairs, groups with 95% intervals, IoU,
# fragmentation), summary.txt (as demo.mk's).

OUT      ?= out/repro
NTRAIN   ?= 20000
EPOCHS   ?= 6
SEEDS    ?= 0 1 2
ARCHS    ?= mlp cnn5 resnet18 vgg11
TRIPLETS ?= 100
RES      ?= 50
PIC_RES  ?= 200
STUDY    ?= architecture study
TRAIN_OPTS ?= --batch 128

WIDTH_mlp      ?= 512
WIDTH_cnn5     ?= 16
WIDTH_resnet18 ?= 8
WIDTH_vgg11    ?= 16
WIDTH_vit      ?= 128
WIDTH_mixer    ?= 128
OPT_mlp        ?= --optim adam --lr 0.001
OPT_fcnet      ?= --optim adam --lr 0.001
OPT_cnn5       ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_resnet18   ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_vgg11      ?= --lr 0.05 --momentum 0.9 --schedule cosine
# The token models, as dbv-train(1)'s CPU setting (patch 4: 49 tokens on 28x28).
OPT_vit        ?= --optim adam --lr 0.001 --schedule cosine --depth 4 --patch 4 --heads 4 --dim-head 32 --mlp-dim 256
OPT_mixer      ?= --optim adam --lr 0.001 --schedule cosine --depth 4 --patch 4

# BIN, DATA, THREADS, PIC_RANGE, DATA_SEED_OFFSET, DATA_SEED, PLANE_SEED,
# PIC_SEED and WIDTH_fcnet: common.mk's and study.mk's defaults, as in
# demo.mk.
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk
include $(dir $(lastword $(MAKEFILE_LIST)))study.mk
