# trail: PGXS build.  `make && make install`, then `make installcheck`
# against a running server (scripts/test does all of it with a throwaway
# server).

MODULE_big = trail
EXTENSION = trail
DATA = sql/trail--1.0.sql sql/trail--1.0--1.1.sql sql/trail--1.1--1.2.sql \
	sql/trail--1.2--1.3.sql
PGFILEDESC = "trail - query AWS CloudTrail log files with SQL"

OBJS = \
	src/error.o \
	src/byte_source.o \
	src/json_scan.o \
	src/jsonb_build.o \
	src/record_stream.o \
	src/convert.o \
	src/columns.o \
	src/decode.o \
	src/arn.o \
	src/actor.o \
	src/s3_layout.o \
	src/file_walk.o \
	src/scan.o \
	src/scan_files.o \
	src/parallel_files.o \
	src/read_scan.o \
	src/functions.o \
	src/fdw_options.o \
	src/pruning.o \
	src/fdw.o \
	src/cjson_doc.o \
	src/crypto.o \
	src/digest.o \
	src/verify.o \
	src/trail.o

# One test file per topic; keep this list in step with sql/*.sql
# (scripts/check-schedule fails the build of the tests otherwise).
REGRESS = \
	input_shapes \
	columns \
	event_category \
	edge_cases \
	bad_input \
	skip_mode \
	no_events \
	cursors \
	damaged \
	files \
	directory \
	privileges \
	projection \
	read_params \
	settings \
	fdw_options \
	fdw_scan \
	fdw_pruning \
	keys \
	fdw_parallel \
	read_parallel \
	views \
	who_what \
	actors \
	store \
	verify \
	detections \
	upgrade

REGRESS_OPTS = --inputdir=. --load-extension=trail

PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags zlib libcjson libcrypto)
SHLIB_LINK = $(shell pkg-config --libs zlib libcjson libcrypto)

# The inflater (src/byte_source.c): ISA-L's igzip when pkg-config finds
# libisal (Debian: libisal-dev), zlib otherwise.  zlib is always linked, the
# portable path; `make TRAIL_INFLATER=zlib` builds without ISA-L (CI tests
# both builds).
TRAIL_INFLATER ?= $(if $(shell pkg-config --exists libisal && echo yes),isal,zlib)
ifeq ($(TRAIL_INFLATER),isal)
PG_CPPFLAGS += -DTRAIL_HAVE_ISAL $(shell pkg-config --cflags libisal)
SHLIB_LINK += $(shell pkg-config --libs libisal)
else ifneq ($(TRAIL_INFLATER),zlib)
$(error TRAIL_INFLATER must be isal or zlib, not "$(TRAIL_INFLATER)")
endif

# Whole members in one call with libdeflate (Debian: libdeflate-dev) when
# pkg-config finds it, before the streaming inflater above; by default not
# in the zlib build, which is the portable path alone.
# `make TRAIL_LIBDEFLATE=no` leaves it out.
TRAIL_LIBDEFLATE ?= $(if $(filter isal,$(TRAIL_INFLATER)),$(if $(shell pkg-config --exists libdeflate && echo yes),yes,no),no)
ifeq ($(TRAIL_LIBDEFLATE),yes)
PG_CPPFLAGS += -DTRAIL_HAVE_LIBDEFLATE $(shell pkg-config --cflags libdeflate)
SHLIB_LINK += $(shell pkg-config --libs libdeflate)
else ifneq ($(TRAIL_LIBDEFLATE),no)
$(error TRAIL_LIBDEFLATE must be yes or no, not "$(TRAIL_LIBDEFLATE)")
endif

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on the headers
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# A build with another inflater rebuilds byte_source.o and relinks: the
# stamp changes only when TRAIL_INFLATER or TRAIL_LIBDEFLATE does.
INFLATER_STAMP = src/inflater.stamp
ifneq ($(wildcard $(srcdir)/src/byte_source.c),)
$(shell echo $(TRAIL_INFLATER) $(TRAIL_LIBDEFLATE) | cmp -s - $(INFLATER_STAMP) || echo $(TRAIL_INFLATER) $(TRAIL_LIBDEFLATE) >$(INFLATER_STAMP))
src/byte_source.o: $(INFLATER_STAMP)
$(shlib): $(INFLATER_STAMP)
endif
EXTRA_CLEAN = $(INFLATER_STAMP)

# make bench [BENCH_SIZE=quick]: the benchmark (bench/run, bench/README.md)
BENCH_SIZE ?= default
.PHONY: bench
bench:
	BENCH_SIZE=$(BENCH_SIZE) bench/run
