# pipelines/width.mk - reproducibility against width (Somepalli et al.,
# CVPR 2022, Sec. 4: runs of one architecture agree, "especially in the
# case of wide architectures"): for each architecture and width, several
# seeds; their seed-to-seed agreement on test planes with its 95%
# interval, against width, a line per architecture.
#
#   make -f pipelines/width.mk [-j2] [OUT=out/width] [VAR=value...]
#   make -f pipelines/width.mk ARCH=resnet18 WIDTHS="2 4 8 16"
#
# ARCHS lists the architectures, WIDTHS_<arch> the widths of each (the
# --width dial: hidden units of mlp, base channels of resnet18 and cnn5,
# the widen factor of wrn, at depth 10 by default); ARCH and WIDTHS give
# one architecture's sweep.
# Each width of an architecture is a setting named ARCH-wWIDTH (its models
# are models/ARCH-wWIDTH-sSEED.dbv) and a group of dbv-compare, so the
# table's group matrix holds every setting's within-group agreement with
# its interval, and the across-width agreements beside it.
#
# Outputs under $(OUT): agreement.png (seed-to-seed agreement against
# width, a line per architecture, bars 1 std over planes), figure1.png
# (one plane, rows = seeds, columns = settings), heatmap.png, table.tsv /
# table.dbv, summary.txt (test accuracy and regions per plane of every
# model, every within- and across-setting agreement with its interval).
# The rules are study.mk's; common.mk says how reruns work.

OUT      ?= out/width
NTRAIN   ?= 10000
EPOCHS   ?= 4
SEEDS    ?= 0 1 2
ARCHS    ?= mlp resnet18 wrn
TRIPLETS ?= 50
RES      ?= 40
PIC_RES  ?= 120
STUDY    ?= width study
TRAIN_OPTS ?=

WIDTHS_mlp      ?= 16 64 256 1024
WIDTHS_cnn5     ?= 2 4 8 16
WIDTHS_resnet18 ?= 1 2 4 8
WIDTHS_vgg11    ?= 2 4 8 16
WIDTHS_wrn      ?= 1 2 4
OPT_mlp        ?= --optim adam --lr 0.001 --schedule cosine
OPT_cnn5       ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_resnet18   ?= --lr 0.05 --momentum 0.9 --schedule cosine
OPT_vgg11      ?= --lr 0.05 --momentum 0.9 --schedule cosine
# WRN-10-k: one block a group, so that k up to 4 trains in minutes here.
OPT_wrn        ?= --depth 10 --lr 0.05 --momentum 0.9 --schedule cosine

ifdef ARCH
override ARCHS := $(ARCH)
ifdef WIDTHS
WIDTHS_$(ARCH) := $(WIDTHS)
endif
endif
# The settings: ARCH-wWIDTH, with their architecture and width.
WIDTH_ARCHS := $(ARCHS)
override ARCHS := $(foreach a,$(WIDTH_ARCHS),$(foreach w,$(WIDTHS_$(a)),$(a)-w$(w)))
$(foreach a,$(WIDTH_ARCHS),$(foreach w,$(WIDTHS_$(a)),$(eval ARCH_$(a)-w$(w) := $(a))$(eval \
	WIDTH_$(a)-w$(w) := $(w))))
ifeq ($(strip $(ARCHS)),)
$(error no widths: set WIDTHS_<arch> for each of ARCHS ($(WIDTH_ARCHS)), or ARCH and WIDTHS)
endif

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk
include $(dir $(lastword $(MAKEFILE_LIST)))study.mk

all: $(OUT)/agreement.png

$(call command,agreement.png,dbv-chart --chart line --x width --y agreement --by arch --logx \
	--title "seed-to-seed agreement against width" -o $(OUT)/agreement.png $(OUT)/table.dbv)
$(OUT)/agreement.png: $(OUT)/table.dbv $(CMDS)/agreement.png
	$(run)
