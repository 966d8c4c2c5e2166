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
	@$(BUILD)/bench_ledger

clean:
	rm -rf build build-san
