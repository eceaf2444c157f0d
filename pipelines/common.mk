# pipelines/common.mk - what every study make file shares: the shell and
# deletion settings, the defaults they have in common, helpers, and the
# rules of the output directories, the test split and the predictions over
# the picture plane.  Included by demo.mk, repro.mk (both with study.mk)
# and double-descent.mk, after they set OUT: rule targets use it.
#
# Hygiene: every target is written under a temporary name and renamed (the
# tools' -o does it; a text target does it by hand: >$@.tmp && mv), and
# with .DELETE_ON_ERROR and pipefail a run killed at any moment and
# started again never uses a half-written file.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all
# The rules below come first; the goal is still the study's "all".
.DEFAULT_GOAL := all

BIN       ?= bin
DATA      ?= fashion-mnist
THREADS   ?= 2
PIC_RANGE ?= 0.5

D := $(OUT)/data

comma := ,
empty :=
space := $(empty) $(empty)
# "a|1 b|2" -> "a 1,b 2": a comma-separated list of labels with spaces
labels = $(subst |, ,$(subst $(space),$(comma),$(strip $(1))))

# The training images of every study: NTRAIN of DATA's training split,
# shuffled with seed 0 (options such as label noise follow).
load_train = $(BIN)/dbv-load $(DATA) --shuffle --seed 0 --limit $(NTRAIN)

# The recipe of a rule "pred/X.dbv: models/M.dbv PLANES": M's predictions
# over PLANES (planes or a data set).
predict = $(BIN)/dbv-predict --model $< --threads $(THREADS) -o $@ $(word 2,$^)

$(OUT)/.dirs:
	mkdir -p $(D) $(OUT)/models $(OUT)/planes $(OUT)/pred && touch $@

# The test split (NTEST images of it, when set).
$(D)/test.dbv: | $(OUT)/.dirs
	$(BIN)/dbv-load $(DATA) --split test $(if $(NTEST),--limit $(NTEST)) -o $@

$(OUT)/pred/%-picture.dbv: $(OUT)/models/%.dbv $(OUT)/planes/picture.dbv
	$(predict)
