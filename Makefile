# gadgetbox: one musl-static binary; see README.md.
#   make          build ./gadgetbox (installs build packages and builds zlib, libelf, libbpf once)
#   make test     unit tests (ASan+UBSan) and integration tests against the real kernel (as root)
#   make check    warnings-as-errors build and the unit tests under sanitizers
#   make unit     the unit tests (ASan+UBSan), then every libFuzzer target briefly on its seed corpus
#   make fuzz     each libFuzzer target (tests/fuzz) for FUZZ_SECONDS (default 60) or FUZZ_RUNS executions
#   make bench    benchmarks against libbpf-tools (docs/bench.md, docs/bench.png)
#   make arm64    cross-build ./gadgetbox-arm64 (same as make ARCH=arm64; in build/cross-arm64)
#   make test-arm64-user   the arm64 binary and its unit tests under qemu-user-static
#   make test-arm64        the arm64 binary on Debian's arm64 kernel under qemu-system-aarch64 (minutes)
# Variables: BTF=path (BTF used to generate vmlinux.h), BUILD=dir, V=1 (print every command), ARCH=arm64.

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH := $(HOST_ARCH)
BIN := gadgetbox
AR := ar
ifneq ($(ARCH),$(HOST_ARCH))
ifneq ($(ARCH),arm64)
$(error ARCH=$(ARCH): arm64 is the one architecture this build can cross-compile for)
endif
# the cross build: its own build directory, dependencies and vmlinux.h (README "Building for arm64")
CROSS := $(ARCH)
BUILD ?= build/cross-$(ARCH)
BIN := gadgetbox-$(ARCH)
AR := aarch64-linux-gnu-ar
BTF ?= $(BUILD)/deps/vmlinux.btf
endif
BUILD ?= build
BTF ?= /sys/kernel/btf/vmlinux
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

