# pipelines/double-descent.mk - the width x label-noise sweep of the paper's
# double-descent study (Somepalli et al., CVPR 2022, Sec. 5), scaled to a
# CPU: test and training error, fragmentation and seed-to-seed
# reproducibility of the decision regions against model width, one line
# per noise rate, and a verdict on whether they show a double descent.
#
#   make -f pipelines/double-descent.mk [-j2] [OUT=out/dd] [PRESET=P] [VAR=value...]
#
# PRESET picks the model and its training (the variables below override
# any of it):
#
#   rf (default)  random ReLU features (ARCH=rf) of widths 50..8000 on
#         1,000 Fashion-MNIST images, 0% and 20% label noise, the last
#         layer fitted by minimum-norm least squares on one-hot targets
#         (--loss mse --optim lstsq: the limit of gradient descent from
#         zero), feature seeds 1 and 25.  The test error peaks sharply
#         where the features number the training images (Belkin et al.);
#         doc/results.md has the numbers and times (about 10 minutes on
#         2 cores).
#   mlp   one-hidden-layer MLPs of widths 1..256 on 1,000 images, Adam,
#         cross-entropy, 400 epochs (the old default: no peak, see
#         doc/results.md).
#   paper the paper's setting: pre-activation ResNet-18 of widths k..8k,
#         k = 1..64, CIFAR-10 (50,000 images), Adam 1e-4, 4,000 epochs,
#         batch 128, crop + flip.
#   nakkiran-cnn  the same with Nakkiran et al.'s 5-layer CNN (cnn5).
#
# The two large presets print their cost first (`cost`: dbv-train
# --estimate once per width, from measured throughput, times the noise
# rates and seeds) and stop there; RUN=1 runs them.  `make ... cost`
# prints the cost of the trainings of any setting.
#
# Outputs under $(OUT): error.png and train-error.png (test error and the
# training error against the noisy labels against width), fragmentation.png,
# agreement.png (line charts), pictures.png (one plane through a
# mislabeled training point, rows = noise, columns = widths),
# table-test.tsv, table-train.tsv and table-planes.tsv, summary.txt (test
# and training error, regions per plane and seed-to-seed agreement against
# width, one table per noise rate) and criteria.txt (summary.sh dd-check at
# CHECK_NOISE: which of the four signs of a double descent hold), both
# printed at the end.  The decision-boundary figures come from
# dd-boundary.mk (included at the end; `make ... boundary` makes them
# alone): fragmentation through random test triplets and through
# same-class triplets of correctly labelled training images
# (fragmentation-test.png, fragmentation-same.png), the margins of
# training points (margin.png, margin-mislabeled.png) and class skips
# (skips.png) against width, table-margins.tsv, table-planes-test.tsv and
# table-planes-same.tsv; its header lists its settings (MARGIN_POINTS,
# SKIP_PAIRS, SAME_TRIPLETS, ...).  Every rule runs the command recorded
# for its target, so a rerun redoes exactly what a deleted file or a
# changed variable touches (common.mk).

