# gadgetbox: one musl-static binary; see README.md.
#   make          build ./gadgetbox (installs build packages and builds zlib, libelf, libbpf once)
#   make test     unit tests (ASan+UBSan) and integration tests against the real kernel (as root)
#   make check    warnings-as-errors build and the unit tests under sanitizers
#   make bench    benchmarks against libbpf-tools (docs/bench.md, docs/bench.png)
# Variables: BTF=path (BTF used to generate vmlinux.h), BUILD=dir, V=1 (print every command).

BUILD ?= build
BTF ?= /sys/kernel/btf/vmlinux
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

DEPS := $(BUILD)/deps/prefix
MUSL_CC := musl-gcc -idirafter $(abspath $(BUILD))/deps/kernel-headers
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
SRCS := $(wildcard common/*.c) $(wildcard applets/*.c)
OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS))
# common code that needs neither libbpf nor the kernel: unit-tested with the host compiler and sanitizers
UNIT_COMMON := common/strbuf.c common/escape.c common/output.c common/cli.c common/cgroup.c common/errnames.c \
	common/clock.c common/openflags.c
UNIT_SRCS := $(wildcard tests/unit/*.c)

ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-7s %s\n'
endif

.PHONY: all deps test unit check bench clean
.SECONDARY:
all: $(BUILD)/deps.stamp gadgetbox

deps: $(BUILD)/deps.stamp
$(BUILD)/deps.stamp: scripts/build-deps.sh scripts/fetch-source.sh scripts/deps.list
	@BUILD=$(abspath $(BUILD)) bash scripts/build-deps.sh
	@touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/deps.stamp
	$(say) GEN $@
	$(Q)$(BPFTOOL) btf dump file $(BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h $(BUILD)/vmlinux.h
	$(say) BPF $<
	$(Q)clang -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -I$(DEPS)/include $(WARN) -Wno-unused-parameter -c $< -o $@
	$(Q)llvm-strip -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(say) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) | $(BUILD)/deps.stamp
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(MUSL_CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -DGADGETBOX_VERSION='"$(VERSION)"' \
		-I$(DEPS)/include -I$(BUILD) -MMD -MP -c $< -o $@

gadgetbox: $(OBJS)
	$(say) LINK $@
	$(Q)$(MUSL_CC) -static -s -o $@ $(OBJS) -L$(DEPS)/lib -lbpf -lelf -lz -lcjson

-include $(OBJS:.o=.d)

$(BUILD)/unit-tests: $(UNIT_SRCS) $(UNIT_COMMON) common/*.h tests/unit/*.h
	@mkdir -p $(BUILD)
	cc -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
		-Icommon -o $@ $(UNIT_SRCS) $(UNIT_COMMON) -lm

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

check: gadgetbox unit

test: gadgetbox
	bash scripts/test.sh

bench: gadgetbox
	bash scripts/bench/run.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/*.bpf.o $(BUILD)/*.skel.h $(BUILD)/vmlinux.h $(BUILD)/unit-tests gadgetbox
