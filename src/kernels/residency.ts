// Resident-workgroup counters for benchmarks: a kernel's first invocation calls residency_enter() when its
// workgroup starts and residency_leave() when it ends; with a counter bound, a u32 pair counts the
// workgroups running now and the most that ran at once (what limits a latency-bound kernel, and what
// registers per invocation allow). Without one both are empty functions.

/** WGSL for residency_enter / residency_leave: the pair at `at` of the tensor bound at `binding`, or empty. */
export function residencyCode(counter: { binding: number; at: number } | null): string {
  if (!counter) return 'fn residency_enter() {}\nfn residency_leave() {}';
  const { binding, at } = counter;
  return [
    `@group(0) @binding(${binding}) var<storage, read_write> Residency: array<atomic<u32>>;`,
    `fn residency_enter() { atomicMax(&Residency[${at + 1}u], atomicAdd(&Residency[${at}u], 1u) + 1u); }`,
    `fn residency_leave() { atomicSub(&Residency[${at}u], 1u); }`,
  ].join('\n');
}
