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
# rows = noise, columns = widths), table-test.tsv and table-planes.tsv.

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
# BIN (bin), DATA (fashion-mnist), THREADS (2) and PIC_RANGE (0.5) are
# common.mk's defaults.
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

MODELS := $(foreach n,$(NOISES),$(foreach w,$(WIDTHS),$(foreach s,$(SEEDS),w$(w)-n$(n)-s$(s))))
# model name parts: w<W>-n<N>-s<S>
part = $(patsubst $(2)%,%,$(filter $(2)%,$(subst -, ,$(1))))

all: $(OUT)/error.png $(OUT)/fragmentation.png $(OUT)/agreement.png $(OUT)/pictures.png
	@echo "double descent: $(OUT)/error.png $(OUT)/fragmentation.png $(OUT)/agreement.png $(OUT)/pictures.png"
	@sed -n '/^# accuracy/,/^$$/p' $(OUT)/table-test.tsv | head -3

# The same images for every noise rate; only the labels differ.
$(D)/train-n%.dbv: | $(OUT)/.dirs
	$(load_train) $(if $(filter 0 0.0,$*),,--label-noise $* --noise-seed $(NOISE_SEED)) -o $@

.SECONDEXPANSION:
# (Test error comes from dbv-predict on the test split afterwards: a
# --test evaluation every epoch would cost more than the training.)
$(OUT)/models/%.dbv: $$(D)/train-n$$(call part,$$*,n).dbv
	$(BIN)/dbv-train --arch $(ARCH) --width $(call part,$*,w) --depth $(DEPTH) $(OPT) \
	  --epochs $(EPOCHS) --seed $(call part,$*,s) --data-seed $(call part,$*,s) \
	  --threads $(THREADS) -q -o $@ $<

# Planes through training triplets of three distinct classes (the images
# are the same in every training stream), and one picture plane with a
# mislabeled anchor from the noisiest stream.
$(OUT)/planes/train.dbv: $(D)/train-n$(firstword $(NOISES)).dbv
	$(BIN)/dbv-plane --triplets $(TRIPLETS) --seed 1 --res $(RES) -o $@ $<

$(OUT)/planes/picture.dbv: $(D)/train-n$(lastword $(NOISES)).dbv
	$(BIN)/dbv-plane --triplets 1 --seed 3 --mislabeled 1 --res $(PIC_RES) \
	  --range $(PIC_RANGE) -o $@ $<

$(OUT)/pred/%-planes.dbv: $(OUT)/models/%.dbv $(OUT)/planes/train.dbv
	$(predict)

$(OUT)/pred/%-test.dbv: $(OUT)/models/%.dbv $(D)/test.dbv
	$(predict)

TESTS  = $(foreach m,$(MODELS),$(OUT)/pred/$(m)-test.dbv)
PLANES = $(foreach m,$(MODELS),$(OUT)/pred/$(m)-planes.dbv)

$(OUT)/table-test.dbv: $(TESTS)
	$(BIN)/dbv-compare -o $@ $^
$(OUT)/table-test.tsv: $(TESTS)
	$(BIN)/dbv-compare --tsv -o $@ $^
$(OUT)/table-planes.dbv: $(PLANES)
	$(BIN)/dbv-compare --fragmentation -o $@ $^
$(OUT)/table-planes.tsv: $(PLANES)
	$(BIN)/dbv-compare --fragmentation --tsv -o $@ $^

$(OUT)/error.png: $(OUT)/table-test.dbv $(OUT)/table-test.tsv
	$(BIN)/dbv-render --chart line --x width --y error --by label_noise --logx \
	  --title "test error against width" -o $@ $<

$(OUT)/fragmentation.png: $(OUT)/table-planes.dbv $(OUT)/table-planes.tsv
	$(BIN)/dbv-render --chart line --x width --y fragmentation --by label_noise --logx \
	  --title "regions per plane against width" -o $@ $<

$(OUT)/agreement.png: $(OUT)/table-planes.dbv
	$(BIN)/dbv-render --chart line --x width --y agreement --by label_noise --logx \
	  --title "seed-to-seed agreement against width" -o $@ $<

PICS = $(foreach n,$(NOISES),$(foreach w,$(PIC_WIDTHS),$(OUT)/pred/w$(w)-n$(n)-s$(firstword $(SEEDS))-picture.dbv))
$(OUT)/pictures.png: $(PICS)
	$(BIN)/dbv-render --montage --cols $(words $(PIC_WIDTHS)) \
	  --row-labels "$(call labels,$(foreach n,$(NOISES),noise|$(n)))" \
	  --col-labels "$(call labels,$(foreach w,$(PIC_WIDTHS),width|$(w)))" \
	  -o $@ $^
