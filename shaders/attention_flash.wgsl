// Flash attention forward with a fused sigmoid output gate, for head dims up to 64 (DPAD 32 or 64).
// One workgroup per (query tile of BQ rows, head h, batch b); grid (ceil(L / BQ), H, B). Query tiles are
// taken in reverse order (the longest causal rows first) to balance the causal work.
//
// Invocation (ty, tx), ty < RT, tx < CT (= D4, the number of vec4 columns of the head dim), owns TM (4 by
// default, or 8) query rows (ty·TM .. ty·TM + TM - 1) in both matmuls:
//   scores  S = Q·Kᵀ: a TM × KN register tile (keys tx·KN .. tx·KN + KN - 1 of the BK-key tile), each
//           score a chain of fmas over the head dim (a dot product then an add would cost one more op),
//   output  O += P·V: a TM × 4 register tile (head dims 4·tx .. 4·tx + 3).
// Each row's registers are written out by the host (lines ending in //@unroll-r repeat for rows # = 0 ..
// TM - 1, //@unroll-n for keys @ = 0 .. KN - 1, //@unroll-w for the vec4 $ of KN when KN % 4 = 0,
// //@unroll-u for the P·V loop's vec4 ~ = 0 .. PVU - 1 of a step; see unroll-lines.ts), so keeping them in
// registers does not depend on a compiler unrolling loops: with arrays indexed in loops, 8 rows per
// invocation ran 2.5x slower on an H200 at the same residency.
// The Q tile (pre-scaled by scale·log2e, so the softmax uses exp2) stays in workgroup memory for the whole
// key loop; each key tile goes global -> registers (prefetched one tile ahead) -> workgroup memory. The K
// tile is stored with its vec4 columns XOR-swizzled by the reading invocation's tx, so the CT invocations
// of a row read distinct banks. After the scores the same memory holds the probabilities P (BQ × BK), and
// the V tile's memory first carries the per-invocation row maxima (online softmax needs one max per row
// across the CT invocations that share it). The L×S score matrix is never written to GPU memory.
// (Measured on an H200 and not kept, docs/measurements/h200/run-2026-12-02g: 32-lane blocks of 8 row groups
// × 4 column groups with the Q and P tiles swizzled by row group, no faster; Q staged with V read directly,
// 1.5x slower; without the third barrier per key tile in the direct form, no faster.)
//
// Dimensions: B batch, H query heads, Hkv key/value heads (H a multiple of Hkv: grouped-query), L queries,
// S keys, E head dim (E <= DPAD). Element (b, h, pos, e) of each operand sits at b·sB + h·sH + pos·sL + e,
// so (B, H, L, E), (B, L, H·E) and a KV cache (B, Hkv, capacity, E) holding S valid positions all work.
// Causal masking is bottom-right aligned: query i sees keys j <= i + S - L; only tiles that cross the
// diagonal or the end of the keys are masked. Masked scores are the finite sentinel MASKED (never an
// infinity) and their probabilities are exactly zero. A row that sees no key at all outputs zeros.
// Gate: gateKind 0 none, 1 elementwise (gate at e), 2 per head (gate at e = 0); out = softmax(q·kᵀ·scale) v · sigmoid(gate).
//
// DIRECT (host constant): Q and V are not staged in workgroup memory; each invocation reads its Q rows
// and the V rows of a key tile as vec4 straight from their buffers (through the cache: bindings 6 and 7,
// the Q and V buffers again as vec4 arrays, read by q_direct / v_direct), and the scores are scaled after
// the dot products. The workgroup memory left (K then P, and the row partials) is 20 KiB instead of 48 for
// 64×64 tiles, so more workgroups fit per SM. Needs E and the Q/V strides multiples of 4; the host takes it
// for long key ranges (attention.ts, FLASH_DIRECT_MIN_KEYS).
//
// Prepended by the host (besides the Params struct): const D4, CT (= D4), TM, RT, BQ (= TM·RT), BK, KN (= BK / CT),
// WG (= RT·CT), QS_LEN (BQ·D4; 1 when DIRECT), KP_LEN (max(BK·D4, BQ·BK / 4)), V_LEN (BK·D4; BQ·CT / 4
// when DIRECT; >= BQ·CT / 4), LD (ceil(BK·D4 / WG)), PVU (a divisor of BK / 4), PREFETCH, DIRECT, DIAG
// (0; benchmarks only, wrong results: 1 no score fmas, 2 no P·V, 3 no exp2, 4 neither matmul), q_direct /
// v_direct, the K and V bindings (2, 3) with their readers read_k / read_v (storage-read.ts: float32 or
// fp16 storage, such as an fp16 KV cache), and
// residency_enter / residency_leave (benchmarks: resident workgroups in a counter at binding 8; empty
// otherwise).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;

