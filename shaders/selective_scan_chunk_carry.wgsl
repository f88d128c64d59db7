// Chunked selective scan, pass 2 of 3: for each column (b, n, d) turns each chunk's local end state into
// the state entering that chunk, in place:
//   carryIn(c) = h;  h = exp(A(d,n) · DeltaSum(b,c,d)) · h + localEnd(c).
// Carry (B, numChunks, dState, D); DeltaSum (B, numChunks, D); channel params (D, dState + 2).
// State (B, D, dState): read as the initial state when hasInitState, written with the final state when
// writeFinalState (one invocation reads then writes its own element, so one buffer serves both).
// SEG invocations share a column, each walking one segment of segLen = ceil(numChunks / SEG) chunks, so
// that the chain of dependent steps is about 2·segLen + SEG long instead of numChunks:
//   1. each segment folds its chunks from a zero state: its end state E and its total decay P (the
//      product of its chunks' decays);
//   2. through workgroup memory, each segment folds the (P, E) of the segments before it onto the
//      column's initial state: the state entering the segment;
//   3. each segment walks its chunks again from that state, writing every chunk's entering state.
// SEG == 1: step 3 alone from the initial state. A workgroup holds COLS = WG / SEG columns (column
// fastest, so that the loads of a subgroup are consecutive in d); the host prepends SEG and COLS.
// The loads of CB chunks are issued together before their (dependent) recurrence steps.

override WG: u32 = 256u;
const CB: u32 = 8u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Channel: array<f32>;
@group(0) @binding(2) var<storage, read> DeltaSum: array<f32>;
@group(0) @binding(3) var<storage, read_write> Carry: array<f32>;
@group(0) @binding(4) var<storage, read_write> State: array<f32>;

var<workgroup> sDecay: array<f32, WG>;
var<workgroup> sEnd: array<f32, WG>;

// Folds chunks c0 .. c1 - 1 of column (b, n, d) onto h; writes each chunk's entering state when `write`.
// Returns (end state, product of the decays).
fn fold_chunks(b: u32, n: u32, d: u32, a: f32, c0: u32, c1: u32, h0: f32, write: bool) -> vec2<f32> {
  let N = P.dState;
  let D = P.dInner;
  var h = h0;
  var prod = 1.0;
  if (c1 <= c0) { return vec2<f32>(h, prod); }
  let last = c1 - 1u;
  for (var cb = c0; cb < c1; cb += CB) {
    var localEnd: array<f32, CB>;
    var decay: array<f32, CB>;
    for (var k = 0u; k < CB; k++) {
      let bc = b * P.numChunks + min(cb + k, last);
      localEnd[k] = Carry[(bc * N + n) * D + d];
      decay[k] = DeltaSum[bc * D + d];
    }
    for (var k = 0u; k < CB; k++) {
      if (cb + k <= last) {
        if (write) { Carry[((b * P.numChunks + cb + k) * N + n) * D + d] = h; }
        let e = exp2(a * decay[k]);
        prod *= e;
        h = fma(e, h, localEnd[k]);
      }
    }
  }
  return vec2<f32>(h, prod);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let col = (wid.x + wid.y * nwg.x) * COLS + lid % COLS;
  let seg = lid / COLS;
  let N = P.dState;
  let D = P.dInner;
  let valid = col < P.batch * N * D;
  let cc = min(col, P.batch * N * D - 1u);  // invocations past the last column compute on it, store nothing
  let d = cc % D;
  let n = (cc / D) % N;
  let b = cc / (D * N);

  let a = Channel[d * (N + 2u) + n] * LOG2E;   // exp(x·A) = exp2(x·a)
  let stateAt = (b * D + d) * N + n;
  var h = 0.0;
  if (P.hasInitState == 1u) { h = State[stateAt]; }
  let segLen = (P.numChunks + SEG - 1u) / SEG;
  let c0 = min(seg * segLen, P.numChunks);
  let c1 = min(c0 + segLen, P.numChunks);
  if (SEG > 1u) {
    // Steps 1 and 2. Every invocation reaches the barrier (no early return above).
    let own = fold_chunks(b, n, d, a, c0, c1, 0.0, false);
    sEnd[lid] = own.x;
    sDecay[lid] = own.y;
    workgroupBarrier();
    for (var s = 0u; s < seg; s++) {
      let i = s * COLS + lid % COLS;
      h = fma(sDecay[i], h, sEnd[i]);
    }
  }
  if (!valid) { return; }
  h = fold_chunks(b, n, d, a, c0, c1, h, true).x;
  if (P.writeFinalState == 1u && seg == SEG - 1u) { State[stateAt] = h; }
}
