# pipelines/demo.mk - the main job, run by `make demo`.
#
#   make -f pipelines/demo.mk [OUT=out/demo] [BIN=bin] [DATA=fashion-mnist]
#                             [NOISE=0.2] [NOISE_SEED=1]
#
# Today it covers the stages that exist: load Fashion-MNIST's train and
# test splits as dbv streams, make a label-noise copy of the training set
# (exactly round(NOISE * n_c) labels of each class moved), validate every
# stream and print what they hold.  Training, planes, predictions,
# comparisons and pictures join as dbv-train, dbv-plane, dbv-predict,
# dbv-compare and dbv-render land.
#
# Hygiene: every target is written under a temporary name and renamed
# (the tools' -o does this), .DELETE_ON_ERROR and pipefail, so a killed run
# never leaves a half file that make would take as done.

OUT        ?= out/demo
BIN        ?= bin
DATA       ?= fashion-mnist
NOISE      ?= 0.2
NOISE_SEED ?= 1

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.PHONY: all
all: $(OUT)/summary.txt
	@cat $<

$(OUT)/.dir:
	mkdir -p $(OUT) && touch $@

$(OUT)/train.dbv: | $(OUT)/.dir
	$(BIN)/dbv-load $(DATA) --split train -o $@

$(OUT)/test.dbv: | $(OUT)/.dir
	$(BIN)/dbv-load $(DATA) --split test -o $@

$(OUT)/train-noise.dbv: | $(OUT)/.dir
	$(BIN)/dbv-load $(DATA) --split train --label-noise $(NOISE) --noise-seed $(NOISE_SEED) -o $@

$(OUT)/%.summary.json: $(OUT)/%.dbv
	$(BIN)/dbv-inspect --summary $< >$@.tmp && mv $@.tmp $@

$(OUT)/summary.txt: $(OUT)/train.summary.json $(OUT)/test.summary.json $(OUT)/train-noise.summary.json
	{ for f in $^; do \
	    n=$$(basename $$f .summary.json); \
	    items=$$(grep -o '"items":[0-9]*' $$f | cut -d: -f2); \
	    shape=$$(grep -o '"item_shape":\[[0-9,]*\]' $$f | cut -d: -f2); \
	    cls=$$(grep -o '"classes":[0-9]*' $$f | head -1 | cut -d: -f2); \
	    ymean=$$(grep -o '"y":{[^}]*}' $$f | grep -o '"mean":[0-9.e-]*' | cut -d: -f2); \
	    tmean=$$(grep -o '"y_true":{[^}]*}' $$f | grep -o '"mean":[0-9.e-]*' | cut -d: -f2); \
	    printf '%-12s %6s items of %s in %s classes; mean label %s (true %s)\n' \
	      "$$n" "$$items" "$$shape" "$$cls" "$$ymean" "$$tmean"; \
	  done; } >$@.tmp && mv $@.tmp $@
