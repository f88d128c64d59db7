// Attention decode (flash-decoding): one query per (b, h) (L = 1, so the causal mask hides nothing) against
// S keys, split over the keys. Entry `partial`: grid (nSplit, Hkv, B); the workgroup takes keys
// [split·chunk, min(S, (split + 1)·chunk)) of KV head hk (none when split·chunk >= S) for the H / Hkv query heads that share it, GMAX heads
// at a time, so the grouped heads read each K and V row once. Scores (q pre-scaled by scale·log2e; exp2) go to
// workgroup memory, then the chunk's max and sum per head (tree reductions), then Σ p·v with the invocations
// split as (key group, vec4 column) so that V rows are read coalesced. It writes the unnormalized output and
// (max, sum) of its chunk to W. Entry `combine`: one workgroup per (b, h) merges the nSplit partials with the
// log-sum-exp rule, divides by the total sum and applies the sigmoid gate.
//
// K and V are read as vec4 (the host checks that E and the K/V strides are multiples of 4). Same Params,
// strides and gate kinds as attention_flash.wgsl, plus chunk and nSplit. W holds B·H·nSplit·D4 vec4 outputs,
// then B·H·nSplit vec4 (max, sum, 0, 0). Both entries touch every binding so that they share one binding
// list: Q, K, V, G, W, O.
//
// Prepended by the host (besides the Params struct): const D4 (head-dim bucket / 4), WG, GMAX (query heads
// per pass, at most the group's size), CHMAX, NJ (= WG / D4), PVU (keys whose V rows an invocation loads at
// once), and the K and V bindings K4 / V4 (2, 3) with their vec4 readers read_k4 / read_v4 (storage-read.ts:
// float32 or fp16 storage, such as an fp16 KV cache).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> W: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;

const MASKED: f32 = -1.0e30;
const LOG2E: f32 = 1.4426950408889634;

var<workgroup> qS: array<vec4<f32>, GMAX * D4>;
var<workgroup> sc: array<f32, GMAX * CHMAX>;
var<workgroup> red: array<f32, GMAX * WG>;
var<workgroup> red4: array<vec4<f32>, GMAX * WG>;

fn loadQ(base: u32, e: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < P.E) { r[c] = Q[base + e + c]; } }
  return r;
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let z = exp(x);
  return z / (1.0 + z);
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  _ = &O; _ = &G;
  let split = wid.x;
  let hk = wid.y;
  let b = wid.z;
  let nG = P.H / P.Hkv;
  let s0 = split * P.chunk;
  // Splits at or past S (a split planned for a cache's capacity) take no keys and write (MASKED, 0).
  var n = 0u;
  if (s0 < P.S) { n = min(P.S - s0, P.chunk); }
  let E4 = P.E / 4u;
  let qScale = P.scale * LOG2E;
  let kRow0 = (b * P.kSB + hk * P.kSH) / 4u + s0 * (P.kSL / 4u);
  let vRow0 = (b * P.vSB + hk * P.vSH) / 4u + s0 * (P.vSL / 4u);
  let kStride = P.kSL / 4u;
  let vStride = P.vSL / 4u;
  let jg = t / D4;
  let col = t % D4;

  for (var g0 = 0u; g0 < nG; g0 += GMAX) {
    let gn = min(GMAX, nG - g0);
    for (var idx = t; idx < GMAX * D4; idx += WG) {
      let g = idx / D4;
      var x = vec4<f32>(0.0);
      if (g < gn) { x = loadQ(b * P.qSB + (hk * nG + g0 + g) * P.qSH, 4u * (idx % D4)) * qScale; }
      qS[idx] = x;
    }
    workgroupBarrier();

    // Scores: one key row per invocation (read once for all GMAX heads).
    var mx: array<f32, GMAX>;
    for (var g = 0u; g < GMAX; g++) { mx[g] = MASKED; }
    for (var jj = t; jj < n; jj += WG) {
      let kb = kRow0 + jj * kStride;
      var d: array<f32, GMAX>;
      for (var g = 0u; g < GMAX; g++) { d[g] = 0.0; }
      for (var c = 0u; c < D4; c++) {
        if (c < E4) {
          let kk = read_k4(kb + c);
          for (var g = 0u; g < GMAX; g++) { d[g] += dot(qS[g * D4 + c], kk); }
        }
      }
      for (var g = 0u; g < GMAX; g++) {
        sc[g * CHMAX + jj] = d[g];
        mx[g] = max(mx[g], d[g]);
      }
    }
    for (var g = 0u; g < GMAX; g++) { red[g * WG + t] = mx[g]; }
    workgroupBarrier();
    for (var st = WG / 2u; st > 0u; st = st / 2u) {
      if (t < st) {
        for (var g = 0u; g < GMAX; g++) { red[g * WG + t] = max(red[g * WG + t], red[g * WG + t + st]); }
      }
      workgroupBarrier();
    }
    var mg: array<f32, GMAX>;
    for (var g = 0u; g < GMAX; g++) { mg[g] = red[g * WG]; }
    workgroupBarrier();

    // Probabilities and the chunk's sums.
    var ls: array<f32, GMAX>;
    for (var g = 0u; g < GMAX; g++) { ls[g] = 0.0; }
    for (var jj = t; jj < n; jj += WG) {
      for (var g = 0u; g < GMAX; g++) {
        let p = exp2(sc[g * CHMAX + jj] - mg[g]);
        sc[g * CHMAX + jj] = p;
        ls[g] += p;
      }
    }
    for (var g = 0u; g < GMAX; g++) { red[g * WG + t] = ls[g]; }
    workgroupBarrier();
    for (var st = WG / 2u; st > 0u; st = st / 2u) {
      if (t < st) {
        for (var g = 0u; g < GMAX; g++) { red[g * WG + t] += red[g * WG + t + st]; }
      }
      workgroupBarrier();
    }

    // Σ p·v: invocation (jg, col) takes keys jg, jg + NJ, ... and head dims 4·col .. 4·col + 3.
    var acc: array<vec4<f32>, GMAX>;
    for (var g = 0u; g < GMAX; g++) { acc[g] = vec4<f32>(0.0); }
    if (col < E4) {
      // PVU keys per step, so that PVU V loads are in flight at once.
      for (var j4 = jg; j4 < n; j4 += PVU * NJ) {
        var vv: array<vec4<f32>, PVU>;
        for (var u = 0u; u < PVU; u++) {
          let jj = j4 + u * NJ;
          vv[u] = vec4<f32>(0.0);
          if (jj < n) { vv[u] = read_v4(vRow0 + jj * vStride + col); }
        }
        for (var u = 0u; u < PVU; u++) {
          let jj = min(j4 + u * NJ, n - 1u);
          for (var g = 0u; g < GMAX; g++) { acc[g] = fma(vec4<f32>(sc[g * CHMAX + jj]), vv[u], acc[g]); }
        }
      }
    }
    for (var g = 0u; g < GMAX; g++) { red4[g * WG + t] = acc[g]; }
    workgroupBarrier();
    for (var st = NJ / 2u; st > 0u; st = st / 2u) {
      if (jg < st) {
        for (var g = 0u; g < GMAX; g++) { red4[g * WG + t] += red4[g * WG + t + st * D4]; }
      }
      workgroupBarrier();
    }
    if (t < GMAX * D4) {
      let g = t / D4;
      let c = t % D4;
      if (g < gn) {
        let slot = (b * P.H + hk * nG + g0 + g) * P.nSplit + split;
        W[slot * D4 + c] = red4[g * WG + c];
        if (c == 0u) { W[P.B * P.H * P.nSplit * D4 + slot] = vec4<f32>(mg[g], red[g * WG], 0.0, 0.0); }
      }
    }
    workgroupBarrier();
  }
}