DEPS := $(BUILD)/deps/prefix
MUSL_CC := $(if $(CROSS),$(abspath $(BUILD))/deps/cc,musl-gcc) -idirafter $(abspath $(BUILD))/deps/kernel-headers
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# The folders are the wall between libgadgetbox and its command line (README "Layout"):
#   the library: common/{core,containers,gadgets,dns,util}/*.c, its public headers common/*.h;
#   the command line: common/cli/*.c and applets/*.c, compiled against the public headers, common/cli and
#   common/util only, so an include of a library-internal header from there does not compile.
# A new source file in a folder is built into its half with no list to edit.
LIB_DIRS := common/core common/containers common/gadgets common/dns common/util
CLI_DIRS := common/cli applets
LIB_SRCS := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
CLI_SRCS := $(foreach d,$(CLI_DIRS),$(wildcard $(d)/*.c))
LIB_INC := -Icommon $(addprefix -I,$(LIB_DIRS)) -I. -I$(BUILD)
CLI_INC := -Icommon -Icommon/cli -Icommon/util -I$(BUILD)/deps
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
LIB := $(BUILD)/libgadgetbox.a
PREFIX ?= /usr/local
# every header of ours, for the host-compiled tests' dependencies
HDRS := $(wildcard common/*.h common/*/*.h bpf/*.h)
# common code that needs neither libbpf nor the kernel: unit-tested with the host compiler and sanitizers
UNIT_COMMON := $(wildcard common/util/*.c common/dns/*.c common/gadgets/*decode.c) common/core/diag.c \
	$(filter-out %/frontend.c %/event.c %/stream.c %/metrics.c %_row.c,$(wildcard common/cli/*.c)) \
	$(filter-out %/watch.c,$(wildcard common/containers/*.c))
UNIT_SRCS := $(wildcard tests/unit/*.c)
# the host-compiled tests see both halves
TEST_INC := $(LIB_INC) -Icommon/cli
# cJSON for the host-compiled tests (runtimes.c parses the runtimes' files with it): the one source file that
# build-deps.sh fetched, with its installed header (-I$(DEPS)/include: <cjson/cJSON.h>)
CJSON_SRC := $(BUILD)/deps/src/cjson/cJSON.c
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
# libFuzzer targets (tests/fuzz/fuzz_*.c): the parsers of ring-buffer records, cgroup files and runtime state.
# make fuzz runs each for FUZZ_SECONDS on a copy of its corpus; make unit runs them on their seeds only.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_RUNS ?= 2000
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_COMMON := common/core/diag.c common/cli/filter.c $(wildcard common/util/*.c common/dns/*.c common/gadgets/*decode.c) \
	$(filter-out %/watch.c,$(wildcard common/containers/*.c))
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-7s %s\n'
endif

.PHONY: all deps lib install test unit check format format-check bench clean bpf-arm64 layout image image-multiarch soak
.SECONDARY:
all: $(BUILD)/deps.stamp $(BIN)

deps: $(BUILD)/deps.stamp
$(BUILD)/deps.stamp: scripts/build-deps.sh scripts/fetch-source.sh scripts/mirror.sh scripts/deps.list $(if $(CROSS),scripts/arm64-sysroot.sh)
	@BUILD=$(abspath $(BUILD)) TARGET=$(CROSS) $(if $(CROSS),APT_DIR=$(abspath build)/deps/apt) bash scripts/build-deps.sh
	@touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/deps.stamp
	$(say) GEN $@
	$(Q)$(BPFTOOL) btf dump file $(BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h $(BUILD)/vmlinux.h
	$(say) BPF $<
	$(Q)clang -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -I$(DEPS)/include $(WARN) -Wno-unused-parameter -c $< -o $@
	$(Q)llvm-strip -g $@

# the skeleton embeds the object deflated (scripts/skelz.c, common/core/elfz.h): a third of its size
$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o $(BUILD)/skelz
	$(say) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.raw && $(BUILD)/skelz $@.raw $< > $@.tmp && mv $@.tmp $@ && rm $@.raw

$(BUILD)/skelz: scripts/skelz.c | $(BUILD)/deps.stamp
	$(say) CC $<
	$(Q)$(if $(CROSS),$(SKELZ_CROSS),$(MUSL_CC) -O2 $(WARN) -static -I$(DEPS)/include -o $@ $< $(DEPS)/lib/libz.a)

# syscall names by number, for seccomp profiles
$(BUILD)/syscalls.h: scripts/gen-syscalls.sh | $(BUILD)/deps.stamp
	$(say) GEN $@
	$(Q)bash scripts/gen-syscalls.sh $(BUILD)/deps/kernel-headers $@ $(ARCH)

COMPILE = $(MUSL_CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -DGADGETBOX_VERSION='"$(VERSION)"' \
	-I$(DEPS)/include -MMD -MP -c $< -o $@
$(LIB_OBJS): $(BUILD)/obj/%.o: %.c $(SKELS) $(BUILD)/syscalls.h | $(BUILD)/deps.stamp
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(COMPILE) $(LIB_INC)
$(OBJS): $(BUILD)/obj/%.o: %.c | $(BUILD)/deps.stamp
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(COMPILE) $(CLI_INC)

# One archive with libbpf, libelf, zlib and cJSON inside, so a program needs only -lgadgetbox (musl-gcc).
$(LIB): $(LIB_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && { echo "CREATE $@"; for o in $(LIB_OBJS); do echo "ADDMOD $$o"; done; \
		for l in bpf elf z cjson; do echo "ADDLIB $(DEPS)/lib/lib$$l.a"; done; echo SAVE; echo END; } | $(AR) -M
lib: $(LIB)

$(BIN): $(OBJS) $(LIB)
	$(say) LINK $@
	$(Q)$(MUSL_CC) -static -s -o $@ $(OBJS) $(LIB) -L$(DEPS)/lib -lmicrohttpd -lpthread

# make install PREFIX=DIR: the header, the library and its pkg-config file (and the binary)
install: gadgetbox $(LIB)
	install -D -m 644 common/gadgetbox.h $(DESTDIR)$(PREFIX)/include/gadgetbox.h
	@# the DNS decoder's types (struct gb_dns_msg of gb_dns_event.dns)
	install -D -m 644 common/dnsmsg.h $(DESTDIR)$(PREFIX)/include/gadgetbox/dnsmsg.h
	install -D -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libgadgetbox.a
	install -D -m 755 gadgetbox $(DESTDIR)$(PREFIX)/bin/gadgetbox
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' 'cc=musl-gcc' '' \
		'Name: gadgetbox' 'Description: container-aware eBPF tracers (static, musl; build with musl-gcc)' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lgadgetbox' \
		'Libs.private: -lpthread' | install -D -m 644 /dev/stdin $(DESTDIR)$(PREFIX)/lib/pkgconfig/gadgetbox.pc

-include $(OBJS:.o=.d) $(LIB_OBJS:.o=.d)

# third-party code: sanitized like the tests, but not held to our warnings
$(BUILD)/unit/cJSON.o: $(BUILD)/deps.stamp
	@mkdir -p $(dir $@)
	$(say) CC $(CJSON_SRC)
	$(Q)cc -g -O1 $(SAN) -c $(CJSON_SRC) -o $@

$(BUILD)/unit-tests: $(UNIT_SRCS) $(UNIT_COMMON) $(HDRS) tests/unit/*.h $(BUILD)/unit/cJSON.o
	@mkdir -p $(BUILD)
	cc -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) $(SAN) $(TEST_INC) -Itests/unit -I$(DEPS)/include \
		-o $@ $(UNIT_SRCS) $(UNIT_COMMON) $(BUILD)/unit/cJSON.o -lm -lpthread

# a fuzzer's dictionary (tests/fuzz/NAME.dict: keys its parser looks for), if it has one; $(1) is a shell word
fuzz_dict = $$([ -f tests/fuzz/$(1).dict ] && echo -dict=tests/fuzz/$(1).dict)
# every fuzzer on its seed corpus, then FUZZ_SMOKE_RUNS mutations with a fixed seed (new inputs go to a scratch
# directory, never into tests/); one line per fuzzer, its log on failure
FUZZ_SMOKE = for t in $(FUZZ_TARGETS); do \
		d=$(BUILD)/fuzz/smoke/$$t; rm -rf $$d && mkdir -p $$d && \
		if $(BUILD)/fuzz/$$t -runs=$(FUZZ_SMOKE_RUNS) -seed=1 $(call fuzz_dict,$$t) -artifact_prefix=$$d/ \
			$$d tests/fuzz/corpus/$$t \
			>$$d.log 2>&1; then \
			printf '  %-7s %-22s %s\n' FUZZ $$t "$$(grep -o 'DONE.*' $$d.log | tr -s ' ' | cut -c6-)"; \
		else tail -n 40 $$d.log; echo "fuzz-smoke: $$t failed (log: $$d.log, input: $$d/)"; exit 1; fi; \
	done

unit: $(BUILD)/unit-tests $(FUZZ_BINS)
	$(BUILD)/unit-tests
	$(Q)$(FUZZ_SMOKE)

.PHONY: fuzz fuzz-smoke fuzz-seeds
fuzz-smoke: $(FUZZ_BINS)
	$(Q)$(FUZZ_SMOKE)

# make fuzz [FUZZ_SECONDS=60 | FUZZ_RUNS=10000000] [FUZZ_MERGE=0]: scripts/fuzz.sh; each fuzzer in turn, then
# what reached new coverage is merged, minimised, into tests/fuzz/corpus/NAME; a table in build/fuzz/summary.txt
fuzz: $(FUZZ_BINS)
	$(Q)scripts/fuzz.sh $(BUILD) $(FUZZ_TARGETS)

# libFuzzer and clang's sanitizer runtimes are in libclang-rt-dev, which clang only recommends
$(BUILD)/fuzz/toolchain.stamp: | $(BUILD)/deps.stamp
	@mkdir -p $(dir $@)
	$(Q)echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return (void)d, (int)(n * 0); }' | \
		clang -x c -fsanitize=fuzzer,address,undefined -o $(BUILD)/fuzz/probe - 2>/dev/null || \
	{ [ "$$(id -u)" = 0 ] || { echo "fuzz: clang cannot link libFuzzer: install libclang-rt-dev" >&2; exit 1; }; \
		printf '  %-7s %s\n' APT libclang-rt-dev; export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get install -y -qq --no-install-recommends libclang-rt-dev || \
		  { apt-get update -qq && apt-get install -y -qq --no-install-recommends libclang-rt-dev; }; } >/dev/null; }
	@rm -f $(BUILD)/fuzz/probe
	@touch $@

$(BUILD)/fuzz/cJSON.o: $(BUILD)/deps.stamp $(BUILD)/fuzz/toolchain.stamp
	$(say) CC $(CJSON_SRC)
	$(Q)clang -g -O1 $(subst fuzzer,fuzzer-no-link,$(FUZZ_SAN)) -c $(CJSON_SRC) -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) $(HDRS) $(BUILD)/fuzz/cJSON.o
	$(say) FUZZER $@
	$(Q)clang -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) $(FUZZ_SAN) $(TEST_INC) -I$(DEPS)/include -o $@ $< \
		$(FUZZ_COMMON) $(BUILD)/fuzz/cJSON.o -lpthread

# regenerate the binary seeds of the record decoders (after a change to bpf/execsnoop.h or bpf/opensnoop.h)
fuzz-seeds: tests/fuzz/gen_seeds.c bpf/*.h
	@mkdir -p $(BUILD)/fuzz
	$(Q)cc -std=gnu11 -D_GNU_SOURCE $(WARN) -I. -o $(BUILD)/fuzz/gen_seeds $< && $(BUILD)/fuzz/gen_seeds tests/fuzz/corpus

# clang-format (.clang-format) decides the layout of every C file; `make format` applies it
FORMAT_SRCS = $(wildcard common/*.[ch] common/*/*.[ch] applets/*.[ch] bpf/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/library/*.c scripts/skelz.c \
	scripts/bench/*.[ch])
format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRCS) || { echo "make: clang-format drift; run 'make format'" >&2; exit 1; }
format:
	clang-format -i $(FORMAT_SRCS)

# the wall between the library and the command line, and no include cycles (README "Layout")
layout:
	$(Q)python3 scripts/check-layout

# a variable's value (make print-CLI_INC), for tests of the build's own rules
print-%:
	@echo '$($*)'

check: layout gadgetbox unit format-check bpf-arm64

# every BPF object also compiles for arm64 (the CO-RE object is the same program; only the architecture's
# helpers and register layout differ): built against this machine's vmlinux.h, never loaded
ARM64_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/arm64/%.bpf.o,$(BPF_SRCS))
$(BUILD)/arm64/%.bpf.o: bpf/%.bpf.c bpf/*.h $(BUILD)/vmlinux.h
	@mkdir -p $(dir $@)
	$(say) BPF64 $<
	$(Q)clang -g -O2 -target bpf -D__TARGET_ARCH_arm64 -I$(BUILD) -Ibpf -I$(DEPS)/include $(WARN) -Wno-unused-parameter -c $< -o $@
bpf-arm64: $(ARM64_OBJS)

test: gadgetbox
	bash scripts/test.sh

# the OCI image archive (docker load, podman load, ctr images import): the binary on an empty base, tagged
# IMAGE_REPO:VERSION; reproducible (scripts/ociarchive.py)
IMAGE_REPO ?= gadgetbox
image: gadgetbox
	$(say) IMAGE $(BUILD)/gadgetbox-image.tar
	$(Q)python3 scripts/ociarchive.py gadgetbox $(BUILD)/gadgetbox-image.tar ./gadgetbox $(VERSION) $(IMAGE_REPO) >/dev/null
	@echo "$(BUILD)/gadgetbox-image.tar: $(IMAGE_REPO):$(VERSION), $$(stat -c %s $(BUILD)/gadgetbox-image.tar) bytes"

# both architectures under one index (an x86-64 node pulls the amd64 image, an arm64 node the arm64 one)
image-multiarch: gadgetbox
	$(Q)$(MAKE) --no-print-directory arm64
	$(say) IMAGE $(BUILD)/gadgetbox-image-multiarch.tar
	$(Q)python3 scripts/ociarchive.py gadgetbox $(BUILD)/gadgetbox-image-multiarch.tar ./gadgetbox $(VERSION) $(IMAGE_REPO) ./gadgetbox-arm64 >/dev/null
	@echo "$(BUILD)/gadgetbox-image-multiarch.tar: $(IMAGE_REPO):$(VERSION) (amd64, arm64), $$(stat -c %s $(BUILD)/gadgetbox-image-multiarch.tar) bytes"

bench: gadgetbox
	bash scripts/bench/run.sh

# not part of make test: SOAK_MINUTES (default 10) of container churn under the streaming tracers (README)
soak: gadgetbox
	bash scripts/runtimes.sh up
	SOAK_MINUTES=$(or $(SOAK_MINUTES),10) /usr/bin/python3 scripts/soak.py

clean:
	rm -rf $(BUILD)/obj $(BUILD)/arm64 $(BUILD)/*.bpf.o $(BUILD)/*.skel.h $(BUILD)/vmlinux.h $(BUILD)/unit-tests $(LIB) gadgetbox gadgetbox-arm64
	rm -rf build/cross-arm64/obj build/cross-arm64/*.bpf.o build/cross-arm64/*.skel.h build/cross-arm64/vmlinux.h

# arm64 (README "Building for arm64"): the same sources cross-compiled with Debian's aarch64 gcc and arm64 musl
# into build/cross-arm64, and tested under emulation. The toolchain installs only for these targets.
.PHONY: arm64 test-arm64-user test-arm64 unit-cross
ifdef CROSS
# the unit tests as an arm64 static binary (no sanitizers: they need the host's runtime), run under qemu-user
$(BUILD)/unit/cJSON-$(ARCH).o: $(BUILD)/deps.stamp
	@mkdir -p $(dir $@)
	$(say) CC $(CJSON_SRC)
	$(Q)$(MUSL_CC) -g -O1 -c $(CJSON_SRC) -o $@
$(BUILD)/unit-tests-$(ARCH): $(UNIT_SRCS) $(UNIT_COMMON) $(HDRS) tests/unit/*.h $(BUILD)/syscalls.h $(BUILD)/unit/cJSON-$(ARCH).o
	$(say) CC $@
	$(Q)$(MUSL_CC) -static -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) $(TEST_INC) -Itests/unit -I$(DEPS)/include \
		-o $@ $(UNIT_SRCS) $(UNIT_COMMON) $(BUILD)/unit/cJSON-$(ARCH).o -lm -lpthread
unit-cross: $(BUILD)/unit-tests-$(ARCH)
# skelz runs on this machine: built with its musl-gcc and the sources of the same zlib (libz.a is arm64's here)
ZLIB_SRCS = $(addprefix $(BUILD)/deps/src/zlib/,adler32.c compress.c crc32.c deflate.c inffast.c inflate.c \
	inftrees.c trees.c uncompr.c zutil.c)
SKELZ_CROSS = musl-gcc -O2 -w -static -I$(BUILD)/deps/src/zlib -o $@ $< $(ZLIB_SRCS)
$(BUILD)/vmlinux.h: $(BTF) # a new arm64 kernel package: its BTF
$(BTF): | $(BUILD)/deps.stamp # written by scripts/build-deps.sh
else
arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64
test-arm64-user:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 all unit-cross
	bash scripts/test-arm64.sh user ./gadgetbox-arm64 build/cross-arm64
test-arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 all unit-cross
	bash scripts/test-arm64.sh user ./gadgetbox-arm64 build/cross-arm64
	bash scripts/test-arm64.sh system ./gadgetbox-arm64 build/cross-arm64
endif
