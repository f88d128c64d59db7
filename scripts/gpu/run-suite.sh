#!/usr/bin/env bash
# The GPU benchmark suite, run on the lent GPU machine from the project root:
#   source .gpu/boot.sh && bash .gpu/run-suite.sh "$OUT"
# Each benchmark writes its JSON and log under OUT; PyTorch baselines (copy, fp32 matmul with TF32 off,
# causal SDPA) run in the same call so that every ratio comes from one session on one machine.
set -u
out=${1:-/tmp/bench-out}
mkdir -p "$out"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run() {
  local name=$1; shift
  echo "=== $name"
  timeout "${SUITE_STEP_TIMEOUT:-240}" node "$here/bench/$name.mjs" --out "$out/$name.json" "$@" > "$out/$name.log" 2>&1
  echo "exit $?"; grep -v '^\[' "$out/$name.log" | tail -n 30
}
run matmul-bench
run scan-bench --quick
run attention-bench --skip-gla
run decode-bench --preset mamba,transformer --context 256,8192 --steps 16
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  echo "=== PyTorch baselines"
  python3 "$here/torch_reference.py" "$out/torch.json" copy,matmul,sdpa 2>&1 | tail -n 12
fi
