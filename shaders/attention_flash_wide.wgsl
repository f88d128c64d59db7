// Flash attention forward for wide heads (E > 64; attention_flash.wgsl covers E <= 64), with a fused sigmoid
// output gate. One workgroup per (query tile of BQ rows, head h,
// batch b); grid (ceil(L / BQ), H, B). Each query row is owned by SPLIT invocations, each holding a slice of
// SL head dimensions of the (pre-scaled) query and of the output accumulator in registers. K and V tiles of
// BK keys pass through workgroup memory; the softmax is online (running max m and sum l per row), so the
// L×S score matrix is never written to GPU memory.
//
// Dimensions: B batch, H query heads, Hkv key/value heads (H a multiple of Hkv: grouped-query), L queries,
// S keys, E head dim (E <= DPAD). Element (b, h, pos, e) of each operand sits at b·sB + h·sH + pos·sL + e,
// so (B, H, L, E), (B, L, H·E) and a KV cache (B, Hkv, capacity, E) holding S valid positions all work.
// Causal masking is bottom-right aligned: query i sees keys j <= i + S - L. Masked scores are the finite
// sentinel MASKED (never an infinity) and their probabilities are set to exactly zero. A row that sees no
// key at all outputs zeros. Gate: gateKind 0 none, 1 elementwise (gate at e), 2 per head (gate at e = 0);
// out = softmax(q·kᵀ·scale) v · sigmoid(gate).
//
// Prepended by the host (besides the Params struct): const DPAD, SPLIT, SL, BQ, BK, WG (= BQ·SPLIT), PARTIAL_LEN,
// and the K and V bindings (2, 3) with their readers read_k / read_v (storage-read.ts: float32 or fp16).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;

const MASKED: f32 = -1.0e30;
const D4: u32 = DPAD / 4u;
const SL4: u32 = SL / 4u;

var<workgroup> kTile: array<vec4<f32>, BK * D4>;
var<workgroup> vTile: array<vec4<f32>, BK * D4>;
// Partial dot products of the SPLIT slices of a row (used only when SPLIT > 1).
var<workgroup> partial: array<f32, PARTIAL_LEN>;

fn loadQ(base: u32, e: u32) -> vec4<f32> {
  if (e + 3u < P.E) { return vec4<f32>(Q[base + e], Q[base + e + 1u], Q[base + e + 2u], Q[base + e + 3u]); }
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < P.E) { r[c] = Q[base + e + c]; } }
  return r;
}

fn loadK(base: u32, e: u32) -> vec4<f32> {
  if (e + 3u < P.E) { return vec4<f32>(read_k(base + e), read_k(base + e + 1u), read_k(base + e + 2u), read_k(base + e + 3u)); }
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < P.E) { r[c] = read_k(base + e + c); } }
  return r;
}

fn loadV(base: u32, e: u32) -> vec4<f32> {
  if (e + 3u < P.E) { return vec4<f32>(read_v(base + e), read_v(base + e + 1u), read_v(base + e + 2u), read_v(base + e + 3u)); }
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < P.E) { r[c] = read_v(base + e + c); } }
  return r;
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let z = exp(x);
  return z / (1.0 + z);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let qTile = wid.x;
  let h = wid.y;
  let b = wid.z;
  let hk = h / (P.H / P.Hkv);
  let r = t / SPLIT;            // row of this invocation inside the tile
  let part = t % SPLIT;         // which slice of the head dim it owns
  let row0 = qTile * BQ;
  let i = row0 + r;             // query position
  let rowValid = i < P.L;
  let ic = min(i, P.L - 1u);
  let e0 = part * SL;

  var q: array<vec4<f32>, SL4>;
  var acc: array<vec4<f32>, SL4>;
  let qBase = b * P.qSB + h * P.qSH + ic * P.qSL;
  for (var c = 0u; c < SL4; c++) {
    q[c] = loadQ(qBase, e0 + 4u * c) * P.scale;
    acc[c] = vec4<f32>(0.0);
  }
  var m = MASKED;
  var l = 0.0;

  // Keys needed by this tile: all S, or (causal) up to the last row's diagonal.
  let shift = i32(P.S) - i32(P.L);
  var kEnd = i32(P.S);
  if (P.causal == 1u) {
    let lastRow = i32(min(row0 + BQ, P.L)) - 1;
    kEnd = clamp(lastRow + shift + 1, 0, i32(P.S));
  }
  let nTiles = (u32(kEnd) + BK - 1u) / BK;
  let kBase = b * P.kSB + hk * P.kSH;
  let vBase = b * P.vSB + hk * P.vSH;
  let limit = i32(i) + shift;   // last key this row sees when causal

  for (var tile = 0u; tile < nTiles; tile++) {
    let j0 = tile * BK;
    for (var idx = t; idx < BK * D4; idx += WG) {
      let jj = idx / D4;
      let e = 4u * (idx % D4);
      let j = j0 + jj;
      var kv = vec4<f32>(0.0);
      var vv = vec4<f32>(0.0);
      if (j < P.S) {
        kv = loadK(kBase + j * P.kSL, e);
        vv = loadV(vBase + j * P.vSL, e);
      }
      kTile[idx] = kv;
      vTile[idx] = vv;
    }
    workgroupBarrier();

    var s: array<f32, BK>;
    let sliceAt = part * SL4;
    for (var jj = 0u; jj < BK; jj++) {
      var d = 0.0;
      let at = jj * D4 + sliceAt;
      for (var c = 0u; c < SL4; c++) { d += dot(q[c], kTile[at + c]); }
      s[jj] = d;
    }
    if (SPLIT > 1u) {
      for (var jj = 0u; jj < BK; jj++) { partial[jj * WG + t] = s[jj]; }
      workgroupBarrier();
      for (var jj = 0u; jj < BK; jj++) {
        var total = 0.0;
        for (var p = 0u; p < SPLIT; p++) { total += partial[jj * WG + r * SPLIT + p]; }
        s[jj] = total;
      }
    }

    var mNew = m;
    for (var jj = 0u; jj < BK; jj++) {
      let j = j0 + jj;
      let visible = j < P.S && (P.causal == 0u || i32(j) <= limit);
      if (!visible) { s[jj] = MASKED; }
      mNew = max(mNew, s[jj]);
    }
    let corr = exp(m - mNew);
    l = l * corr;
    for (var c = 0u; c < SL4; c++) { acc[c] = acc[c] * corr; }
    for (var jj = 0u; jj < BK; jj++) {
      var p = exp(s[jj] - mNew);
      if (s[jj] == MASKED) { p = 0.0; }
      l += p;
      let at = jj * D4 + sliceAt;
      for (var c = 0u; c < SL4; c++) { acc[c] = fma(vec4<f32>(p), vTile[at + c], acc[c]); }
    }
    m = mNew;
    workgroupBarrier();
  }

  if (!rowValid) { return; }
  var inv = 0.0;
  if (l > 0.0) { inv = 1.0 / l; }
  let oBase = b * P.oSB + h * P.oSH + i * P.oSL;
  let gBase = b * P.gSB + h * P.gSH + i * P.gSL;
  var headGate = 1.0;
  if (P.gateKind == 2u) { headGate = sigmoid(G[gBase]); }
  for (var c = 0u; c < SL4; c++) {
    let o4 = acc[c] * inv;
    for (var u = 0u; u < 4u; u++) {
      let e = e0 + 4u * c + u;
      if (e < P.E) {
        var g = headGate;
        if (P.gateKind == 1u) { g = sigmoid(G[gBase + e]); }
        O[oBase + e] = o4[u] * g;
      }
    }
  }
}
