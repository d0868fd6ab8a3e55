#!/usr/bin/env bash
# Build book/_static/train/trainer.wasm from wasm/trainer.c with the C compiler of the `ziglang`
# package (pip install ziglang): WebAssembly with 128-bit SIMD, no libc, no start function.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m ziglang cc --target=wasm32-freestanding -msimd128 -O3 -fno-math-errno \
  -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--initial-memory=2097152 \
  -Wl,--strip-all -o book/_static/train/trainer.wasm wasm/trainer.c
ls -l book/_static/train/trainer.wasm
