// Selective scan in one pass with a decoupled look-back between chunks: every decay exp(dt·A) is computed
// once (the three-pass chunked scan computes each twice, once per scanning pass, and is bound by the
// special-function unit that computes them).
// Layouts as in selective_scan_sequential.wgsl: u, delta, y (B, L, D); B/C rows of bcRowStride read
// through load_bc4; z rows of zRowStride at zOffset; channel params (D, dState + 2); State (B, D, dState)
// read as the initial state when hasInitState, written with the final state when writeFinalState.
//
// A workgroup takes a tile (b, chunk of CHUNK = SUB·CS tokens, CPW channels) in the order of a ticket
// drawn from a counter, so every tile of an earlier chunk has started (and, resident, makes progress)
// before any tile that waits on it. Invocation (sub, ch, part) holds QS vec4 of the state of channel ch
// (NS invocations share a channel, consecutive, within one subgroup) for the CS tokens of sub-chunk sub.
//  1. The chunk's step sizes dt = softplus?(delta + bias), u and (STAGE_BC) B/C rows go to workgroup memory,
//     one (token, channel) per invocation: the per-token work is done once, not once per state slice.
//  2. Each invocation scans its sub-chunk from a zero state, keeping the CS decays in registers, and leaves
//     its end state and the sub-chunk's dt sum in workgroup memory.
//  3. The first sub-chunk's invocations fold the sub-chunks into the chunk's aggregate (end state from zero,
//     dt sum S: the chunk maps h to exp(A·S)·h + end), publish it, then look back over earlier chunks: a
//     chunk's inclusive state (the true state after it) ends the walk, otherwise its aggregate is folded in
//     and the walk goes one chunk further back (chunk 0 publishes only its inclusive state). The chunk's
//     inclusive state is published, and each sub-chunk's entering state left in workgroup memory.
//  4. Each invocation rescans its sub-chunk from its entering state with the decays kept in registers (no
//     special-function op) and leaves <h, C> per token (summed over the NS invocations) in workgroup memory.
//  5. One (token, channel) per invocation: y = <h, C> + Dskip·u, times silu(z) when hasZ, stored.
// Look-back values live in LB (u32 bits of f32), each written once per dispatch with atomicStore and read
// with atomicLoad; NOT_READY marks a value not yet written (selective_scan_lookback_reset.wgsl sets every
// value to it and the ticket counter to 0 before each scan). Each value is checked on its own, so no
// ordering between different values is assumed. Regions: aggregate end states (B, K, D, N), inclusive
// states (B, K, D, N), aggregate dt sums (B, K, D), then the ticket counter (K = numChunks).
// Host constants: STATE_VEC4, NS, QS = STATE_VEC4 / NS, CPW, SUB, CS, CHUNK, STAGE_BC, SROW, SROWS, the step
// constants of selective_scan_steps.wgsl, and ns_sum (subgroup shuffles when NS > 1).

const WG: u32 = CPW * NS * SUB;
const NOT_READY: u32 = 0xFFFFFFFFu;
const CANONICAL_NAN: u32 = 0x7FC00000u;
// A walk that has waited this many polls gives up and yields NaN (a broken forward-progress assumption
// shows as NaN outputs rather than a hung device).
const SPIN_LIMIT: u32 = 1u << 24u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read> Z: array<f32>;
@group(0) @binding(6) var<storage, read_write> State: array<f32>;
@group(0) @binding(7) var<storage, read_write> LB: array<atomic<u32>>;
@group(0) @binding(8) var<storage, read_write> Y: array<f32>;

var<workgroup> sTicket: u32;
// Staged B (STATE_VEC4 vec4) then C per token row of the chunk (STAGE_BC).
var<workgroup> sBC: array<array<vec4<f32>, SROW>, SROWS>;
// Per (token, channel): dt, u (step 1 on), <h, C> (steps 4-5).
var<workgroup> sDt: array<array<f32, CPW>, CHUNK>;
var<workgroup> sU: array<array<f32, CPW>, CHUNK>;
var<workgroup> sY: array<array<f32, CPW>, CHUNK>;
// Sub-chunk end states (step 2), then sub-chunk entering states (step 3).
var<workgroup> sH: array<array<array<vec4<f32>, STATE_VEC4>, CPW>, SUB>;
var<workgroup> sS: array<array<f32, CPW>, SUB>;