OUT       ?= out/dd
PRESET    ?= rf
ifeq ($(PRESET),rf)
ARCH      ?= rf
WIDTHS    ?= 50 100 200 400 600 800 1000 1250 1600 2000 4000 8000
PIC_WIDTHS ?= 100 1000 8000
NTRAIN    ?= 1000
EPOCHS    ?= 1
OPT       ?= --loss mse --optim lstsq
else ifeq ($(PRESET),mlp)
ARCH      ?= mlp
WIDTHS    ?= 1 2 4 8 12 16 24 32 64 128 256
PIC_WIDTHS ?= 2 12 256
NTRAIN    ?= 1000
EPOCHS    ?= 400
OPT       ?= --optim adam --lr 0.001 --batch 128
else ifeq ($(PRESET),paper)
ARCH      ?= resnet18
DATA      ?= cifar10
WIDTHS    ?= 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 30 40 50 60 64
PIC_WIDTHS ?= 1 4 7 10 20 64
NTRAIN    ?= 50000
EPOCHS    ?= 4000
OPT       ?= --optim adam --lr 0.0001 --batch 128 --augment crop:4,flip
BIG       := 1
else ifeq ($(PRESET),nakkiran-cnn)
ARCH      ?= cnn5
DATA      ?= cifar10
WIDTHS    ?= 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 30 40 50 60 64
PIC_WIDTHS ?= 1 4 7 10 20 64
NTRAIN    ?= 50000
EPOCHS    ?= 4000
OPT       ?= --optim adam --lr 0.0001 --batch 128
BIG       := 1
else
$(error PRESET=$(PRESET): rf, mlp, paper or nakkiran-cnn)
endif
DEPTH     ?= 1
NOISES    ?= 0 0.2
NOISE_SEED ?= 1
SEEDS     ?= 1 25
NTEST     ?= 10000
TRIPLETS  ?= 50
RES       ?= 50
PIC_RES   ?= 150
PLANE_SEED ?= 1
PIC_SEED  ?= 3
CHECK_NOISE ?= $(lastword $(NOISES))
RUN       ?=
# BIN, DATA (fashion-mnist), THREADS (2), PIC_RANGE (0.5) and the
# data-order seeds (DATA_SEED_OFFSET 1000: init seed S draws its batches
# with seed S + 1000) are common.mk's defaults.
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

MODELS := $(foreach n,$(NOISES),$(foreach w,$(WIDTHS),$(foreach s,$(SEEDS),w$(w)-n$(n)-s$(s))))
MODEL_FILES := $(MODELS:%=$(OUT)/models/%.dbv)
TRAINS := $(NOISES:%=$(D)/train-n%.dbv)
TESTS  := $(MODELS:%=$(OUT)/pred/%-test.dbv)
TRAINP := $(MODELS:%=$(OUT)/pred/%-train.dbv)
PLANES := $(MODELS:%=$(OUT)/pred/%-planes.dbv)
# Rows = noise rates, columns = widths, of the first seed.
PIC_MODELS := $(foreach n,$(NOISES),$(foreach w,$(PIC_WIDTHS),w$(w)-n$(n)-s$(firstword $(SEEDS))))
PICS   := $(PIC_MODELS:%=$(OUT)/pred/%-picture.dbv)
CHARTS := $(OUT)/error.png $(OUT)/train-error.png $(OUT)/fragmentation.png \
	$(OUT)/agreement.png $(OUT)/pictures.png
# model name parts: w<W>-n<N>-s<S>
part = $(patsubst $(2)%,%,$(filter $(2)%,$(subst -, ,$(1))))

ifeq ($(BIG)$(RUN),1)
# A large preset without RUN=1: its cost, and nothing else.
all: cost
	@echo "double-descent.mk: PRESET=$(PRESET) would train $(words $(MODELS)) models;" \
		"the cost is above: add RUN=1 to run it"
else
all: $(OUT)/summary.txt $(OUT)/criteria.txt $(CHARTS)
	@cat $(OUT)/summary.txt
	@echo
	@cat $(OUT)/criteria.txt
endif

# The cost of the sweep's trainings from measured throughput
# (dd-estimate.sh: one dbv-train --estimate per width, on the first
# training stream).
.PHONY: cost
cost: $(firstword $(TRAINS))
	@BIN=$(call shq,$(BIN)) sh $(P)dd-estimate.sh "$(WIDTHS)" $(words $(NOISES)) \
		$(words $(SEEDS)) $(firstword $(TRAINS)) dbv-train --arch $(ARCH) \
		--depth $(DEPTH) $(OPT) --epochs $(EPOCHS) --threads $(THREADS)

# The same images for every noise rate; only the labels differ.
$(foreach n,$(NOISES),$(call command,data/train-n$(n).dbv,$(load_train) \
	$(if $(filter 0 0.0,$(n)),,--label-noise $(n) --noise-seed $(NOISE_SEED)) -o $(D)/train-n$(n).dbv))
