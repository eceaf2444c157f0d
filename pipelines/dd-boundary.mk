# pipelines/dd-boundary.mk - the decision-boundary figures of the
# double-descent sweep (Somepalli et al., CVPR 2022, Sec. 5), included by
# double-descent.mk after its rules: it uses that file's models, data,
# helpers and settings (MODELS, NOISES, TRIPLETS, RES, PLANE_SEED, THREADS,
# part, predict, chart) and adds, under $(OUT):
#
#   fragmentation-test.png   regions per plane through random test triplets
#   fragmentation-same.png   ... through same-class triplets of correctly
#                            labelled training images, SAME_TRIPLETS of
#                            each class (the paper: 100)
#                            (random training triplets: fragmentation.png)
#   margin.png               mean margin of the training points against
#                            width (margin-mislabeled.png: of the
#                            mislabeled ones, when a noise rate is not 0)
#   skips.png                mean class skips a segment against width
#   table-margins.tsv        every model's margins (groups mislabeled,
#                            correct, all, with 95% intervals) and skips,
#                            and every point's and pair's values
#   table-planes-test.tsv, table-planes-same.tsv
#
# Margins (dbv-margin(1)): MARGIN_POINTS training points of each model's
# own training stream (its noise rate's labels), drawn with MARGIN_SEED,
# MARGIN_DIRS directions each, a margin when MARGIN_HITS of them find a
# change within MARGIN_RANGE (coarse step MARGIN_STEP, bisected to
# MARGIN_TOL).  Class skips: SKIP_PAIRS pairs of images of each class
# (by the stream's labels), SKIP_RES points a segment.  The same-class
# triplets are drawn from the noisiest stream (the last of NOISES): its
# correctly labelled images are correctly labelled at noise 0 too, so
# every model is cut by the same planes.

MARGIN_POINTS ?= 200
MARGIN_SEED   ?= 1
MARGIN_DIRS   ?= 10
MARGIN_HITS   ?= 5
MARGIN_RANGE  ?= 32
MARGIN_STEP   ?= 0.5
MARGIN_TOL    ?= 0.001
SKIP_PAIRS    ?= 10
SKIP_RES      ?= 100
SAME_TRIPLETS ?= 10

MARGINS     := $(MODELS:%=$(OUT)/margins/%.dbv)
TESTPLANES  := $(MODELS:%=$(OUT)/pred/%-testplanes.dbv)
SAMEPLANES  := $(MODELS:%=$(OUT)/pred/%-sameplanes.dbv)
BOUNDARY_CHARTS := $(OUT)/fragmentation-test.png $(OUT)/fragmentation-same.png \
	$(OUT)/margin.png $(OUT)/skips.png \
	$(if $(filter-out 0 0.0,$(NOISES)),$(OUT)/margin-mislabeled.png)
BOUNDARY := $(BOUNDARY_CHARTS) $(OUT)/table-margins.tsv \
	$(OUT)/table-planes-test.tsv $(OUT)/table-planes-same.tsv

.PHONY: boundary
# (A large preset without RUN=1 makes nothing but its cost.)
ifneq ($(BIG)$(RUN),1)
all: boundary
endif
boundary: $(BOUNDARY)

$(OUT)/margins:
	mkdir -p $@

# ---- the two other triplet kinds: test images, same-class training images

$(call command,planes/test.dbv,dbv-plane --triplets $(TRIPLETS) --seed $(PLANE_SEED) --res $(RES) \
	-o $(OUT)/planes/test.dbv $(D)/test.dbv)
$(OUT)/planes/test.dbv: $(D)/test.dbv $(CMDS)/planes/test.dbv | $(OUT)/planes
	$(run)

$(call command,planes/same.dbv,dbv-plane --triplets $(SAME_TRIPLETS) --same-class --per-class \
	--mislabeled 0 --seed $(PLANE_SEED) --res $(RES) -o $(OUT)/planes/same.dbv \
	$(D)/train-n$(lastword $(NOISES)).dbv)
$(OUT)/planes/same.dbv: $(D)/train-n$(lastword $(NOISES)).dbv $(CMDS)/planes/same.dbv \
		| $(OUT)/planes
	$(run)

