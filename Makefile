# trail: PGXS build.  `make && make install`, then `make installcheck`
# against a running server (scripts/test does all of it with a throwaway
# server).

MODULE_big = trail
EXTENSION = trail
DATA = sql/trail--1.0.sql sql/trail--1.0--1.1.sql
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
	settings \
	fdw_options \
	fdw_scan \
	fdw_pruning \
	keys \
	fdw_parallel \
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

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on the headers
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# make bench [BENCH_SIZE=quick]: the benchmark (bench/run, bench/README.md)
BENCH_SIZE ?= default
.PHONY: bench
bench:
	BENCH_SIZE=$(BENCH_SIZE) bench/run
