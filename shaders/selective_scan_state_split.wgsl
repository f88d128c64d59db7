// Selective scan in one pass with the state split across the lanes of a subgroup: LANES consecutive
// invocations share one (b, channel) and walk its whole sequence, lane j holding the SPL state slots
// n = j, j + LANES, j + 2·LANES, ... (n < dState; padded slots have A = 0 and B = C = 0 and stay 0). Every
// decay exp(dt·A) is computed once (the chunked scan computes each twice), and each step's dependency is
// one fma per slot, so the recurrence itself is short; what a step costs is its decays.
// Per token every lane adds C·h over its slots; the LANES partial sums of TT = max(LANES, 4) tokens are
// added across the lanes by a transposing butterfly (subgroup shuffles, TT - 1 per lane for TT tokens
// when LANES = TT), after which lane j holds the whole <h, C> of R = TT / LANES tokens: j·R .. j·R + R - 1.
// Layouts as in selective_scan_sequential.wgsl: u, delta, y (B, L, D); B/C rows of bcRowStride read through
// load_bc4; z rows of zRowStride at zOffset; channel params (D, dState + 2); State (B, D, dState) read as
// the initial state when hasInitState, written with the final state when writeFinalState.
// A workgroup covers CPW channels of one batch row (CPW·LANES invocations, all in one B/C group: the host
// picks CPW dividing D / G). The sequence goes in blocks of TB = K·LANES tokens. Each invocation moves K
// (token row, channel) elements of a block: (r, ce) = ((lid + k·WG) / CPW, lid % CPW), a row of CPW
// channels per load (coalesced): it loads delta, u, z of the next block while the current one is computed
// (software pipelining through registers), puts dt = softplus?(delta + bias) and dt·u into workgroup
// memory, keeps u and z, and after the block's scan reads y back to add Dskip·u, gate and store it. B/C
// rows of the block (KBC quads per invocation, also prefetched when BC_PREFETCH; otherwise, for large
// states, loaded when staged) are staged transposed, [state][token], so a
// lane reads four tokens of its slot in one vec4; rows padded to SROW floats (SROW ≡ 4 mod 32 when TB is a
// multiple of 32) so the 16-byte reads of consecutive slots fall in distinct banks.
// Two barriers per block: before staging (the previous block's scan is done with the staged tiles and its
// y is complete) and before the scan.
// Lines marked //@unroll are repeated by the host for # = 0 .. K - 1, //@unroll-bc for @ = 0 .. KBC - 1,
// //@unroll-q for $ = 0 .. QT - 1, //@unroll-r for ~ = 0 .. R - 1 (per-item registers and constant
// indices, not arrays indexed in loops, so that nothing depends on a compiler unrolling loops).
// Host constants: LANES (a power of two, at most the subgroup size: a channel's lanes lie in one subgroup,
// consecutive), TT, QT = TT / 4, R, CPW, K, TB, SROW, SPL, NQ = ceil(dState / 4), NPAD = max(SPL·LANES,
// 4·NQ), BC_PREFETCH and KBC (ceil(2·TB·NQ / WG) when BC_PREFETCH, else 0),
// the step constants of selective_scan_steps.wgsl (SCAN_DIAG bits 8 and 16 are this kernel's diagnostics:
// no state recurrence, no sums across the lanes), residency_enter / residency_leave (benchmarks: count
// the workgroups running at once in a counter at binding 8; empty otherwise), and lanes_total: the
// partial sums of TT tokens (QT quads, token 4q + i in y[q][i]) of the LANES lanes of a channel added
// across them by a butterfly in which, at each lane mask, a lane keeps the half of its tokens on its side
// of the mask and receives its partner's partial sums of that half (subgroupShuffleXor, with `enable
// subgroups`), so that lane j ends with tokens j·R .. j·R + R - 1 in its first R components; written out
// by the host with constant indices (scanLanesTotal).

const WG: u32 = CPW * LANES;
const SROW4: u32 = SROW / 4u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read> Z: array<f32>;
@group(0) @binding(6) var<storage, read_write> State: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

// Per (channel of the workgroup, token of the block) at ce·SROW + t: dt, dt·u, then y (sY).
var<workgroup> sDt: array<vec4<f32>, CPW * SROW4>;
var<workgroup> sDu: array<vec4<f32>, CPW * SROW4>;
var<workgroup> sY: array<vec4<f32>, CPW * SROW4>;
// B and C of the block per (state slot, token) at n·SROW + t; slots past 4·NQ stay 0 (zero-initialized).
var<workgroup> sB: array<vec4<f32>, NPAD * SROW4>;
var<workgroup> sC: array<vec4<f32>, NPAD * SROW4>;
// Offset of the workgroup's B/C group within a row (all its channels share it).
var<private> gBase: u32;