const MASKED: f32 = -1.0e30;
const LOG2E: f32 = 1.4426950408889634;
const BK4: u32 = BK / 4u;
const CT4: u32 = CT / 4u;

var<workgroup> qS: array<vec4<f32>, QS_LEN>;
// The K tile (swizzled), then the probabilities P (rows of BK4 vec4).
var<workgroup> kpS: array<vec4<f32>, KP_LEN>;
// The row-max partials (BQ rows of CT floats), then the V tile (rows of D4 vec4).
var<workgroup> vS: array<vec4<f32>, V_LEN>;

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

// Slot u of the key tile starting at key j0: key j0 + (t + u·WG) / D4, vec4 column (t + u·WG) % D4 of K
// (when withK) and V (when withV); zero past the keys.
fn load_kv(kr: ptr<function, array<vec4<f32>, LD>>, vr: ptr<function, array<vec4<f32>, LD>>, t: u32, j0: u32, kBase: u32, vBase: u32, withK: bool, withV: bool) {
  for (var u = 0u; u < LD; u++) {
    let idx = t + u * WG;
    let j = j0 + idx / D4;
    let ok = idx < BK * D4 && j < P.S;
    if (withK) {
      (*kr)[u] = vec4<f32>(0.0);
      if (ok) { (*kr)[u] = loadK(kBase + j * P.kSL, 4u * (idx % D4)); }
    }
    if (withV) {
      (*vr)[u] = vec4<f32>(0.0);
      if (ok) { (*vr)[u] = loadV(vBase + j * P.vSL, 4u * (idx % D4)); }
    }
  }
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let z = exp(x);
  return z / (1.0 + z);
}

// exp2, or (diagnostic 3, wrong results) an affine stand-in off the special-function unit.
fn ex2(x: f32) -> f32 {
  if (DIAG == 3u) { return 1.0 + x * 0.0001; }
  return exp2(x);
}

fn max4(x: vec4<f32>) -> f32 {
  return max(max(x.x, x.y), max(x.z, x.w));
}

