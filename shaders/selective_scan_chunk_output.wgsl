// Chunked selective scan, pass 3 of 3: each channel of each (b, chunk) starts from the state entering its
// chunk and rescans the chunk, producing y = <h, C> + Dskip·u, times silu(z) when hasZ.
// Layouts as in selective_scan_sequential.wgsl: u, delta, y (B, L, D); B/C rows of bcRowStride read
// through load_bc4; z rows of zRowStride at zOffset. State in registers as vec4 lanes (masked lanes stay 0).
// `Carry` is either the carry tensor (B, numChunks, dState, D) written by pass 2 (numChunks > 1), or, when
// the whole sequence is one chunk (numChunks == 1: this pass alone is the scan), the state tensor
// (B, D, dState): the initial state is read from it when hasInitState and the final state written to it
// when writeFinalState.
// NS invocations share a channel (consecutive invocations, within one subgroup), each holding
// QS = STATE_VEC4 / NS vec4 of the state; ns_sum adds their partial <h, C> (subgroup shuffles, prepended
// by the host with `enable subgroups` when NS > 1) and the first of them stores y. A workgroup covers
// CPW = WG / NS channels; dBlocks = ceil(D / CPW).
// Latency hiding as in selective_scan_chunk_local.wgsl: blocks of TB tokens whose B and C rows are staged
// in workgroup memory when STAGE_BC; delta, u, z loaded KU tokens at a time ahead of their steps; when
// PIPE, the next KU tokens' loads and the next block's B/C rows are issued before the current ones are
// computed (register double buffering, SBUF = 2 workgroup buffers).
// Decays, step sizes and the gate come from selective_scan_steps.wgsl (POLY_ELEMS of the decays through the
// polynomial exp2, the rest through exp2; SCAN_DIAG 0 outside benchmarks).
// residency_enter / residency_leave (prepended by the host): benchmarks count the workgroups running at
// once in a counter at binding 8; empty otherwise.
// DT_READY (host constant): Delta already holds the step sizes dt (written by the chunk-local pass), read
// as they are: no bias, no softplus.

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read> Z: array<f32>;
@group(0) @binding(6) var<storage, read_write> Carry: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

// Staged rows, SBUF blocks of TB tokens; row r holds B (STATE_VEC4 vec4) then C. Rows are indexed per token
// and vec4 by constants (after unrolling), so the bounds clamps of the workgroup accesses cost one per token.
var<workgroup> sBC: array<array<vec4<f32>, SROW>, SROWS>;