var<workgroup> cm: array<vec4<f32>, WG>;
var<workgroup> co: array<vec4<f32>, WG>;

// One workgroup per (h, b): invocation (split group sg < NJ, vec4 column c) folds splits sg, sg + NJ, ... with
// a running max, then the NJ folds of each column are merged.
@compute @workgroup_size(WG)
fn combine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  _ = &Q; _ = &K4; _ = &V4;
  let h = wid.x;
  let b = wid.y;
  let bh = b * P.H + h;
  let sg = t / D4;
  let c = t % D4;
  let mlBase = P.B * P.H * P.nSplit * D4;
  var m = MASKED;
  var total = 0.0;
  var o = vec4<f32>(0.0);
  for (var s = sg; s < P.nSplit; s += NJ) {
    let ml = W[mlBase + bh * P.nSplit + s];
    let os = W[(bh * P.nSplit + s) * D4 + c];
    let mNew = max(m, ml.x);
    let fOld = exp2(m - mNew);
    let f = exp2(ml.x - mNew);
    total = total * fOld + f * ml.y;
    o = o * fOld + f * os;
    m = mNew;
  }
  cm[t] = vec4<f32>(m, total, 0.0, 0.0);
  co[t] = o;
  workgroupBarrier();
  if (sg != 0u) { return; }
  var mAll = MASKED;
  for (var q = 0u; q < NJ; q++) { mAll = max(mAll, cm[q * D4 + c].x); }
  var sum = 0.0;
  var acc = vec4<f32>(0.0);
  for (var q = 0u; q < NJ; q++) {
    let x = cm[q * D4 + c];
    let f = select(exp2(x.x - mAll), 0.0, x.x == MASKED);
    sum += f * x.y;
    acc = fma(vec4<f32>(f), co[q * D4 + c], acc);
  }
  var inv = 0.0;
  if (sum > 0.0) { inv = 1.0 / sum; }
  acc = acc * inv;
  let oBase = b * P.oSB + h * P.oSH;
  let gBase = b * P.gSB + h * P.gSH;
  var headGate = 1.0;
  if (P.gateKind == 2u) { headGate = sigmoid(G[gBase]); }
  for (var u = 0u; u < 4u; u++) {
    let e = 4u * c + u;
    if (e < P.E) {
      var g = headGate;
      if (P.gateKind == 1u) { g = sigmoid(G[gBase + e]); }
      O[oBase + e] = acc[u] * g;
    }
  }
}