// Row i (local) of the tile: its row-sum partials in vS give the normalizer; the gated output goes to O.
fn store_row(b: u32, h: u32, rowLocal: u32, row: u32, tx: u32, acc: vec4<f32>) {
  if (row >= P.L) { return; }
  var total = 0.0;
  for (var w = 0u; w < CT4; w++) { let x = vS[rowLocal * CT4 + w]; total += (x.x + x.y) + (x.z + x.w); }
  var inv = 0.0;
  if (total > 0.0) { inv = 1.0 / total; }
  let o4 = acc * inv;
  let oBase = b * P.oSB + h * P.oSH + row * P.oSL;
  let gBase = b * P.gSB + h * P.gSH + row * P.gSL;
  var headGate = 1.0;
  if (P.gateKind == 2u) { headGate = sigmoid(G[gBase]); }
  let e0 = 4u * tx;
  for (var u = 0u; u < 4u; u++) {
    let e = e0 + u;
    if (e < P.E) {
      var g = headGate;
      if (P.gateKind == 1u) { g = sigmoid(G[gBase + e]); }
      O[oBase + e] = o4[u] * g;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let nQT = (P.L + BQ - 1u) / BQ;
  let qTile = nQT - 1u - wid.x;
  let h = wid.y;
  let b = wid.z;
  let hk = h / (P.H / P.Hkv);
  let ty = t / CT;
  let tx = t % CT;
  let row0 = qTile * BQ;
  let r0 = ty * TM;

  let qScale = P.scale * LOG2E;
  let qBase = b * P.qSB + h * P.qSH;
  if (!DIRECT) {
    for (var idx = t; idx < BQ * D4; idx += WG) {
      let i = row0 + idx / D4;
      var x = vec4<f32>(0.0);
      if (i < P.L) { x = loadQ(qBase + i * P.qSL, 4u * (idx % D4)) * qScale; }
      qS[idx] = x;
    }
  }
  // DIRECT: vec4 index of this invocation's Q rows (rows past L read row L - 1: finite, never stored).
  let E4 = P.E / 4u;
  let qRow# = (qBase + min(row0 + r0 + #, P.L - 1u) * P.qSL) / 4u;  //@unroll-r

  // Keys needed by this tile: all S, or (causal) up to the last row's diagonal.
  let shift = i32(P.S) - i32(P.L);
  let causal = P.causal == 1u;
  var kEnd = i32(P.S);
  if (causal) {
    let lastRow = i32(min(row0 + BQ, P.L)) - 1;
    kEnd = clamp(lastRow + shift + 1, 0, i32(P.S));
  }
  let nTiles = (u32(kEnd) + BK - 1u) / BK;
  let seenByAll = i32(row0) + shift;   // every row of the tile sees keys <= this (causal)
  let kBase = b * P.kSB + hk * P.kSH;
  let vBase = b * P.vSB + hk * P.vSH;

  // Per row r (written out by the host for r < TM): running max m, sum l, output accumulator acc.
  var m# = MASKED;  //@unroll-r
  var l# = 0.0;  //@unroll-r
  var acc# = vec4<f32>(0.0);  //@unroll-r

  // The key tile's K and V pass through registers: with PREFETCH, the first tile's are loaded here and
  // each next tile's during the current one (register double buffering); without, K is loaded at the
  // start of its tile and V just before it is stored (fewer live registers).
  var kr: array<vec4<f32>, LD>;
  var vr: array<vec4<f32>, LD>;
  if (PREFETCH && nTiles > 0u) {
    load_kv(&kr, &vr, t, 0u, kBase, vBase, true, !DIRECT);
  }
  if (t == 0u) { residency_enter(); }

  for (var tile = 0u; tile < nTiles; tile++) {
    let j0 = tile * BK;
    if (!PREFETCH) { load_kv(&kr, &vr, t, j0, kBase, vBase, true, false); }
    // K tile into workgroup memory, vec4 column c of key jj at c ^ (jj / KN) (the reader's tx).
    for (var u = 0u; u < LD; u++) {
      let idx = t + u * WG;
      if (idx < BK * D4) {
        let jj = idx / D4;
        kpS[jj * D4 + ((idx % D4) ^ ((jj / KN) % D4))] = kr[u];
      }
    }
    workgroupBarrier();

    // Scores of TM rows (s#) × KN keys (s#[@]).
    var s# = array<f32, KN>();  //@unroll-r
    for (var c = 0u; c < select(D4, 0u, DIAG == 1u || DIAG == 4u); c++) {
      var q# = vec4<f32>(0.0);  //@unroll-r
      if (DIRECT) {
        if (c < E4) {
          q# = q_direct(qRow# + c);  //@unroll-r
        }
      } else {
        q# = qS[(r0 + #) * D4 + c];  //@unroll-r
      }
      let cs = c ^ tx;
      let k@ = kpS[(tx * KN + @) * D4 + cs];  //@unroll-n
      s#[@] = fma(q#.w, k@.w, fma(q#.z, k@.z, fma(q#.y, k@.y, fma(q#.x, k@.x, s#[@]))));  //@unroll-n //@unroll-r
    }
    if (DIRECT) {
      s#[@] *= qScale;  //@unroll-r //@unroll-n
    }
    let needMask = j0 + BK > P.S || (causal && i32(j0 + BK) - 1 > seenByAll);
    if (needMask) {
      let limit# = i32(row0 + r0 + #) + shift;  //@unroll-r
      let key@ = j0 + tx * KN + @;  //@unroll-n
      if (key@ >= P.S || (causal && i32(key@) > limit#)) { s#[@] = MASKED; }  //@unroll-r //@unroll-n
    }
    // Row-max partials (row, tx) into vS (the previous tile's V is no longer read).
    var mx# = s#[0];  //@unroll-r
    mx# = max(mx#, s#[@]);  //@unroll-r //@unroll-n 1
    let at# = (r0 + #) * CT + tx;  //@unroll-r
    vS[at# / 4u][at# % 4u] = mx#;  //@unroll-r
    workgroupBarrier();

    var mNew# = m#;  //@unroll-r
    for (var w = 0u; w < CT4; w++) {
      mNew# = max(mNew#, max4(vS[(r0 + #) * CT4 + w]));  //@unroll-r
    }
    let corr# = ex2(m# - mNew#);  //@unroll-r
    m# = mNew#;  //@unroll-r
    acc# = acc# * corr#;  //@unroll-r
    s#[@] = select(ex2(s#[@] - mNew#), 0.0, s#[@] == MASKED);  //@unroll-r //@unroll-n
    l# = l# * corr#;  //@unroll-r
    l# += s#[@];  //@unroll-r //@unroll-n
    workgroupBarrier();

    // P into kpS (row-major, BK4 vec4 per row: vec4 $ of this invocation's keys when KN is a multiple of 4,
    // else one key at a time), V into vS; prefetch the next key tile.
    if (KN % 4u == 0u) {
      kpS[(r0 + #) * BK4 + tx * (KN / 4u) + $] = vec4<f32>(s#[4 * $], s#[4 * $ + 1], s#[4 * $ + 2], s#[4 * $ + 3]);  //@unroll-r //@unroll-w
    } else {
      kpS[(r0 + #) * BK4 + (tx * KN + @) / 4u][(tx * KN + @) % 4u] = s#[@];  //@unroll-r //@unroll-n
    }
    if (!DIRECT) {
      if (!PREFETCH) { load_kv(&kr, &vr, t, j0, kBase, vBase, false, true); }
      for (var u = 0u; u < LD; u++) {
        let idx = t + u * WG;
        if (idx < BK * D4) { vS[idx] = vr[u]; }
      }
    }
    if (PREFETCH && tile + 1u < nTiles) { load_kv(&kr, &vr, t, j0 + BK, kBase, vBase, true, !DIRECT); }
    workgroupBarrier();

    // O += P·V for TM rows × head dims 4·tx .. 4·tx + 3 (DIRECT: keys past S read key S - 1, whose
    // probability there is 0; head dims past E read as 0).
    // PVU vec4 of P per step (~ = 0 .. PVU - 1, written out by the host): every load of a step is issued
    // before its fmas.
    for (var j4 = 0u; j4 < select(BK4, 0u, DIAG == 2u || DIAG == 4u); j4 += PVU) {
      var va~ = vec4<f32>(0.0);  //@unroll-u
      var vb~ = vec4<f32>(0.0);  //@unroll-u
      var vc~ = vec4<f32>(0.0);  //@unroll-u
      var vd~ = vec4<f32>(0.0);  //@unroll-u
      if (DIRECT) {
        if (tx < E4) {
          let vAt = vBase / 4u + tx;
          let jb~ = j0 + 4u * (j4 + ~);  //@unroll-u
          va~ = v_direct(vAt + min(jb~ + 0u, P.S - 1u) * (P.vSL / 4u));  //@unroll-u
          vb~ = v_direct(vAt + min(jb~ + 1u, P.S - 1u) * (P.vSL / 4u));  //@unroll-u
          vc~ = v_direct(vAt + min(jb~ + 2u, P.S - 1u) * (P.vSL / 4u));  //@unroll-u
          vd~ = v_direct(vAt + min(jb~ + 3u, P.S - 1u) * (P.vSL / 4u));  //@unroll-u
        }
      } else {
        va~ = vS[(4u * (j4 + ~) + 0u) * D4 + tx];  //@unroll-u
        vb~ = vS[(4u * (j4 + ~) + 1u) * D4 + tx];  //@unroll-u
        vc~ = vS[(4u * (j4 + ~) + 2u) * D4 + tx];  //@unroll-u
        vd~ = vS[(4u * (j4 + ~) + 3u) * D4 + tx];  //@unroll-u
      }
      let p#_~ = kpS[(r0 + #) * BK4 + j4 + ~];  //@unroll-u //@unroll-r
      acc# = fma(vec4<f32>(p#_~.x), va~, acc#);  //@unroll-u //@unroll-r
      acc# = fma(vec4<f32>(p#_~.y), vb~, acc#);  //@unroll-u //@unroll-r
      acc# = fma(vec4<f32>(p#_~.z), vc~, acc#);  //@unroll-u //@unroll-r
      acc# = fma(vec4<f32>(p#_~.w), vd~, acc#);  //@unroll-u //@unroll-r
    }
    workgroupBarrier();
  }

  // Row sums: each invocation holds the sum over its own keys; add the CT partials of a row.
  let lAt# = (r0 + #) * CT + tx;  //@unroll-r
  vS[lAt# / 4u][lAt# % 4u] = l#;  //@unroll-r
  workgroupBarrier();
  store_row(b, h, r0 + #, row0 + r0 + #, tx, acc#);  //@unroll-r
  if (t == 0u) { residency_leave(); }
}
