# Convenience entry points; the scripts do the work.
.PHONY: all deps build test demo lint asan tsan install package clean

all: build

deps:
	scripts/deps.sh

build:
	scripts/deps.sh build unit
	cmake --preset default >/dev/null
	cmake --build build -j$$(nproc)

# The whole suite as CI runs it.
test:
	scripts/test.sh

# The main job on the local sandbox testbed; REAL=1 on the real tier
# (the real Kubernetes programs, built on first use).
demo:
	REAL="$(REAL)" scripts/demo.sh

lint: build
	scripts/deps.sh lint
	scripts/lint.sh build

asan:
	scripts/deps.sh build unit
	cmake --preset asan >/dev/null
	cmake --build build-asan -j$$(nproc)
	cd build-asan && ctest --output-on-failure -L unit

# Every test that runs pharos, under ThreadSanitizer; any report fails it
# (scripts/tsan.sh says where they are). Too slow for `make test`.
tsan:
	scripts/tsan.sh

install: build
	cmake --install build

# pharos, pharos-plugins and pharos-dev as .debs (debian preset) and .rpms (el preset) in dist/.
package:
	scripts/deps.sh build package
	scripts/package.sh

clean:
	rm -rf build build-demo build-asan build-tsan build-debian build-el build-package-debian build-package-el dist
