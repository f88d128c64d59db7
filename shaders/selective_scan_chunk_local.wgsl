// Chunked selective scan, pass 1 of 3: each channel of each (b, chunk) scans its chunk of chunkLen tokens
// from a zero state, with the dState-long state in registers (vec4 lanes, masked lanes stay 0). It writes
// the chunk's end state to Carry (B, numChunks, dState, D) (D fastest, so writes coalesce across d) and the
// chunk's sum of step sizes to DeltaSum (B, numChunks, D): the chunk's total decay of state slot n is
// exp(A(d,n)·sum). Layouts as in selective_scan_sequential.wgsl: u, delta (B, L, D); B rows of bcRowStride
// at bOffset read through load_bc4; channel params (D, dState + 2) = [A, Dskip, deltaBias].
// NS invocations share a channel, each holding QS = STATE_VEC4 / NS vec4 of its state (slots
// 4·part·QS ..): a workgroup covers CPW = WG / NS channels of one chunk. Workgroups index
// (b·numChunks + c)·dBlocks + dBlock with dBlocks = ceil(D / CPW).
// Latency hiding: the chunk is walked in blocks of TB tokens. When STAGE_BC (the workgroup's channels
// share one B/C group), the block's B rows are loaded once per workgroup into workgroup memory (SBC_LEN
// vec4) and read from there by every invocation; delta and u are loaded KU tokens at a time, all loads
// issued before the KU recurrence steps that use them. When PIPE, loads are issued one step ahead of
// their use: the next KU tokens' delta and u are loaded before the current KU steps are computed, and the
// next block's B rows (SPT vec4 per invocation) are loaded into registers before the current block is
// computed and stored afterwards into the other of SBUF = 2 workgroup buffers (one barrier per block).
// The host prepends TB, KU, STAGE_BC, SBC_LEN (= TB·SROW when staged), SROW, SROWS (= SBUF·TB when
// staged), NS, QS, PIPE, SBUF and SPT.
// Decays, step sizes and the gate come from selective_scan_steps.wgsl (POLY_ELEMS of the decays through the
// polynomial exp2, the rest through exp2; SCAN_DIAG 0 outside benchmarks).
// residency_enter / residency_leave (prepended by the host): benchmarks count the workgroups running at
// once in a counter at binding 7; empty otherwise.
// DT_WRITE (prepended by the host with store_dt): each step size dt is written back over its delta
// (the host then declares Delta read_write), for the output pass to read instead of recomputing it. Only
// with NS == 1: the invocation that writes a token's dt is the only one that reads its delta.

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read_write> Carry: array<f32>;
@group(0) @binding(6) var<storage, read_write> DeltaSum: array<f32>;

// Staged rows, SBUF blocks of TB tokens; row r holds B (STATE_VEC4 vec4). Rows are indexed per token and
// vec4 by constants (after unrolling), so the bounds clamps of the workgroup accesses cost one per token.
var<workgroup> sB: array<array<vec4<f32>, SROW>, SROWS>;

