// Selective scan with the sequence split across the lanes of a subgroup, as in the Mamba paper's CUDA
// kernel: LANES consecutive invocations share one (b, channel) and walk the sequence in chunks of
// CHUNK = LANES·ITEMS tokens, lane j holding tokens j·ITEMS .. j·ITEMS + ITEMS - 1 of each chunk. States go
// four at a time (a vec4: four independent recurrences per instruction). For each state quad of a chunk
// every lane computes its decays exp(dt·A) once, composes its tokens' steps h -> dA·h + dt·B·u into one
// (product of decays, end state from zero), and an inclusive scan of these pairs across the lanes (subgroup
// shuffles, log2(LANES) steps) gives each lane the state entering its tokens from the state entering the
// chunk (carried per channel in workgroup memory); the lane then steps through its tokens again with the
// decays it kept, adding <C, h> to y. Every decay is computed once; dt, the gate and Dskip·u once per
// (token, channel); the hidden state never leaves registers.
// Layouts as in selective_scan_sequential.wgsl: u, delta, y (B, L, D); B/C rows of bcRowStride (any
// alignment: read through load_bc4 of selective_scan_bc_scalar.wgsl); z rows of zRowStride at zOffset; channel params (D, dState + 2); State
// (B, D, dState) read as the initial state when hasInitState, written with the final state when
// writeFinalState. States are padded to NQ quads with A = 0 and B = 0 (those lanes stay 0).
// A workgroup covers CPW channels of one batch row (CPW·LANES invocations). When STAGE_BC (the channels of
// the workgroup share one group) B and C of the chunk are staged in workgroup memory SQ quads at a time,
// quad q of token (lane j, item i) at (q·LANES + j)·(ITEMS + 1) + i, so that the lanes' vec4 reads of one
// quad and item fall in distinct banks; otherwise each lane loads its own.
// The carries are double-buffered by chunk parity (read one, write the other; a barrier per chunk), so no
// lane reads a carry another lane of its channel is writing.
// Per-token values are scalars and vec4 per item (dt0, dt1, ...), not arrays: lines marked //@unroll are
// repeated by the host for # = 0 .. ITEMS - 1 (//@unroll 1: from 1), lines marked //@unroll-bc for
// @ = 0 .. KBC - 1, so that nothing depends on a compiler unrolling loops to keep arrays in registers.
// Each invocation also loads a fixed share of every chunk's delta, u, z (a token row of CPW channels per
// load, coalesced) and B/C rows, one chunk ahead of the chunk it computes (software pipelining).
// Host constants: LANES (a power of two dividing the subgroup size: lanes of a channel lie in one
// subgroup, consecutive), ITEMS, CPW, SQ, NQ, STAGE_BC, SROWS (staged vec4 per tensor),
// TSTRIDE = LANES·(ITEMS + 1) + 1, the step constants of selective_scan_steps.wgsl (SCAN_DIAG bits 8 and
// 16 are this kernel's diagnostics: no state recurrence, no scan across lanes), residency_enter /
// residency_leave (benchmarks: count the workgroups running at once in a counter at binding 8; empty
// otherwise), and lanes_shuffle_up: subgroupShuffleUp (with `enable subgroups`) when LANES > 1, otherwise
// a stand-in never called with an effect (one lane has no neighbours).

const WG: u32 = CPW * LANES;
const CHUNK: u32 = LANES * ITEMS;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read> Z: array<f32>;
@group(0) @binding(6) var<storage, read_write> State: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

var<workgroup> sB: array<vec4<f32>, SROWS>;
var<workgroup> sC: array<vec4<f32>, SROWS>;
// Per (channel of the workgroup, lane, item) of the chunk at c·TSTRIDE + j·(ITEMS + 1) + i: dt, then y
// (sDtY), and u. Loaded and stored a token row of CPW channels at a time (coalesced), read and written per
// lane in distinct banks.
var<workgroup> sDtY: array<f32, CPW * TSTRIDE>;
var<workgroup> sU: array<f32, CPW * TSTRIDE>;
var<workgroup> sBias: array<f32, CPW>;
var<workgroup> sDskip: array<f32, CPW>;
// A·log2(e) per (channel of the workgroup, quad); zero past dState.
var<workgroup> sA: array<vec4<f32>, CPW * NQ>;
// The state entering the current chunk, per (chunk parity, channel of the workgroup, quad).
var<workgroup> sCarry: array<vec4<f32>, 2u * CPW * NQ>;

// Where token row r of the chunk (lane r / ITEMS, item r % ITEMS) lives: in the per-channel tiles
// (sDtY, sU) for channel ch, and in the staged B/C for quad q of the staging group.
fn tile_at(ch: u32, r: u32) -> u32 {
  return ch * TSTRIDE + (r / ITEMS) * (ITEMS + 1u) + r % ITEMS;
}

fn staged_at(q: u32, r: u32) -> u32 {
  return (q * LANES + r / ITEMS) * (ITEMS + 1u) + r % ITEMS;
}

