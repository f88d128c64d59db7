// gemv_reduce with subgroup operations (the host enables the extension and prepends this only when the
// device has 'subgroups'): each subgroup adds its invocations' partial sums with subgroupAdd, its first
// invocation stores them in one slot of workgroup memory, and the first NVAL invocations add the slots in order.
// Subgroups are taken to cover consecutive local invocation indices (as on every current GPU), so slot
// subgroupMin(t) / size is distinct per subgroup and the order of the final sum is fixed (deterministic).
// Ends with a barrier; `total` then holds the sums.

// WebGPU's smallest subgroup size is 4.
var<workgroup> slots: array<array<f32, NVAL>, (WG + 3u) / 4u>;

// mc: rows in the chunk (sums for m >= mc are skipped).
fn gemv_reduce(t: u32, mc: u32, vals: ptr<function, array<f32, NVAL>>) {
  var sums = array<f32, NVAL>();
  for (var i = 0u; i < NVAL; i++) {
    if (i % MAX_M < mc) { sums[i] = subgroupAdd((*vals)[i]); }
  }
  let size = subgroupAdd(1u);
  let first = subgroupMin(t);
  if (t == first) { slots[first / size] = sums; }
  workgroupBarrier();
  let count = (WG + size - 1u) / size;
  for (var i = t; i < NVAL; i += WG) {
    if (i % MAX_M < mc) {
      var acc = 0.0;
      for (var s = 0u; s < count; s++) { acc += slots[s][i]; }
      total[i] = acc;
    }
  }
  workgroupBarrier();
}