// Element i of the staged block starting at token tb (rows tokens): B row i / STATE_VEC4, vec4 i % STATE_VEC4.
fn stage_fetch(i: u32, b: u32, tb: u32, rows: u32, gBase: u32) -> vec4<f32> {
  let r = i / STATE_VEC4;
  if (r < rows) { return load_bc4((b * P.seqLen + tb + r) * P.bcRowStride + P.bOffset + gBase, i % STATE_VEC4); }
  return vec4<f32>(0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let CPW = WG / NS;
  let dBlocks = (P.dInner + CPW - 1u) / CPW;
  let wgIndex = wid.x + wid.y * nwg.x;
  let bc = wgIndex / dBlocks;               // b * numChunks + chunk
  if (bc >= P.batch * P.numChunks) { return; }
  if (lid == 0u) { residency_enter(); }
  let part = lid % NS;
  let d0 = (wgIndex % dBlocks) * CPW;
  let d = d0 + lid / NS;
  let valid = d < P.dInner;
  let dc = min(d, P.dInner - 1u);           // invocations past D compute on a real channel, store nothing
  let b = bc / P.numChunks;
  let chunk = bc % P.numChunks;
  let t0 = chunk * P.chunkLen;
  let t1 = min(t0 + P.chunkLen, P.seqLen);

  let N = P.dState;
  let chanRow = dc * (N + 2u);
  let bias = Channel[chanRow + N + 1u];
  let groupSize = P.dInner / P.groups;
  let g = dc / groupSize;
  let gStage = (d0 / groupSize) * N;        // the tile's group (STAGE_BC: one group per tile)
  let q0 = part * QS;                       // this invocation's first vec4 of the state

  // a = A·log2(e), so that exp(dt·A) = exp2(dt·a).
  var a: array<vec4<f32>, QS>;
  var h: array<vec4<f32>, QS>;
  for (var q = 0u; q < QS; q++) {
    var av = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * (q0 + q) + k;
      if (n < N) { av[k] = Channel[chanRow + n] * LOG2E; }
    }
    a[q] = av;
    h[q] = vec4<f32>(0.0);
  }

  // PIPE: the first block's B rows and the first KU tokens' delta and u, loaded ahead.
  var pre: array<vec4<f32>, SPT>;
  var dl: array<f32, KU>;
  var uu: array<f32, KU>;
  if (PIPE) {
    if (STAGE_BC) {
      for (var s = 0u; s < SPT; s++) { pre[s] = stage_fetch(lid + s * WG, b, t0, min(TB, t1 - t0), gStage); }
    }
    let at0 = (b * P.seqLen + t0) * P.dInner + dc;
    for (var k = 0u; k < KU; k++) {
      let at = at0 + min(k, t1 - 1u - t0) * P.dInner;
      dl[k] = Delta[at];
      uu[k] = U[at];
    }
  }

  var deltaSum = 0.0;
  var buf = 0u;
  for (var tb = t0; tb < t1; tb += TB) {
    let rows = min(TB, t1 - tb);
    if (STAGE_BC) {
      if (PIPE) {
        // This buffer was last read two blocks ago, before the previous barrier.
        for (var s = 0u; s < SPT; s++) {
          let i = lid + s * WG;
          if (i < SBC_LEN) { sB[buf * TB + i / SROW][i % SROW] = pre[s]; }
        }
        workgroupBarrier();
        let tn = tb + TB;
        if (tn < t1) {
          for (var s = 0u; s < SPT; s++) { pre[s] = stage_fetch(lid + s * WG, b, tn, min(TB, t1 - tn), gStage); }
        }
      } else {
        workgroupBarrier();
        for (var i = lid; i < SBC_LEN; i += WG) { sB[i / SROW][i % SROW] = stage_fetch(i, b, tb, rows, gStage); }
        workgroupBarrier();
      }
    }
    let sRow = buf * TB;
    for (var r0 = 0u; r0 < rows; r0 += KU) {
      var cd: array<f32, KU>;
      var cu: array<f32, KU>;
      if (PIPE) {
        cd = dl;
        cu = uu;
        // The next group: the rest of this block, else the start of the next one.
        var tn = tb + TB;
        if (r0 + KU < rows) { tn = tb + r0 + KU; }
        if (tn < t1) {
          let at0 = (b * P.seqLen + tn) * P.dInner + dc;
          for (var k = 0u; k < KU; k++) {
            let at = at0 + min(k, t1 - 1u - tn) * P.dInner;
            dl[k] = Delta[at];
            uu[k] = U[at];
          }
        }
      } else {
        let at0 = (b * P.seqLen + tb + r0) * P.dInner + dc;
        for (var k = 0u; k < KU; k++) {
          let at = at0 + min(k, rows - 1u - r0) * P.dInner;
          cd[k] = Delta[at];
          cu[k] = U[at];
        }
      }
      for (var k = 0u; k < KU; k++) {
        let r = r0 + k;
        if (r < rows) {
          let dt = scan_step(scan_diag_token(cd[k], tb + r), bias);
          if (DT_WRITE && valid) { store_dt((b * P.seqLen + tb + r) * P.dInner + d, dt); }
          let du = dt * scan_diag_token(cu[k], tb + r);
          deltaSum += dt;
          let bBase = (b * P.seqLen + tb + r) * P.bcRowStride + P.bOffset + g * N;
          for (var q = 0u; q < QS; q++) {
            var bq: vec4<f32>;
            if ((SCAN_DIAG & 32u) != 0u) { bq = a[q]; } else if (STAGE_BC) { bq = sB[sRow + r][q0 + q]; } else { bq = load_bc4(bBase, q0 + q); }
            h[q] = fma(scan_decay4(dt * a[q], q0 + q), h[q], du * bq);
          }
        }
      }
    }
    buf = (buf + 1u) % SBUF;
  }

  if (lid == 0u) { residency_leave(); }
  if (!valid) { return; }
  let carryBase = bc * N * P.dInner + d;
  for (var q = 0u; q < QS; q++) {
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * (q0 + q) + k;
      if (n < N) { Carry[carryBase + n * P.dInner] = h[q][k]; }
    }
  }
  if (part == 0u) { DeltaSum[bc * P.dInner + d] = deltaSum; }
}