$(foreach m,$(MODELS),$(call command,pred/$(m)-testplanes.dbv,$(call predict,$(m),testplanes,$(OUT)/planes/test.dbv)))
$(TESTPLANES): $(OUT)/pred/%-testplanes.dbv: $(OUT)/models/%.dbv $(OUT)/planes/test.dbv \
		$(CMDS)/pred/%-testplanes.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

$(foreach m,$(MODELS),$(call command,pred/$(m)-sameplanes.dbv,$(call predict,$(m),sameplanes,$(OUT)/planes/same.dbv)))
$(SAMEPLANES): $(OUT)/pred/%-sameplanes.dbv: $(OUT)/models/%.dbv $(OUT)/planes/same.dbv \
		$(CMDS)/pred/%-sameplanes.dbv | $(OUT)/pred
	$(RUN_HEAVY)$(run)

# $(call frag_tables,KIND,PREDS): table-planes-KIND.dbv and .tsv.
frag_tables = $(call command,table-planes-$(1).dbv,dbv-compare --fragmentation \
	-o $(OUT)/table-planes-$(1).dbv $(2))$(call command,table-planes-$(1).tsv,dbv-compare \
	--fragmentation --tsv -o $(OUT)/table-planes-$(1).tsv $(2))
$(call frag_tables,test,$(TESTPLANES))
$(call frag_tables,same,$(SAMEPLANES))

$(OUT)/table-planes-test.dbv $(OUT)/table-planes-test.tsv: $(OUT)/table-planes-test.%: \
		$(TESTPLANES) $(CMDS)/table-planes-test.%
	$(run)

$(OUT)/table-planes-same.dbv $(OUT)/table-planes-same.tsv: $(OUT)/table-planes-same.%: \
		$(SAMEPLANES) $(CMDS)/table-planes-same.%
	$(run)

$(call chart,fragmentation-test.png,table-planes-test.dbv,fragmentation,regions per plane through test triplets)
$(call chart,fragmentation-same.png,table-planes-same.dbv,fragmentation,regions per plane through same-class triplets)

$(OUT)/fragmentation-test.png: $(OUT)/table-planes-test.dbv $(CMDS)/fragmentation-test.png
	$(run)

$(OUT)/fragmentation-same.png: $(OUT)/table-planes-same.dbv $(CMDS)/fragmentation-same.png
	$(run)

# ---- margins and class skips, per model, then merged

margin = dbv-margin --model $(OUT)/models/$(1).dbv --points $(MARGIN_POINTS) --seed $(MARGIN_SEED) \
	--directions $(MARGIN_DIRS) --min-hits $(MARGIN_HITS) --range $(MARGIN_RANGE) \
	--step $(MARGIN_STEP) --tol $(MARGIN_TOL) --skips $(SKIP_PAIRS) --skip-res $(SKIP_RES) \
	--threads $(THREADS) -o $(OUT)/margins/$(1).dbv $(D)/train-n$(call part,$(1),n).dbv
$(foreach m,$(MODELS),$(call command,margins/$(m).dbv,$(call margin,$(m))))
$(MARGINS): $(OUT)/margins/%.dbv: $(OUT)/models/%.dbv $$(D)/train-n$$(call part,$$*,n).dbv \
		$(CMDS)/margins/%.dbv | $(OUT)/margins
	$(RUN_HEAVY)$(run)

$(call command,table-margins.dbv,dbv-margin --merge -o $(OUT)/table-margins.dbv $(MARGINS))
$(call command,table-margins.tsv,dbv-margin --merge --tsv -o $(OUT)/table-margins.tsv $(MARGINS))
$(OUT)/table-margins.dbv $(OUT)/table-margins.tsv: $(OUT)/table-margins.%: $(MARGINS) \
		$(CMDS)/table-margins.%
	$(run)

$(call chart,margin.png,table-margins.dbv,margin,margin of training points against width)
$(call chart,margin-mislabeled.png,table-margins.dbv,margin_mislabeled,margin of mislabeled training points against width)
$(call chart,skips.png,table-margins.dbv,skips,class skips against width)

$(OUT)/margin.png $(OUT)/margin-mislabeled.png $(OUT)/skips.png: $(OUT)/%.png: \
		$(OUT)/table-margins.dbv $(CMDS)/%.png
	$(run)
