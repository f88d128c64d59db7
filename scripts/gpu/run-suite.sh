#!/usr/bin/env bash
# The GPU benchmark suite, run on the lent GPU machine from the project root:
#   source .gpu/boot.sh && bash .gpu/run-suite.sh "$OUT"
# Each benchmark writes its JSON under OUT and its output to OUT/suite.log (one log, so that the files stay
# within the 8 the device tool brings back: 4 JSON, torch.json, suite.log). PyTorch baselines (copy, fp32 matmul with TF32 off,
# causal SDPA) run first in the same call and the matmul and attention benchmarks read them (--torch), so
# every ratio comes from one session on one machine.
set -u
out=${1:-/tmp/bench-out}
mkdir -p "$out"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run() {
  local name=$1; shift
  echo "=== $name"
  local log
  log=$(mktemp)
  timeout "${SUITE_STEP_TIMEOUT:-240}" node "$here/bench/$name.mjs" --out "$out/$name.json" "$@" > "$log" 2>&1
  local code=$?
  { echo "=== $name $* (exit $code)"; cat "$log"; } >> "$out/suite.log"
  echo "exit $code"; grep -v '^\[' "$log" | tail -n 30
  rm -f "$log"
}
torch=()
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  echo "=== PyTorch baselines"
  python3 "$here/torch_reference.py" "$out/torch.json" copy,matmul,sdpa 2>&1 | tail -n 12
  torch=(--torch "$out/torch.json")
fi
run matmul-bench "${torch[@]}"
run scan-bench --quick
run attention-bench --skip-gla "${torch[@]}"
run decode-bench --preset mamba,transformer --context 256,8192 --steps 16 --weights f32,f16
