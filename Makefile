# Wraps CMake. `make check` builds and runs every test; `make demo` runs the main job.
# SANITIZE=1 builds with ASan+UBSan into build-san/.
ifeq ($(SANITIZE),1)
BUILD ?= build-san
CMAKE_FLAGS += -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD ?= build
endif
JOBS ?= 2

.PHONY: all deps build check demo bench clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)/chimera

bench: build
	@sh bench/lab/bench_lab.sh $(BUILD)/chimera
	@sh bench/fanout/bench_fanout.sh $(BUILD)/chimera
	@sh bench/watch/bench_watch.sh $(BUILD)/chimera
	@sh bench/api/bench_api.sh $(BUILD)/chimera
	@sh bench/vm/bench_vm.sh $(BUILD)/chimera
	@sh bench/web/bench_web.sh $(BUILD)/chimera $(BUILD)
	@$(BUILD)/bench_ledger
	@$(BUILD)/bench_pipeline ../shared

clean:
	rm -rf build build-san build-fuzz

# Builds libFuzzer binaries with clang into build-fuzz/ and runs each for FUZZ_SECONDS, every
# one even after another crashed (scripts/fuzz.sh), ending with a table; fails if any crashed.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_NAMES = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))

.PHONY: fuzz

fuzz:
	@sh scripts/deps.sh fuzz
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DFUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@sh scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)