$(TRAINS): $(D)/train-n%.dbv: $(CMDS)/data/train-n%.dbv | $(D)
	$(run)

# (Test error comes from dbv-predict on the test split afterwards: a
# --test evaluation every epoch would cost more than the training.)
train = dbv-train --arch $(ARCH) --width $(call part,$(1),w) --depth $(DEPTH) $(OPT) \
	--epochs $(EPOCHS) --seed $(call part,$(1),s) --data-seed $(call data_seed,$(call part,$(1),s)) \
	--threads $(THREADS) -q -o $(OUT)/models/$(1).dbv $(D)/train-n$(call part,$(1),n).dbv
$(foreach m,$(MODELS),$(call command,models/$(m).dbv,$(call train,$(m))))
.SECONDEXPANSION:
$(MODEL_FILES): $(OUT)/models/%.dbv: $$(D)/train-n$$(call part,$$*,n).dbv $(CMDS)/models/%.dbv \
		| $(OUT)/models
	$(RUN_HEAVY)$(run)

# Planes through training triplets of three distinct classes (the images
# are the same in every training stream), and one picture plane with a
# mislabeled anchor from the noisiest stream.
$(call command,planes/train.dbv,dbv-plane --triplets $(TRIPLETS) --seed $(PLANE_SEED) --res $(RES) \
	-o $(OUT)/planes/train.dbv $(D)/train-n$(firstword $(NOISES)).dbv)
$(OUT)/planes/train.dbv: $(D)/train-n$(firstword $(NOISES)).dbv $(CMDS)/planes/train.dbv \
		| $(OUT)/planes
	$(run)

$(call command,planes/picture.dbv,dbv-plane --triplets 1 --seed $(PIC_SEED) --mislabeled 1 \
	--res $(PIC_RES) --range $(PIC_RANGE) -o $(OUT)/planes/picture.dbv \
	$(D)/train-n$(lastword $(NOISES)).dbv)
$(OUT)/planes/picture.dbv: $(D)/train-n$(lastword $(NOISES)).dbv $(CMDS)/planes/picture.dbv \
		| $(OUT)/planes
	$(run)

$(foreach m,$(MODELS),$(call command,pred/$(m)-planes.dbv,$(call predict,$(m),planes,$(OUT)/planes/train.dbv)))
$(PLANES): $(OUT)/pred/%-planes.dbv: $(OUT)/models/%.dbv $(OUT)/planes/train.dbv \
		$(CMDS)/pred/%-planes.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

$(foreach m,$(MODELS),$(call command,pred/$(m)-test.dbv,$(call predict,$(m),test,$(D)/test.dbv)))
$(TESTS): $(OUT)/pred/%-test.dbv: $(OUT)/models/%.dbv $(D)/test.dbv $(CMDS)/pred/%-test.dbv \
		| $(OUT)/pred
	$(RUN_HEAVY)$(run)

$(foreach m,$(PIC_MODELS),$(call command,pred/$(m)-picture.dbv,$(call predict,$(m),picture,$(OUT)/planes/picture.dbv)))
$(PICS): $(OUT)/pred/%-picture.dbv: $(OUT)/models/%.dbv $(OUT)/planes/picture.dbv \
		$(CMDS)/pred/%-picture.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

# Each model over its own training images: training error against the
# labels it saw.
$(foreach m,$(MODELS),$(call command,pred/$(m)-train.dbv,$(call predict,$(m),train,$(D)/train-n$(call part,$(m),n).dbv)))
$(TRAINP): $(OUT)/pred/%-train.dbv: $(OUT)/models/%.dbv $$(D)/train-n$$(call part,$$*,n).dbv \
		$(CMDS)/pred/%-train.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

$(call command,table-train.dbv,dbv-compare -o $(OUT)/table-train.dbv $(TRAINP))
$(OUT)/table-train.dbv: $(TRAINP) $(CMDS)/table-train.dbv
	$(run)