// Start of token t's B/C row of batch row b, clamped to the sequence (rows past it are masked by dt = 0).
fn bc_row(b: u32, t: u32) -> u32 {
  return (b * P.seqLen + min(t, P.seqLen - 1u)) * P.bcRowStride;
}

// Quad e of the block at t0's B/C rows, e over [tensor (B, C)][token][quad]: load, and store transposed
// into the staged tiles ([slot][token]).
fn load_bc(b: u32, t0: u32, e: u32) -> vec4<f32> {
  let t = (e / NQ) % TB;
  return load_bc4(bc_row(b, t0 + t) + gBase + select(P.bOffset, P.cOffset, e >= TB * NQ), e % NQ);
}

fn stage_bc(e: u32, v: vec4<f32>) {
  let at = 4u * (e % NQ) * SROW + (e / NQ) % TB;
  if (e >= TB * NQ) {
    sC[at / 4u][at % 4u] = v.x;
    sC[(at + SROW) / 4u][(at + SROW) % 4u] = v.y;
    sC[(at + 2u * SROW) / 4u][(at + 2u * SROW) % 4u] = v.z;
    sC[(at + 3u * SROW) / 4u][(at + 3u * SROW) % 4u] = v.w;
  } else {
    sB[at / 4u][at % 4u] = v.x;
    sB[(at + SROW) / 4u][(at + SROW) % 4u] = v.y;
    sB[(at + 2u * SROW) / 4u][(at + 2u * SROW) % 4u] = v.z;
    sB[(at + 3u * SROW) / 4u][(at + 3u * SROW) % 4u] = v.w;
  }
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
  let j = lid % LANES;                       // state lane
  let c = lid / LANES;                       // channel of the workgroup (scan)
  let d = d0 + c;
  let dc = min(d, D - 1u);                   // lanes past D compute on a real channel and store nothing
  gBase = (min(d0, D - 1u) / (D / P.groups)) * N;

  // This lane's slots: A·log2(e) and the state (initial or 0); padded slots 0.
  var a: array<f32, SPL>;
  var h: array<f32, SPL>;
  for (var s = 0u; s < SPL; s++) {
    let n = s * LANES + j;
    a[s] = 0.0;
    h[s] = 0.0;
    if (n < N) {
      a[s] = Channel[dc * (N + 2u) + n] * LOG2E;
      if (P.hasInitState == 1u) { h[s] = State[(b * D + dc) * N + n]; }
    }
  }

  // The (token row, channel) elements this invocation moves, and the B/C quads it stages: e = lid + @·WG
  // over [tensor (B, C)][token][quad].
  let ce = lid % CPW;
  let de = d0 + ce;
  let deC = min(de, D - 1u);
  let biasL = Channel[deC * (N + 2u) + N + 1u];
  let dSkipL = Channel[deC * (N + 2u) + N];
  let r# = (lid + # * WG) / CPW;                                                     //@unroll
  let k# = ce * SROW + r#;                                                           //@unroll
  let eb@ = lid + @ * WG;                                                            //@unroll-bc
  let inBc@ = eb@ < 2u * TB * NQ;                                                    //@unroll-bc
  var pDelta# = 0.0;                                                                 //@unroll
  var pU# = 0.0;                                                                     //@unroll
  var pZ# = 0.0;                                                                     //@unroll
  var pBc@ = vec4<f32>(0.0);                                                         //@unroll-bc
  var uK# = 0.0;                                                                     //@unroll
  var zK# = 0.0;                                                                     //@unroll

  // Scan lanes: where the channel's dt / dt·u / y rows start, and the lane's slot rows of B and C.
  let cRow4 = c * SROW4;

  // Iteration t0 finalizes the block at t0 - 2·TB, stages the block at t0 - TB (loaded in the previous
  // iteration), issues the loads of the block at t0 (after the second barrier: a barrier may wait for the
  // loads in flight), then scans the block at t0 - TB while they are in flight.
  for (var t0 = 0u; t0 < L + 2u * TB; t0 += TB) {
    let tc = t0 - TB;                        // wraps for t0 = 0 (then unused)
    if (t0 > 0u) {
      workgroupBarrier();
      // The block at tc - TB: its y (complete since the barrier) plus Dskip·u, gated, stored.
      if (t0 >= 2u * TB) {
        let tp = t0 - 2u * TB;
        if (tp + r# < L && de < D) { var yv = fma(dSkipL, uK#, sY[k# / 4u][k# % 4u]); if (P.hasZ == 1u) { yv = yv * scan_gate(zK#); } Y[(b * L + tp + r#) * D + de] = yv; }  //@unroll
      }
      // The block at tc (prefetched) into workgroup memory.
      if (tc < L) {
        let dt# = select(0.0, scan_step(pDelta#, biasL), tc + r# < L);                //@unroll
        sDt[k# / 4u][k# % 4u] = dt#;                                                 //@unroll
        sDu[k# / 4u][k# % 4u] = dt# * pU#;                                           //@unroll
        uK# = pU#;                                                                   //@unroll
        zK# = pZ#;                                                                   //@unroll
        if (inBc@) { stage_bc(eb@, pBc@); }                                          //@unroll-bc
        if (!BC_PREFETCH) {
          for (var e = lid; e < 2u * TB * NQ; e += WG) { stage_bc(e, load_bc(b, tc, e)); }
        }
      }
    }
    if (t0 > 0u && tc >= L) { continue; }  // the last iteration only finalizes
    workgroupBarrier();
    if (t0 < L) {
      let at# = (b * L + min(t0 + r#, L - 1u)) * D + deC;                            //@unroll
      pDelta# = Delta[at#];                                                          //@unroll
      pU# = select(0.0, U[at#], t0 + r# < L);                                        //@unroll
      if (P.hasZ == 1u) { pZ# = Z[(b * L + min(t0 + r#, L - 1u)) * P.zRowStride + P.zOffset + deC]; }  //@unroll
      if (inBc@) { pBc@ = load_bc(b, t0, eb@); }                                    //@unroll-bc
    }
    if (t0 == 0u) { continue; }

    // The scan of the block: sub-blocks of TT tokens, four at a time per slot (quad $ of the sub-block in
    // yq[$]), then their sums across the lanes.
    for (var s0 = 0u; s0 < TB; s0 += TT) {
      let at = cRow4 + s0 / 4u;
      let dt$ = sDt[at + $];                                                         //@unroll-q
      let du$ = sDu[at + $];                                                         //@unroll-q
      var yq = array<vec4<f32>, QT>();
      // SCAN_DIAG 8 (benchmarks, wrong results): no state recurrence at all.
      for (var s = 0u; s < select(SPL, 0u, (SCAN_DIAG & 8u) != 0u); s++) {
        let sAt = (s * LANES + j) * SROW4 + s0 / 4u;
        let aS = a[s];
        var hs = h[s];
        let b$ = sB[sAt + $];                                                        //@unroll-q
        let c$ = sC[sAt + $];                                                        //@unroll-q
        let dA$ = scan_decay4(dt$ * aS, 0u);                                         //@unroll-q
        let dBu$ = du$ * b$;                                                         //@unroll-q
        hs = fma(dA$.x, hs, dBu$.x); var y$ = yq[$]; y$.x = fma(hs, c$.x, y$.x); hs = fma(dA$.y, hs, dBu$.y); y$.y = fma(hs, c$.y, y$.y); hs = fma(dA$.z, hs, dBu$.z); y$.z = fma(hs, c$.z, y$.z); hs = fma(dA$.w, hs, dBu$.w); y$.w = fma(hs, c$.w, y$.w); yq[$] = y$;  //@unroll-q
        h[s] = hs;
      }
      // SCAN_DIAG 16 (benchmarks, wrong results): no sums across the lanes.
      var total = yq[0];
      if ((SCAN_DIAG & 16u) == 0u) { total = lanes_total(yq, j); }
      let tr~ = s0 + j * R + ~u;                                                     //@unroll-r
      sY[cRow4 + tr~ / 4u][tr~ % 4u] = total[~];                                     //@unroll-r
    }
  }

  if (P.writeFinalState == 1u && d < D) {
    for (var s = 0u; s < SPL; s++) {
      let n = s * LANES + j;
      if (n < N) { State[(b * D + d) * N + n] = h[s]; }
    }
  }
  workgroupBarrier();
  if (lid == 0u) { residency_leave(); }
}
