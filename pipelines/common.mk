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
#
# Below the records: the lock (one make per OUT), SLURM=1 ($(RUN_HEAVY)
# before the trainings' and predictions' recipes) and `make estimate`;
# README "Running on a cluster" and dbv(7) CLUSTERS tell the user.

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
tab   := $(empty)	$(empty)
define nl


endef
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
command = $(eval COMMANDS += $(1))$(eval CMD.$(1) := $(subst #,\#,$(subst $$,$$$$,$(strip $(2)))))$(if \
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

# ---- the lock, Slurm and the estimate ----------------------------------

# One make at a time on OUT (lock.sh, with make's pid: the parent of the
# shell that $(shell) runs): a second one stops here, its one line naming
# the holder.  make -n and make -q, which change nothing, take no lock.
ifeq ($(findstring n,$(filter-out -%,$(firstword $(MAKEFLAGS))))$(findstring \
	q,$(filter-out -%,$(firstword $(MAKEFLAGS)))),)
lock_ := $(shell sh $(P)lock.sh $(call shq,$(OUT)) $$PPID)
$(if $(lock_),$(error $(lock_)))
endif

# SLURM=1: each heavy recipe (training, prediction: the tools that take
# --estimate) runs as a Slurm job step, through slurm-run.sh, which
# sizes it (CPUs from --threads, memory and time from the estimate, or
# SLURM_MEM in MiB and SLURM_TIME in minutes), adds SLURM_OPTS to srun,
# checkpoints a training every SLURM_CHECKPOINT (N[e|s|b], dbv-train's
# --checkpoint-every) and runs a preempted or timed-out step again from
# its checkpoint, SLURM_RETRIES times at most.  Without SLURM,
# $(RUN_HEAVY) is empty and the recipes run here.  Either way the
# recorded commands are the same: switching redoes nothing.
SLURM            ?=
SLURM_OPTS       ?=
SLURM_TIME       ?=
SLURM_MEM        ?=
SLURM_RETRIES    ?= 3
SLURM_CHECKPOINT ?= 600s
RUN_HEAVY = $(if $(filter-out 0,$(SLURM)),DBV_SLURM_OPTS=$(call shq,$(SLURM_OPTS)) \
	DBV_SLURM_TIME=$(call shq,$(SLURM_TIME)) DBV_SLURM_MEM=$(call shq,$(SLURM_MEM)) \
	DBV_SLURM_RETRIES=$(call shq,$(SLURM_RETRIES)) \
	DBV_SLURM_CHECKPOINT=$(call shq,$(SLURM_CHECKPOINT)) \
	sh $(P)slurm-run.sh $(call shq,$(OUT)) $@ )

# make estimate: make the data and the planes (the cheap steps), then
# print the cost of every training and prediction (estimate.sh): per
# kind and in total, CPU-hours and the wall time on WORKERS jobs at once
# (default: make's -j).
WORKERS ?= $(or $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS))),1)
# (The data targets are known once every file is read: the prerequisites
# are expanded a second time, when make needs them.  Under make -n the
# list of commands is not written: -n changes nothing.)
.PHONY: estimate
.SECONDEXPANSION:
estimate: $$(foreach t,$$(COMMANDS),$$(if $$(filter dbv-load dbv-plane,$$(firstword \
		$$(CMD.$$(t)))),$$(OUT)/$$(t)))
	$(if $(findstring n,$(firstword -$(MAKEFLAGS))),,$(file >$(OUT)/.estimate-list,$(foreach \
	  t,$(COMMANDS),$(t)$(tab)$(CMD.$(t))$(nl))))@BIN=$(call shq,$(BIN)) sh $(P)estimate.sh all $(call shq,$(OUT)) $(WORKERS) \
	  $(OUT)/.estimate-list

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
