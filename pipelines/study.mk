# pipelines/study.mk - the rules of an architecture x seed study, shared
# by demo.mk (the main job) and repro.mk (the paper's architecture study).
# Not run on its own: the including file sets OUT, NTRAIN, EPOCHS, SEEDS,
# ARCHS, TRIPLETS, RES, PIC_RES, STUDY (a name), TRAIN_OPTS (flags for
# every dbv-train) and WIDTH_<arch>, OPT_<arch> for every arch (and
# EPOCHS_<arch> where it is not EPOCHS), BIG=1 for a setting that prints
# its cost and stops without RUN=1, and
# includes common.mk (BIN, DATA, THREADS, PIC_RANGE, DATA_SEED_OFFSET,
# DATA_SEED, and the command records) before this file.  Every rule runs
# the command recorded for its target (common.mk's head comment).

# The defaults both studies share.
PLANE_SEED  ?= 1
PIC_SEED    ?= 7
# PIC_IDS=A,B,C: the picture's plane through these test images (positions
# in the test split) instead of a random triplet of seed PIC_SEED.
PIC_IDS     ?=
WIDTH_fcnet ?= 1

MODELS  := $(foreach a,$(ARCHS),$(foreach s,$(SEEDS),$(a)-s$(s)))
MODEL_FILES := $(MODELS:%=$(OUT)/models/%.dbv)
SCORES  := $(MODELS:%=$(OUT)/pred/%-score.dbv)
# Rows = seeds, columns = architectures: files in row-major order.
PICS    := $(foreach s,$(SEEDS),$(foreach a,$(ARCHS),$(OUT)/pred/$(a)-s$(s)-picture.dbv))

ifeq ($(BIG)$(RUN),1)
# A large setting (repro.mk's DATA=cifar10) without RUN=1: its cost from
# measured throughput (common.mk's estimate), and nothing else.
all: estimate
	@echo "$(notdir $(firstword $(MAKEFILE_LIST))): this setting would train $(words $(MODELS))" \
		"models; the cost is above: add RUN=1 to run it"
else
all: $(OUT)/summary.txt $(OUT)/figure1.png $(OUT)/heatmap.png
	@cat $(OUT)/summary.txt
endif

$(call command,data/train.dbv,$(load_train) -o $(D)/train.dbv)
$(D)/train.dbv: $(CMDS)/data/train.dbv | $(D)
	$(run)

# models/SETTING-sSEED.dbv
# A setting is an architecture's name, or any name with ARCH_<name> set
# to its architecture (width.mk's resnet18-w4); WIDTH_<setting> its width.
setting_of = $(word 1,$(subst -s, ,$(1)))
arch_of = $(or $(ARCH_$(call setting_of,$(1))),$(call setting_of,$(1)))
seed_of = $(word 2,$(subst -s, ,$(1)))
train = dbv-train --arch $(call arch_of,$(1)) --width $(WIDTH_$(call setting_of,$(1))) \
	$(OPT_$(call arch_of,$(1))) $(TRAIN_OPTS) --epochs $(or $(EPOCHS_$(call arch_of,$(1))),$(EPOCHS)) \
	--seed $(call seed_of,$(1)) \
	--data-seed $(call data_seed,$(call seed_of,$(1))) --threads $(THREADS) -q \
	--test $(D)/test.dbv -o $(OUT)/models/$(1).dbv $(D)/train.dbv
$(foreach m,$(MODELS),$(call command,models/$(m).dbv,$(call train,$(m))))
$(MODEL_FILES): $(OUT)/models/%.dbv: $(D)/train.dbv $(D)/test.dbv $(CMDS)/models/%.dbv \
		| $(OUT)/models
	$(RUN_HEAVY)$(run)

$(call command,planes/score.dbv,dbv-plane --triplets $(TRIPLETS) --seed $(PLANE_SEED) \
	--res $(RES) -o $(OUT)/planes/score.dbv $(D)/test.dbv)
$(OUT)/planes/score.dbv: $(D)/test.dbv $(CMDS)/planes/score.dbv | $(OUT)/planes
	$(run)

$(call command,planes/picture.dbv,dbv-plane $(if $(PIC_IDS),--ids $(PIC_IDS),--triplets 1 \
	--seed $(PIC_SEED)) --res $(PIC_RES) \
	--range $(PIC_RANGE) -o $(OUT)/planes/picture.dbv $(D)/test.dbv)
$(OUT)/planes/picture.dbv: $(D)/test.dbv $(CMDS)/planes/picture.dbv | $(OUT)/planes
	$(run)

$(foreach m,$(MODELS),$(call command,pred/$(m)-score.dbv,$(call predict,$(m),score,$(OUT)/planes/score.dbv)))
$(SCORES): $(OUT)/pred/%-score.dbv: $(OUT)/models/%.dbv $(OUT)/planes/score.dbv \
		$(CMDS)/pred/%-score.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

$(foreach m,$(MODELS),$(call command,pred/$(m)-picture.dbv,$(call predict,$(m),picture,$(OUT)/planes/picture.dbv)))
$(PICS): $(OUT)/pred/%-picture.dbv: $(OUT)/models/%.dbv $(OUT)/planes/picture.dbv \
		$(CMDS)/pred/%-picture.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

GROUPS = $(foreach a,$(ARCHS),--group $(a)=$(subst $(space),$(comma),$(foreach s,$(SEEDS),$(OUT)/pred/$(a)-s$(s)-score.dbv)))

$(call command,table.dbv,dbv-compare $(GROUPS) --fragmentation -o $(OUT)/table.dbv)
$(OUT)/table.dbv: $(SCORES) $(CMDS)/table.dbv
	$(run)

$(call command,table.tsv,dbv-compare $(GROUPS) --fragmentation --tsv -o $(OUT)/table.tsv)
$(OUT)/table.tsv: $(SCORES) $(CMDS)/table.tsv
	$(run)

$(call command,heatmap.png,dbv-render --chart heatmap -o $(OUT)/heatmap.png $(OUT)/table.dbv)
$(OUT)/heatmap.png: $(OUT)/table.dbv $(CMDS)/heatmap.png
	$(run)

$(call command,figure1.png,dbv-render --montage --cols $(words $(ARCHS)) --thumbs \
	--row-labels "$(call labels,$(foreach s,$(SEEDS),seed|$(s)))" \
	--col-labels "$(call labels,$(foreach a,$(ARCHS),$(or $(ARCH_$(a)),$(a))|w=$(WIDTH_$(a))))" \
	-o $(OUT)/figure1.png $(PICS))
$(OUT)/figure1.png: $(PICS) $(CMDS)/figure1.png
	$(run)

# Test accuracy and fragmentation of every model, every group agreement
# with its 95% interval, and whether within > across holds
# (summary.sh study: dbv-inspect reads the models' last log records).
$(call command,summary.txt,summary.sh study \
	"dbv $(STUDY): $(DATA)$(comma) $(NTRAIN) training images$(comma) $(EPOCHS) epochs; $(TRIPLETS) test planes of $(RES)x$(RES) points" \
	"pictures: $(OUT)/figure1.png $(OUT)/heatmap.png; numbers: $(OUT)/table.tsv" \
	$(OUT)/table.tsv $(MODEL_FILES))
$(OUT)/summary.txt: $(OUT)/table.tsv $(MODEL_FILES) $(CMDS)/summary.txt
	$(run_script) >$@.tmp && mv $@.tmp $@