$(call command,table-train.tsv,dbv-compare --tsv -o $(OUT)/table-train.tsv $(TRAINP))
$(OUT)/table-train.tsv: $(TRAINP) $(CMDS)/table-train.tsv
	$(run)

$(call command,table-test.dbv,dbv-compare -o $(OUT)/table-test.dbv $(TESTS))
$(OUT)/table-test.dbv: $(TESTS) $(CMDS)/table-test.dbv
	$(run)

$(call command,table-test.tsv,dbv-compare --tsv -o $(OUT)/table-test.tsv $(TESTS))
$(OUT)/table-test.tsv: $(TESTS) $(CMDS)/table-test.tsv
	$(run)

$(call command,table-planes.dbv,dbv-compare --fragmentation -o $(OUT)/table-planes.dbv $(PLANES))
$(OUT)/table-planes.dbv: $(PLANES) $(CMDS)/table-planes.dbv
	$(run)

$(call command,table-planes.tsv,dbv-compare --fragmentation --tsv -o $(OUT)/table-planes.tsv $(PLANES))
$(OUT)/table-planes.tsv: $(PLANES) $(CMDS)/table-planes.tsv
	$(run)

# $(call chart,FILE,TABLE,FIGURE,TITLE): FIGURE against width, a line per
# noise rate.
chart = $(call command,$(1),dbv-render --chart line --x width --y $(3) --by label_noise --logx \
	--title "$(4)" -o $(OUT)/$(1) $(OUT)/$(2))
$(call chart,error.png,table-test.dbv,error,test error against width)
$(call chart,train-error.png,table-train.dbv,error_y,training error (noisy labels) against width)
$(call chart,fragmentation.png,table-planes.dbv,fragmentation,regions per plane against width)
$(call chart,agreement.png,table-planes.dbv,agreement,seed-to-seed agreement against width)

$(OUT)/error.png: $(OUT)/table-test.dbv $(CMDS)/error.png
	$(run)

$(OUT)/train-error.png: $(OUT)/table-train.dbv $(CMDS)/train-error.png
	$(run)

$(OUT)/fragmentation.png: $(OUT)/table-planes.dbv $(CMDS)/fragmentation.png
	$(run)

$(OUT)/agreement.png: $(OUT)/table-planes.dbv $(CMDS)/agreement.png
	$(run)

$(call command,pictures.png,dbv-render --montage --cols $(words $(PIC_WIDTHS)) \
	--row-labels "$(call labels,$(foreach n,$(NOISES),noise|$(n)))" \
	--col-labels "$(call labels,$(foreach w,$(PIC_WIDTHS),width|$(w)))" \
	-o $(OUT)/pictures.png $(PICS))
$(OUT)/pictures.png: $(PICS) $(CMDS)/pictures.png
	$(run)

# Test and training error, regions per plane and seed-to-seed agreement
# against width, one table per noise rate (summary.sh double-descent);
# the verdict at CHECK_NOISE (summary.sh dd-check).
TABLES := $(OUT)/table-test.tsv $(OUT)/table-train.tsv $(OUT)/table-planes.tsv
$(call command,summary.txt,summary.sh double-descent \
	"dbv double descent: $(ARCH) (depth $(DEPTH)) on $(DATA)$(comma) $(NTRAIN) training images$(comma) $(OPT)$(comma) $(EPOCHS) epochs$(comma) seeds $(SEEDS)" \
	"pictures: $(CHARTS); numbers: $(TABLES)" $(TABLES))
$(OUT)/summary.txt: $(TABLES) $(CMDS)/summary.txt
	$(run_script) >$@.tmp && mv $@.tmp $@

$(call command,criteria.txt,summary.sh dd-check $(CHECK_NOISE) - $(TABLES))
$(OUT)/criteria.txt: $(TABLES) $(CMDS)/criteria.txt
	$(run_script) >$@.tmp && mv $@.tmp $@

include $(P)dd-boundary.mk
