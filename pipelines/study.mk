# pipelines/study.mk - the rules of an architecture x seed study, shared
# by demo.mk (the main job) and repro.mk (the paper's architecture study).
# Not run on its own: the including file sets OUT, NTRAIN, EPOCHS, SEEDS,
# ARCHS, TRIPLETS, RES, PIC_RES, STUDY (a name), TRAIN_OPTS (flags for
# every dbv-train) and WIDTH_<arch>, OPT_<arch> for every arch, and
# includes common.mk (BIN, DATA, THREADS, PIC_RANGE) before this file.

# The defaults both studies share.
PLANE_SEED  ?= 1
PIC_SEED    ?= 7
WIDTH_fcnet ?= 1

MODELS  := $(foreach a,$(ARCHS),$(foreach s,$(SEEDS),$(a)-s$(s)))

all: $(OUT)/summary.txt $(OUT)/figure1.png $(OUT)/heatmap.png
	@cat $(OUT)/summary.txt

$(D)/train.dbv: | $(OUT)/.dirs
	$(load_train) -o $@

# models/ARCH-sSEED.dbv
arch_of = $(word 1,$(subst -s, ,$(1)))
seed_of = $(word 2,$(subst -s, ,$(1)))
$(OUT)/models/%.dbv: $(D)/train.dbv $(D)/test.dbv
	$(BIN)/dbv-train --arch $(call arch_of,$*) --width $(WIDTH_$(call arch_of,$*)) \
	  $(OPT_$(call arch_of,$*)) $(TRAIN_OPTS) --epochs $(EPOCHS) --seed $(call seed_of,$*) \
	  --data-seed $(call seed_of,$*) --threads $(THREADS) -q \
	  --test $(D)/test.dbv -o $@ $(D)/train.dbv

$(OUT)/planes/score.dbv: $(D)/test.dbv
	$(BIN)/dbv-plane --triplets $(TRIPLETS) --seed $(PLANE_SEED) --res $(RES) -o $@ $<

$(OUT)/planes/picture.dbv: $(D)/test.dbv
	$(BIN)/dbv-plane --triplets 1 --seed $(PIC_SEED) --res $(PIC_RES) --range $(PIC_RANGE) -o $@ $<

$(OUT)/pred/%-score.dbv: $(OUT)/models/%.dbv $(OUT)/planes/score.dbv
	$(predict)

GROUPS = $(foreach a,$(ARCHS),--group $(a)=$(subst $(space),$(comma),$(foreach s,$(SEEDS),$(OUT)/pred/$(a)-s$(s)-score.dbv)))
SCORES = $(foreach m,$(MODELS),$(OUT)/pred/$(m)-score.dbv)

$(OUT)/table.dbv: $(SCORES)
	$(BIN)/dbv-compare $(GROUPS) --fragmentation -o $@

$(OUT)/table.tsv: $(SCORES)
	$(BIN)/dbv-compare $(GROUPS) --fragmentation --tsv -o $@

$(OUT)/heatmap.png: $(OUT)/table.dbv
	$(BIN)/dbv-render --chart heatmap -o $@ $<

# Rows = seeds, columns = architectures: files in row-major order.
PICS = $(foreach s,$(SEEDS),$(foreach a,$(ARCHS),$(OUT)/pred/$(a)-s$(s)-picture.dbv))
$(OUT)/figure1.png: $(PICS)
	$(BIN)/dbv-render --montage --cols $(words $(ARCHS)) --thumbs \
	  --row-labels "$(call labels,$(foreach s,$(SEEDS),seed|$(s)))" \
	  --col-labels "$(call labels,$(foreach a,$(ARCHS),$(a)|w=$(WIDTH_$(a))))" \
	  -o $@ $^

# Test accuracy of every model (its last log record), the group agreement
# matrix and the fragmentation, from table.tsv.
$(OUT)/summary.txt: $(OUT)/table.tsv $(foreach m,$(MODELS),$(OUT)/models/$(m).dbv)
	{ echo "dbv $(STUDY): $(DATA), $(NTRAIN) training images, $(EPOCHS) epochs; $(TRIPLETS) test planes of $(RES)x$(RES) points"; \
	  echo; echo "test accuracy:"; \
	  for m in $(MODELS); do \
	    acc=$$($(BIN)/dbv-inspect $(OUT)/models/$$m.dbv | grep '"t":"log"' | tail -1 | \
	          sed 's/.*"test_acc":\([0-9.e-]*\).*/\1/'); \
	    printf '  %-14s %s\n' "$$m" "$$acc"; \
	  done; \
	  echo; echo "reproducibility (fraction of plane points where two models agree):"; \
	  sed -n '/^# group agreement (mean/,/^$$/p' $(OUT)/table.tsv | sed '1d;/^$$/d;s/^/  /'; \
	  echo; echo "fragmentation (regions per plane, mean over planes):"; \
	  paste <(sed -n '/^# streams/,/^$$/p' $(OUT)/table.tsv | sed '1,2d;/^$$/d' | cut -f4) \
	        <(sed -n '/^# fragmentation/,/^$$/p' $(OUT)/table.tsv | sed '1,2d;/^$$/d' | cut -f2) | \
	    sed 's/^/  /'; \
	  echo; echo "pictures: $(OUT)/figure1.png $(OUT)/heatmap.png; numbers: $(OUT)/table.tsv"; \
	} >$@.tmp && mv $@.tmp $@
