#!/usr/bin/env bash
# Build book/_static/train/trainer.wasm (or the file given as the first argument) from
# wasm/trainer.c with the C compiler of the `ziglang` package (pip install ziglang==0.17.1, the
# version .ci/run installs): WebAssembly with 128-bit SIMD, no libc, no start function. The
# output is the same, byte for byte, for the same source and compiler (tests/test_train_here.py
# checks the committed file). PYTHON names the Python that has ziglang (default: python).
set -euo pipefail
OUT=$(realpath -m "${1:-$(dirname "$0")/../book/_static/train/trainer.wasm}")
cd "$(dirname "$0")/.."
"${PYTHON:-python}" -m ziglang cc --target=wasm32-freestanding -msimd128 -O3 -fno-math-errno \
  -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--initial-memory=2097152 \
  -Wl,--strip-all -o "$OUT" wasm/trainer.c
chmod -x "$OUT"
ls -l "$OUT"
