# pipelines/double-descent.mk - the width x label-noise sweep of the paper's
# double-descent study (Somepalli et al., CVPR 2022, Sec. 5), scaled to a
# CPU: test error, fragmentation and seed-to-seed reproducibility of the
# decision regions against model width, one line per noise rate.
#
#   make -f pipelines/double-descent.mk [-j2] [OUT=out/dd] [VAR=value...]
#
# Default: one-hidden-layer MLPs (the classic double-descent model) of
# widths 1..256 on 1,000 Fashion-MNIST images with 0% and 20% label noise
# (exactly 20% of each class, one fixed noise seed for every width and
# seed), Adam, trained far past interpolation; init seeds 1 and 25 as the
# paper.  The paper's setting is the pre-activation ResNet-18 of widths
# k..8k on CIFAR-10 for 4,000 epochs: ARCH=resnet18 WIDTHS="1 2 4 ... 64"
# DATA=cifar10 NTRAIN=50000 EPOCHS=4000 (weeks on a CPU).
#
# Outputs under $(OUT): error.png, fragmentation.png, agreement.png (line
# charts), pictures.png (one plane through a mislabeled training point,
# rows = noise, columns = widths), table-test.tsv and table-planes.tsv,
# and summary.txt (printed at the end: test error, regions per plane and
# seed-to-seed agreement against width, one table per noise rate).  Every
# rule runs the command recorded for its target, so a rerun redoes exactly
# what a deleted file or a changed variable touches (common.mk).

OUT       ?= out/dd
ARCH      ?= mlp
DEPTH     ?= 1
WIDTHS    ?= 1 2 4 8 12 16 24 32 64 128 256
PIC_WIDTHS ?= 2 12 256
NOISES    ?= 0 0.2
NOISE_SEED ?= 1
SEEDS     ?= 1 25
NTRAIN    ?= 1000
NTEST     ?= 10000
EPOCHS    ?= 400
OPT       ?= --optim adam --lr 0.001 --batch 128
TRIPLETS  ?= 50
RES       ?= 50
PIC_RES   ?= 150
PLANE_SEED ?= 1
PIC_SEED  ?= 3
# BIN, DATA (fashion-mnist), THREADS (2), PIC_RANGE (0.5) and the
# data-order seeds (DATA_SEED_OFFSET 1000: init seed S draws its batches
# with seed S + 1000) are common.mk's defaults.
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

MODELS := $(foreach n,$(NOISES),$(foreach w,$(WIDTHS),$(foreach s,$(SEEDS),w$(w)-n$(n)-s$(s))))
MODEL_FILES := $(MODELS:%=$(OUT)/models/%.dbv)
TRAINS := $(NOISES:%=$(D)/train-n%.dbv)
TESTS  := $(MODELS:%=$(OUT)/pred/%-test.dbv)
PLANES := $(MODELS:%=$(OUT)/pred/%-planes.dbv)
# Rows = noise rates, columns = widths, of the first seed.
PIC_MODELS := $(foreach n,$(NOISES),$(foreach w,$(PIC_WIDTHS),w$(w)-n$(n)-s$(firstword $(SEEDS))))
PICS   := $(PIC_MODELS:%=$(OUT)/pred/%-picture.dbv)
CHARTS := $(OUT)/error.png $(OUT)/fragmentation.png $(OUT)/agreement.png $(OUT)/pictures.png
# model name parts: w<W>-n<N>-s<S>
part = $(patsubst $(2)%,%,$(filter $(2)%,$(subst -, ,$(1))))

all: $(OUT)/summary.txt $(CHARTS)
	@cat $(OUT)/summary.txt

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
$(call chart,fragmentation.png,table-planes.dbv,fragmentation,regions per plane against width)
$(call chart,agreement.png,table-planes.dbv,agreement,seed-to-seed agreement against width)

$(OUT)/error.png: $(OUT)/table-test.dbv $(CMDS)/error.png
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

# Test error, regions per plane and seed-to-seed agreement against width,
# one table per noise rate (summary.sh double-descent).
$(call command,summary.txt,summary.sh double-descent \
	"dbv double descent: $(ARCH) (depth $(DEPTH)) on $(DATA)$(comma) $(NTRAIN) training images$(comma) $(EPOCHS) epochs$(comma) seeds $(SEEDS)" \
	"pictures: $(CHARTS); numbers: $(OUT)/table-test.tsv $(OUT)/table-planes.tsv" \
	$(OUT)/table-test.tsv $(OUT)/table-planes.tsv)
$(OUT)/summary.txt: $(OUT)/table-test.tsv $(OUT)/table-planes.tsv $(CMDS)/summary.txt
	$(run_script) >$@.tmp && mv $@.tmp $@