// Start of token t's B/C row of batch row b (t clamped to the sequence: rows past it carry no input).
fn bc_row(b: u32, t: u32) -> u32 {
  return (b * P.seqLen + min(t, P.seqLen - 1u)) * P.bcRowStride;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wgIndex = wid.x + wid.y * nwg.x;
  if (wgIndex >= P.batch * P.dBlocks) { return; }
  if (lid == 0u) { residency_enter(); }
  let D = P.dInner;
  let N = P.dState;
  let L = P.seqLen;
  let b = wgIndex / P.dBlocks;
  let d0 = (wgIndex % P.dBlocks) * CPW;
  let j = lid % LANES;                       // token lane
  let c = lid / LANES;                       // channel of the workgroup
  let d = d0 + c;
  let dc = min(d, D - 1u);                   // lanes past D compute on a real channel and store nothing
  let groupSize = D / P.groups;
  let g = dc / groupSize;
  let gStage = (d0 / groupSize) * N;         // STAGE_BC: the workgroup's channels share one group

  // A and the initial state per (channel, quad).
  for (var e = lid; e < CPW * NQ; e += WG) {
    let ce = e / NQ;
    let q = e % NQ;
    let de = min(d0 + ce, D - 1u);
    var av = vec4<f32>(0.0);
    var hv = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * q + k;
      if (n < N) {
        av[k] = Channel[de * (N + 2u) + n] * LOG2E;
        if (P.hasInitState == 1u) { hv[k] = State[(b * D + de) * N + n]; }
      }
    }
    sA[e] = av;
    sCarry[e] = hv;
  }
  for (var e = lid; e < CPW; e += WG) {
    let de = min(d0 + e, D - 1u);
    sDskip[e] = Channel[de * (N + 2u) + N];
    sBias[e] = Channel[de * (N + 2u) + N + 1u];
  }
  workgroupBarrier();

  var parity = 0u;
  // Each invocation moves the same elements of every chunk: (token row r, channel ce) = e / CPW, e % CPW for
  // e = lid + k·WG, k < ITEMS (CHUNK·CPW = ITEMS·WG), and the staged (row, quad) pairs e = lid + k·WG,
  // k < KBC, of the first SQ quads. The next chunk's loads are issued before the current chunk's states are
  // computed (software pipelining): delta, u, z and the first B/C quads arrive while the GPU computes.
  let ce = lid % CPW;
  let deL = d0 + ce;
  let biasL = sBias[ce];
  let r# = (lid + # * WG) / CPW;                                                     //@unroll
  let k# = tile_at(ce, r#);                                                          //@unroll
  let eb@ = lid + @ * WG;                                                            //@unroll-bc
  let qb@ = eb@ / CHUNK;                                                             //@unroll-bc
  let kb@ = staged_at(qb@, eb@ % CHUNK);                                             //@unroll-bc
  var pDelta# = 0.0;                                                                 //@unroll
  var pU# = 0.0;                                                                     //@unroll
  var pZ# = 0.0;                                                                     //@unroll
  var pB@ = vec4<f32>(0.0);                                                          //@unroll-bc
  var pC@ = vec4<f32>(0.0);                                                          //@unroll-bc
  let nq0 = min(SQ, NQ);
  for (var t0 = 0u; t0 < L + CHUNK; t0 += CHUNK) {
    var zc# = 0.0;                                                                   //@unroll
    if (t0 > 0u) {
      workgroupBarrier();
      // The chunk at t0 - CHUNK, prefetched: into workgroup memory.
      let tc = t0 - CHUNK;
      sDtY[k#] = select(0.0, scan_step(pDelta#, biasL), tc + r# < L && deL < D);     //@unroll
      sU[k#] = pU#;                                                                  //@unroll
      zc# = pZ#;                                                                     //@unroll
      if (STAGE_BC) {
        if (eb@ < CHUNK * SQ) { sB[kb@] = pB@; sC[kb@] = pC@; }                       //@unroll-bc
      }
    }
    // Prefetch the chunk at t0.
    if (t0 < L) {
      let ok# = t0 + r# < L && deL < D;                                              //@unroll
      let at# = (b * L + min(t0 + r#, L - 1u)) * D + min(deL, D - 1u);               //@unroll
      pDelta# = Delta[at#];                                                          //@unroll
      pU# = select(0.0, U[at#], ok#);                                                //@unroll
      if (P.hasZ == 1u) { pZ# = Z[(b * L + min(t0 + r#, L - 1u)) * P.zRowStride + P.zOffset + min(deL, D - 1u)]; }  //@unroll
      if (STAGE_BC) {
        let rowAt@ = bc_row(b, t0 + eb@ % CHUNK) + gStage;                          //@unroll-bc
        if (qb@ < nq0) { pB@ = load_bc4(rowAt@ + P.bOffset, qb@); pC@ = load_bc4(rowAt@ + P.cOffset, qb@); } else { pB@ = vec4<f32>(0.0); pC@ = vec4<f32>(0.0); }  //@unroll-bc
      }
    }
    if (t0 == 0u) { continue; }
    let tc = t0 - CHUNK;
    let readAt = (parity * CPW + c) * NQ;
    let writeAt = ((1u - parity) * CPW + c) * NQ;
    parity = 1u - parity;
    workgroupBarrier();
    let tl = tc + j * ITEMS;
    let lAt = tile_at(c, j * ITEMS);
    let dt# = sDtY[lAt + #];                                                         //@unroll
    let uu# = sU[lAt + #];                                                           //@unroll
    var y# = 0.0;                                                                    //@unroll
    let du# = dt# * uu#;                                                             //@unroll

    // SCAN_DIAG 8 (benchmarks, wrong results): no state recurrence at all.
    for (var q0 = 0u; q0 < select(NQ, 0u, (SCAN_DIAG & 8u) != 0u); q0 += SQ) {
      let nq = min(SQ, NQ - q0);
      if (STAGE_BC && q0 > 0u) {
        // Quads past the first SQ (large states): staged here, not prefetched.
        workgroupBarrier();
        for (var e = lid; e < CHUNK * SQ; e += WG) {
          let r = e % CHUNK;
          let q = e / CHUNK;
          var bv = vec4<f32>(0.0);
          var cv = vec4<f32>(0.0);
          if (q < nq) {
            let rowAt = bc_row(b, tc + r) + gStage;
            bv = load_bc4(rowAt + P.bOffset, q0 + q);
            cv = load_bc4(rowAt + P.cOffset, q0 + q);
          }
          let k = staged_at(q, r);
          sB[k] = bv;
          sC[k] = cv;
        }
        workgroupBarrier();
      }
      for (var q = 0u; q < nq; q++) {
        let qq = q0 + q;
        let a = sA[c * NQ + qq];
        // Staged rows of this lane's tokens for this quad; unstaged: the tokens' rows in BC.
        let sAt = staged_at(q, j * ITEMS);
        let gAt# = bc_row(b, tl + #) + g * N;                                        //@unroll
        var b# = vec4<f32>(0.0);                                                     //@unroll
        if (STAGE_BC) { b# = sB[sAt + #]; } else { b# = load_bc4(gAt# + P.bOffset, qq); }  //@unroll
        let dA# = scan_decay4(dt# * a, qq);                                          //@unroll
        let dBu# = du# * b#;                                                         //@unroll
        // The lane's tokens composed: h -> p·h + h0.
        var p = dA0;
        var h0 = dBu0;
        h0 = fma(dA#, h0, dBu#);                                                     //@unroll 1
        p = p * dA#;                                                                 //@unroll 1
        // Inclusive scan across the lanes of the channel: lane j ends with lanes 0..j composed.
        // SCAN_DIAG 16 (benchmarks, wrong results): no scan across the lanes.
        for (var off = 1u; off < select(LANES, 1u, (SCAN_DIAG & 16u) != 0u); off = off << 1u) {
          let pPrev = lanes_shuffle_up(p, off);
          let hPrev = lanes_shuffle_up(h0, off);
          if (j >= off) {
            h0 = fma(p, hPrev, h0);
            p = p * pPrev;
          }
        }
        // Exclusive: the lanes before this one (lane 0: identity).
        var pEx = vec4<f32>(1.0);
        var hEx = vec4<f32>(0.0);
        if (LANES > 1u) {
          let pUp = lanes_shuffle_up(p, 1u);
          let hUp = lanes_shuffle_up(h0, 1u);
          if (j > 0u) {
            pEx = pUp;
            hEx = hUp;
          }
        }
        let carry = sCarry[readAt + qq];
        var hs = fma(pEx, carry, hEx);
        var c# = vec4<f32>(0.0);                                                     //@unroll
        if (STAGE_BC) { c# = sC[sAt + #]; } else { c# = load_bc4(gAt# + P.cOffset, qq); }  //@unroll
        hs = fma(dA#, hs, dBu#); y# += dot(c#, hs);                                  //@unroll
        if (j == LANES - 1u) { sCarry[writeAt + qq] = fma(p, carry, h0); }
      }
    }

    // y + Dskip·u per (lane, item) into workgroup memory (over dt, read by every lane above), then stored a
    // token row of CPW channels per element, gated with the prefetched z.
    workgroupBarrier();
    sDtY[lAt + #] = fma(sDskip[c], uu#, y#);                                         //@unroll
    workgroupBarrier();
    if (tc + r# < L && deL < D) { var yv = sDtY[k#]; if (P.hasZ == 1u) { yv = yv * scan_gate(zc#); } Y[(b * L + tc + r#) * D + deL] = yv; }  //@unroll
  }

  workgroupBarrier();
  if (P.writeFinalState == 1u) {
    for (var e = lid; e < CPW * NQ; e += WG) {
      let de = d0 + e / NQ;
      let q = e % NQ;
      let hv = sCarry[parity * CPW * NQ + e];
      for (var k = 0u; k < 4u; k++) {
        let n = 4u * q + k;
        if (de < D && n < N) { State[(b * D + de) * N + n] = hv[k]; }
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) { residency_leave(); }
}
