#!/bin/sh
# Configures and builds rebate into BUILD_DIR (default: build) with extra
# CMake arguments passed through, e.g. -DREBATE_SANITIZE=ON.
set -eu
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" >/dev/null
