# pipelines/common.mk - what every study make file shares: the shell and
# deletion settings, the defaults they have in common, the command records
# (below), helpers, and the rules of the output directories and the test
# split.  Included by demo.mk, repro.mk (both with study.mk) and
# double-descent.mk, after they set OUT and their own settings.
#
# Hygiene: every target is written under a temporary name and renamed (the
# tools' -o does it; a text target does it by hand: >$@.tmp && mv), and
# with .DELETE_ON_ERROR and pipefail a run killed at any moment and
# started again never uses a half-written file.
#
# Reruns that notice every change.  Two rules make them:
#
# - Every file is an explicit target: static pattern rules over the lists
#   of files the settings give, no implicit chains, no .SECONDARY.  No file
#   is intermediate, so a deleted one, wherever it sits in the chain, is
#   made again, and with it everything that depends on it.
#
# - Every target $(OUT)/T has a command record $(OUT)/.cmd/T, which it
#   depends on: one line, the command that makes T, as its recipe runs it
#   but without the tools' directory (BIN) or this directory, so that the
#   same study run with tools elsewhere redoes nothing.  A target's command
#   is written once, in `$(call command,T,COMMAND)`, and its recipe runs
#   exactly that ($(run)).  While make reads the make files it compares
#   each record with the command the current settings give; only a record
#   that differs (or is missing) gets FORCE as a prerequisite, and its
#   rule rewrites it.  So a changed variable remakes exactly the targets
#   whose command it changes (now older than their records) and what
#   depends on them, and nothing else; a variable no command uses changes
#   no record.  Reading the records writes nothing: `make -n` and `make -q`
#   tell what a run would do and change nothing.  The records also say how
#   each file was made: `cat out/demo/.cmd/models/mlp-s0.dbv`.  What is
#   not on a command line is not noticed: new tools (rebuilt bin/), the
#   data files DBV_DATA_DIR points at.  The paths are: the same OUT spelt
#   otherwise (relative, absolute) redoes everything.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.PHONY: all FORCE
# The rules below come first; the goal is still the study's "all".
.DEFAULT_GOAL := all

# This directory (the source tree's pipelines/, or PREFIX/share/dbv/
# pipelines/ once installed): the summary script lives here too.
P := $(dir $(lastword $(MAKEFILE_LIST)))

# The tools: bin/ of the source tree these files are in, or PREFIX/bin
# when they are installed (PREFIX/share/dbv/pipelines/../../../bin), else
# the ones on PATH (BIN empty).
ifeq ($(origin BIN),undefined)
BIN := $(patsubst $(CURDIR)/%,%,$(patsubst %/dbv-load,%,$(firstword $(wildcard \
	$(abspath $(P)../bin)/dbv-load $(abspath $(P)../../../bin)/dbv-load))))
endif
DATA      ?= fashion-mnist
THREADS   ?= 2
PIC_RANGE ?= 0.5
# Data-order seeds: the model of init seed S draws its batches (and
# augmentation) with seed S + DATA_SEED_OFFSET, so that by default (init
# seeds below 1000) no data-order seed equals an init seed; DATA_SEED=N
# gives every model the one order N (then only the initialisation differs
# between seeds).  DATA_SEED_OFFSET=0 is the old behaviour (both equal).
DATA_SEED_OFFSET ?= 1000
DATA_SEED ?=

# make strips a leading ./ from target names: OUT must match them.
override OUT := $(patsubst ./%,%,$(patsubst %/,%,$(OUT)))
D    := $(OUT)/data
CMDS := $(patsubst ./%,%,$(OUT)/.cmd)
DIRS := $(OUT) $(D) $(OUT)/models $(OUT)/planes $(OUT)/pred

comma := ,
empty :=
space := $(empty) $(empty)
# "a|1 b|2" -> "a 1,b 2": a comma-separated list of labels with spaces
labels = $(subst |, ,$(subst $(space),$(comma),$(strip $(1))))
# 'TEXT' for the shell
shq = '$(subst ','\'',$(1))'

# ---- command records ---------------------------------------------------

# $(call command,T,COMMAND): COMMAND (from a tool's name on) makes
# $(OUT)/T.  Kept in CMD.T for the recipe; where the record
# $(CMDS)/T holds anything else, the record is forced to be rewritten.
# (The record is read through strip: make 4.3's $(file <) sometimes keeps
# the final newline.)
command = $(eval CMD.$(1) := $(subst #,\#,$(subst $$,$$$$,$(strip $(2)))))$(if \
	$(call same,$(strip $(file <$(CMDS)/$(1))),$(CMD.$(1))),,$(eval $(CMDS)/$(1): FORCE))
# Whether two strings are equal (each holds the other).
same = $(and $(findstring x$(1)x,x$(2)x),$(findstring x$(2)x,x$(1)x))

# The recipe of a tool's target: its recorded command, from BIN; of a
# summary: its recorded command, a script of this directory.
run = $(BIN:%=%/)$(CMD.$(patsubst $(OUT)/%,%,$@))
run_script = BIN=$(call shq,$(BIN)) sh $(P)$(CMD.$(patsubst $(OUT)/%,%,$@))

$(CMDS)/%:
	@$(if $(CMD.$*),,$(error no command for $(OUT)/$*))mkdir -p $(@D) && \
	  printf '%s\n' $(call shq,$(CMD.$*)) >$@.tmp && mv $@.tmp $@

FORCE:

$(DIRS):
	mkdir -p $@

# ---- shared commands and rules -----------------------------------------

# The data-order seed of init seed $(1) (see DATA_SEED_OFFSET).
data_seed = $(or $(DATA_SEED),$(patsubst $(1):%,%,$(filter $(1):%,$(data_seeds_))))
data_seeds_ := $(if $(DATA_SEED),,$(shell for s in $(sort $(SEEDS)); do \
	echo "$$s:$$((s + $(DATA_SEED_OFFSET)))"; done))

# The training images of every study: NTRAIN of DATA's training split,
# shuffled with seed 0 (options such as label noise follow).
load_train = dbv-load $(DATA) --shuffle --seed 0 --limit $(NTRAIN)

# The command of $(OUT)/pred/$(1)-$(2).dbv: model $(1)'s predictions over
# $(3) (planes or a data set).
predict = dbv-predict --model $(OUT)/models/$(1).dbv --threads $(THREADS) \
	-o $(OUT)/pred/$(1)-$(2).dbv $(3)

# The test split (NTEST images of it, when set).
$(call command,data/test.dbv,dbv-load $(DATA) --split test $(if $(NTEST),--limit $(NTEST)) \
	-o $(D)/test.dbv)
$(D)/test.dbv: $(CMDS)/data/test.dbv | $(D)
	$(run)