fn lb_bits(v: f32) -> u32 {
  let u = bitcast<u32>(v);
  return select(u, CANONICAL_NAN, u == NOT_READY);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) {
    let K0 = P.batch * P.numChunks;
    let R0 = K0 * P.dInner * P.dState;
    sTicket = atomicAdd(&LB[2u * R0 + K0 * P.dInner], 1u);
  }
  let ticket = workgroupUniformLoad(&sTicket);
  let K = P.numChunks;
  let D = P.dInner;
  let N = P.dState;
  if (ticket >= P.batch * K * P.dBlocks) { return; }
  let R = P.batch * K * D * N;               // values per look-back region of states
  let dBlock = ticket % P.dBlocks;
  let bk = ticket / P.dBlocks;               // b·K + chunk
  let chunk = bk % K;
  let b = bk / K;
  let t0 = chunk * CHUNK;
  let t1 = min(t0 + CHUNK, P.seqLen);
  let d0 = dBlock * CPW;
  let groupSize = D / P.groups;
  let gStage = (d0 / groupSize) * N;         // STAGE_BC: the tile's channels share one group

  // 1. Per (token, channel): dt, u; tokens past the sequence get dt = 0 and u = 0 (decay 1, no input).
  for (var i = lid; i < CHUNK * CPW; i += WG) {
    let r = i / CPW;
    let c = i % CPW;
    let t = t0 + r;
    let d = d0 + c;
    var dt = 0.0;
    var uv = 0.0;
    if (t < t1 && d < D) {
      let at = (b * P.seqLen + t) * D + d;
      dt = scan_step(Delta[at], Channel[d * (N + 2u) + N + 1u]);
      uv = U[at];
    }
    sDt[r][c] = dt;
    sU[r][c] = uv;
  }
  if (STAGE_BC) {
    for (var i = lid; i < CHUNK * SROW; i += WG) {
      let r = i / SROW;
      let j = i % SROW;
      let rowBase = (b * P.seqLen + min(t0 + r, t1 - 1u)) * P.bcRowStride + gStage;
      if (j < STATE_VEC4) {
        sBC[r][j] = load_bc4(rowBase + P.bOffset, j);
      } else {
        sBC[r][j] = load_bc4(rowBase + P.cOffset, j - STATE_VEC4);
      }
    }
  }
  workgroupBarrier();

  let part = lid % NS;
  let ch = (lid / NS) % CPW;
  let sub = lid / (NS * CPW);
  let d = d0 + ch;
  let valid = d < D;
  let dc = min(d, D - 1u);
  let chanRow = dc * (N + 2u);
  let g = dc / groupSize;
  let q0 = part * QS;

  // a = A·log2(e), so that exp(dt·A) = exp2(dt·a); slots beyond dState have a = 0 (decay 1) and B = 0.
  var a: array<vec4<f32>, QS>;
  for (var q = 0u; q < QS; q++) {
    var av = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * (q0 + q) + k;
      if (n < N) { av[k] = Channel[chanRow + n] * LOG2E; }
    }
    a[q] = av;
  }

  // 2. The sub-chunk scanned from a zero state; its decays kept.
  var dA: array<vec4<f32>, CS * QS>;
  var h: array<vec4<f32>, QS>;
  var sumDt = 0.0;
  for (var k = 0u; k < CS; k++) {
    let r = sub * CS + k;
    let dt = sDt[r][ch];
    let du = dt * sU[r][ch];
    sumDt += dt;
    let rowBase = (b * P.seqLen + min(t0 + r, t1 - 1u)) * P.bcRowStride + g * N;
    for (var q = 0u; q < QS; q++) {
      var bq: vec4<f32>;
      if (STAGE_BC) { bq = sBC[r][q0 + q]; } else { bq = load_bc4(rowBase + P.bOffset, q0 + q); }
      let e = scan_decay4(dt * a[q], q0 + q);
      dA[k * QS + q] = e;
      h[q] = fma(e, h[q], du * bq);
    }
  }
  for (var q = 0u; q < QS; q++) { sH[sub][ch][q0 + q] = h[q]; }
  if (part == 0u) { sS[sub][ch] = sumDt; }
  workgroupBarrier();

  // 3. The chunk's aggregate, the look-back, the entering state of each sub-chunk.
  if (sub == 0u && valid) {
    var agg: array<vec4<f32>, QS>;
    var decSub: array<array<vec4<f32>, QS>, SUB>;
    var total = 0.0;
    for (var j = 0u; j < SUB; j++) {
      let sj = sS[j][ch];
      total += sj;
      for (var q = 0u; q < QS; q++) {
        let e = exp2(a[q] * sj);
        decSub[j][q] = e;
        agg[q] = fma(e, agg[q], sH[j][ch][q0 + q]);
      }
    }
    let aggAt = (bk * D + d) * N;            // this chunk's values in each state region
    var hin: array<vec4<f32>, QS>;
    if (chunk == 0u) {
      if (P.hasInitState == 1u) {
        for (var q = 0u; q < QS; q++) {
          for (var k = 0u; k < 4u; k++) {
            let n = 4u * (q0 + q) + k;
            if (n < N) { hin[q][k] = State[(b * D + d) * N + n]; }
          }
        }
      }
    } else {
      for (var q = 0u; q < QS; q++) {
        for (var k = 0u; k < 4u; k++) {
          let n = 4u * (q0 + q) + k;
          if (n < N) { atomicStore(&LB[aggAt + n], lb_bits(agg[q][k])); }
        }
      }
      if (part == 0u) { atomicStore(&LB[2u * R + bk * D + d], lb_bits(total)); }
      // Walk back: hin = acc + exp2(a·accS)·(inclusive state of chunk j - 1), with acc, accS the fold of
      // the aggregates of chunks j .. chunk - 1.
      var acc: array<vec4<f32>, QS>;
      var accS = 0.0;
      var j = chunk;
      var spins = 0u;
      loop {
        let at = ((bk - chunk + j - 1u) * D + d) * N;
        var v: array<vec4<f32>, QS>;
        var ready = true;
        for (var q = 0u; q < QS; q++) {
          for (var k = 0u; k < 4u; k++) {
            let n = 4u * (q0 + q) + k;
            if (n < N) {
              let bits = atomicLoad(&LB[R + at + n]);
              ready = ready && bits != NOT_READY;
              v[q][k] = bitcast<f32>(bits);
            }
          }
        }
        if (ready) {
          for (var q = 0u; q < QS; q++) { hin[q] = fma(exp2(a[q] * accS), v[q], acc[q]); }
          break;
        }
        // Chunk 0 publishes no aggregate: its inclusive state is waited for.
        if (j > 1u) {
          let sBits = atomicLoad(&LB[2u * R + (bk - chunk + j - 1u) * D + d]);
          ready = sBits != NOT_READY;
          for (var q = 0u; q < QS; q++) {
            for (var k = 0u; k < 4u; k++) {
              let n = 4u * (q0 + q) + k;
              if (n < N) {
                let bits = atomicLoad(&LB[at + n]);
                ready = ready && bits != NOT_READY;
                v[q][k] = bitcast<f32>(bits);
              }
            }
          }
          if (ready) {
            for (var q = 0u; q < QS; q++) { acc[q] = fma(exp2(a[q] * accS), v[q], acc[q]); }
            accS += bitcast<f32>(sBits);
            j -= 1u;
            continue;
          }
        }
        spins += 1u;
        if (spins >= SPIN_LIMIT) {
          for (var q = 0u; q < QS; q++) { hin[q] = vec4<f32>(bitcast<f32>(P.polyOnes)); }   // NaN: polyOnes is 0xFFFFFFFF
          break;
        }
      }
    }
    // The inclusive state: the chunk applied to the entering state.
    var hs = hin;
    for (var j = 0u; j < SUB; j++) {
      for (var q = 0u; q < QS; q++) {
        let end = sH[j][ch][q0 + q];
        sH[j][ch][q0 + q] = hs[q];
        hs[q] = fma(decSub[j][q], hs[q], end);
      }
    }
    if (chunk + 1u < K) {
      for (var q = 0u; q < QS; q++) {
        for (var k = 0u; k < 4u; k++) {
          let n = 4u * (q0 + q) + k;
          if (n < N) { atomicStore(&LB[R + aggAt + n], lb_bits(hs[q][k])); }
        }
      }
    } else if (P.writeFinalState == 1u) {
      for (var q = 0u; q < QS; q++) {
        for (var k = 0u; k < 4u; k++) {
          let n = 4u * (q0 + q) + k;
          if (n < N) { State[(b * D + d) * N + n] = hs[q][k]; }
        }
      }
    }
  }
  workgroupBarrier();

  // 4. The rescan from the entering state, with the kept decays.
  for (var q = 0u; q < QS; q++) { h[q] = sH[sub][ch][q0 + q]; }
  for (var k = 0u; k < CS; k++) {
    let r = sub * CS + k;
    let du = sDt[r][ch] * sU[r][ch];
    let rowBase = (b * P.seqLen + min(t0 + r, t1 - 1u)) * P.bcRowStride + g * N;
    var y4 = vec4<f32>(0.0);
    for (var q = 0u; q < QS; q++) {
      var bq: vec4<f32>;
      var cq: vec4<f32>;
      if (STAGE_BC) {
        bq = sBC[r][q0 + q];
        cq = sBC[r][STATE_VEC4 + q0 + q];
      } else {
        bq = load_bc4(rowBase + P.bOffset, q0 + q);
        cq = load_bc4(rowBase + P.cOffset, q0 + q);
      }
      h[q] = fma(dA[k * QS + q], h[q], du * bq);
      y4 = fma(h[q], cq, y4);
    }
    let y = ns_sum((y4.x + y4.y) + (y4.z + y4.w));
    if (part == 0u) { sY[r][ch] = y; }
  }
  workgroupBarrier();

  // 5. y = <h, C> + Dskip·u, gated, one (token, channel) per invocation.
  for (var i = lid; i < CHUNK * CPW; i += WG) {
    let r = i / CPW;
    let c = i % CPW;
    let t = t0 + r;
    let dd = d0 + c;
    if (t < t1 && dd < D) {
      var y = fma(Channel[dd * (N + 2u) + N], sU[r][c], sY[r][c]);
      if (P.hasZ == 1u) { y = y * scan_gate(Z[(b * P.seqLen + t) * P.zRowStride + P.zOffset + dd]); }
      Y[(b * P.seqLen + t) * D + dd] = y;
    }
  }
}
