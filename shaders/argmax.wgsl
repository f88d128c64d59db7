// Argmax over the last dimension (greedy decoding on the GPU): Ids[r] = the index of the largest of
// X[r, 0..width), the first one on ties; NaN never wins (a row of NaN gives 0). One workgroup per row; each
// invocation scans a strided part of the row, then (value, index) pairs are reduced in workgroup memory.
// With history, also Hist[r·histStride + histIndex] = Ids[r] (the generated tokens, kept on the GPU).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // rows, width, history, histStride, histIndex
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> Hist: array<u32>;

var<workgroup> bestV: array<f32, WG>;
var<workgroup> bestI: array<u32, WG>;

const NONE: u32 = 0xffffffffu;

// Whether (v, i) beats (w, j): larger value, or equal value and smaller index; an empty slot (NONE) never wins.
fn better(v: f32, i: u32, w: f32, j: u32) -> bool {
  if (i == NONE) { return false; }
  if (j == NONE) { return true; }
  return v > w || (v == w && i < j);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.rows) { return; }   // uniform per workgroup: safe before the barriers
  let base = r * P.width;
  var v = 0.0;
  var idx = NONE;
  // Four independent loads per step (the row is long: keep several reads in flight), then the compares in
  // index order. x == x is false for NaN. Indices rise along the scan, so ties keep the first.
  for (var i = t; i < P.width; i += 4u * WG) {
    var xs: array<f32, 4>;
    for (var u = 0u; u < 4u; u++) {
      let at = i + u * WG;
      xs[u] = select(0.0, X[base + min(at, P.width - 1u)], at < P.width);
    }
    for (var u = 0u; u < 4u; u++) {
      let at = i + u * WG;
      let x = xs[u];
      if (at < P.width && x == x && (idx == NONE || x > v)) { v = x; idx = at; }
    }
  }
  bestV[t] = v;
  bestI[t] = idx;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (t < stride && better(bestV[t + stride], bestI[t + stride], bestV[t], bestI[t])) {
      bestV[t] = bestV[t + stride];
      bestI[t] = bestI[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let id = select(bestI[0], 0u, bestI[0] == NONE);
    Ids[r] = id;
    if (P.history == 1u) { Hist[r * P.histStride + P.histIndex] = id; }
  }
}