// Element i of the staged block starting at token tb (rows tokens).
fn stage_fetch(i: u32, b: u32, tb: u32, rows: u32, gBase: u32) -> vec4<f32> {
  let r = i / (2u * STATE_VEC4);
  let j = i % (2u * STATE_VEC4);
  if (r >= rows) { return vec4<f32>(0.0); }
  let rowBase = (b * P.seqLen + tb + r) * P.bcRowStride + gBase;
  if (j < STATE_VEC4) { return load_bc4(rowBase + P.bOffset, j); }
  return load_bc4(rowBase + P.cOffset, j - STATE_VEC4);
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
  let dSkip = Channel[chanRow + N];
  let bias = Channel[chanRow + N + 1u];
  let groupSize = P.dInner / P.groups;
  let g = dc / groupSize;
  let gStage = (d0 / groupSize) * N;        // the tile's group (STAGE_BC: one group per tile)
  let single = P.numChunks == 1u;
  let stateBase = (b * P.dInner + dc) * N;  // single: State (B, D, N)
  let carryBase = bc * N * P.dInner + dc;   // otherwise: Carry (B, numChunks, N, D)
  let q0 = part * QS;                       // this invocation's first vec4 of the state
  let hasZ = P.hasZ == 1u;

  // a = A·log2(e), so that exp(dt·A) = exp2(dt·a).
  var a: array<vec4<f32>, QS>;
  var h: array<vec4<f32>, QS>;
  for (var q = 0u; q < QS; q++) {
    var av = vec4<f32>(0.0);
    var hv = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * (q0 + q) + k;
      if (n < N) {
        av[k] = Channel[chanRow + n] * LOG2E;
        if (!single) {
          hv[k] = Carry[carryBase + n * P.dInner];
        } else if (P.hasInitState == 1u) {
          hv[k] = Carry[stateBase + n];
        }
      }
    }
    a[q] = av;
    h[q] = hv;
  }

  // PIPE: the first block's B/C rows and the first KU tokens' delta, u, z, loaded ahead.
  var pre: array<vec4<f32>, SPT>;
  var dl: array<f32, KU>;
  var uu: array<f32, KU>;
  var zz: array<f32, KU>;
  if (PIPE) {
    if (STAGE_BC) {
      for (var s = 0u; s < SPT; s++) { pre[s] = stage_fetch(lid + s * WG, b, t0, min(TB, t1 - t0), gStage); }
    }
    for (var k = 0u; k < KU; k++) {
      let row = b * P.seqLen + t0 + min(k, t1 - 1u - t0);
      dl[k] = Delta[row * P.dInner + dc];
      uu[k] = U[row * P.dInner + dc];
      if (hasZ) { zz[k] = Z[row * P.zRowStride + P.zOffset + dc]; }
    }
  }

  var buf = 0u;
  for (var tb = t0; tb < t1; tb += TB) {
    let rows = min(TB, t1 - tb);
    if (STAGE_BC) {
      if (PIPE) {
        // This buffer was last read two blocks ago, before the previous barrier.
        for (var s = 0u; s < SPT; s++) {
          let i = lid + s * WG;
          if (i < SBC_LEN) { sBC[buf * TB + i / SROW][i % SROW] = pre[s]; }
        }
        workgroupBarrier();
        let tn = tb + TB;
        if (tn < t1) {
          for (var s = 0u; s < SPT; s++) { pre[s] = stage_fetch(lid + s * WG, b, tn, min(TB, t1 - tn), gStage); }
        }
      } else {
        workgroupBarrier();
        for (var i = lid; i < SBC_LEN; i += WG) { sBC[i / SROW][i % SROW] = stage_fetch(i, b, tb, rows, gStage); }
        workgroupBarrier();
      }
    }
    let sRow = buf * TB;
    for (var r0 = 0u; r0 < rows; r0 += KU) {
      var cd: array<f32, KU>;
      var cu: array<f32, KU>;
      var cz: array<f32, KU>;
      if (PIPE) {
        cd = dl;
        cu = uu;
        cz = zz;
        // The next group: the rest of this block, else the start of the next one.
        var tn = tb + TB;
        if (r0 + KU < rows) { tn = tb + r0 + KU; }
        if (tn < t1) {
          for (var k = 0u; k < KU; k++) {
            let row = b * P.seqLen + tn + min(k, t1 - 1u - tn);
            dl[k] = Delta[row * P.dInner + dc];
            uu[k] = U[row * P.dInner + dc];
            if (hasZ) { zz[k] = Z[row * P.zRowStride + P.zOffset + dc]; }
          }
        }
      } else {
        for (var k = 0u; k < KU; k++) {
          let row = b * P.seqLen + tb + r0 + min(k, rows - 1u - r0);
          cd[k] = Delta[row * P.dInner + dc];
          cu[k] = U[row * P.dInner + dc];
          if (hasZ) { cz[k] = Z[row * P.zRowStride + P.zOffset + dc]; }
        }
      }
      for (var k = 0u; k < KU; k++) {
        let r = r0 + k;
        if (r < rows) {
          let row = b * P.seqLen + tb + r;
          let t = tb + r;
          var dt: f32;
          if (DT_READY) { dt = scan_diag_token(cd[k], t); } else { dt = scan_step(scan_diag_token(cd[k], t), bias); }
          let uk = scan_diag_token(cu[k], t);
          let du = dt * uk;
          let bBase = row * P.bcRowStride + P.bOffset + g * N;
          let cBase = row * P.bcRowStride + P.cOffset + g * N;
          var y4 = vec4<f32>(0.0);
          for (var q = 0u; q < QS; q++) {
            var bq: vec4<f32>;
            var cq: vec4<f32>;
            if ((SCAN_DIAG & 32u) != 0u) {
              bq = a[q];
              cq = a[q];
            } else if (STAGE_BC) {
              bq = sBC[sRow + r][q0 + q];
              cq = sBC[sRow + r][STATE_VEC4 + q0 + q];
            } else {
              bq = load_bc4(bBase, q0 + q);
              cq = load_bc4(cBase, q0 + q);
            }
            h[q] = fma(scan_decay4(dt * a[q], q0 + q), h[q], du * bq);
            y4 = fma(h[q], cq, y4);
          }
          var y = fma(dSkip, uk, ns_sum((y4.x + y4.y) + (y4.z + y4.w)));
          if (hasZ) { y = y * scan_gate(scan_diag_token(cz[k], t)); }
          if (valid && part == 0u && scan_diag_store(y)) { Y[row * P.dInner + d] = y; }
        }
      }
    }
    buf = (buf + 1u) % SBUF;
  }

  if (single && P.writeFinalState == 1u && valid) {
    for (var q = 0u; q < QS; q++) {
      for (var k = 0u; k < 4u; k++) {
        let n = 4u * (q0 + q) + k;
        if (n < N) { Carry[stateBase + n] = h[q][k]; }
      }
    }
  }
  if (lid == 0u) { residency_leave(); }
}
