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
	@$(BUILD)/bench_ledger
	@$(BUILD)/bench_pipeline ../shared

clean:
	rm -rf build build-san build-fuzz

# Builds libFuzzer binaries with clang into build-fuzz/ and runs each for FUZZ_SECONDS.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_NAMES = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))

.PHONY: fuzz

fuzz:
	@sh scripts/deps.sh fuzz
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DFUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/artifacts
	@for n in $(FUZZ_NAMES); do \
		$(FUZZ_BUILD)/fuzz/$${n}_replay --write-seeds $(FUZZ_BUILD)/corpus/$$n || exit 1; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$(FUZZ_BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$n- \
			$(FUZZ_BUILD)/corpus/$$n 2>$(FUZZ_BUILD)/fuzz-$$n.log || \
			{ tail -n 60 $(FUZZ_BUILD)/fuzz-$$n.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|^fuzz: ' \
			$(FUZZ_BUILD)/fuzz-$$n.log; \
	done
