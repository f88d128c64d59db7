// Selective scan (sequential and chunked) and the decode state update against their float64 twins on
// random inputs of awkward sizes: L = 1, L not a multiple of the chunk, long L, N from 1 to 256, odd D,
// groups, without D / z / bias, softplus on both sides of its threshold, initial and final states.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { selectiveScanRef, selectiveStateUpdateRef } from '../reference/mamba';
import { DEFAULT_POLY_FRACTION, defaultChunkLen, packScanChannels, scanExp2Poly, scanPolyElems, selectiveScan, type ScanTuning, type ScanVariant } from './selective-scan';
import { selectiveStateUpdate } from './selective-state-update';
import { KernelInputError } from '../engine/errors';

/** B and C (rows, G·N each) interleaved per row as the kernels' default bc layout: [B row, C row]. */
function packBc(Bm: Float32Array, Cm: Float32Array, rows: number, width: number): Float32Array {
  const out = new Float32Array(rows * 2 * width);
  for (let r = 0; r < rows; r++) {
    out.set(Bm.subarray(r * width, (r + 1) * width), r * 2 * width);
    out.set(Cm.subarray(r * width, (r + 1) * width), r * 2 * width + width);
  }
  return out;
}

interface ScanCase {
  name: string;
  batch: number;
  seqLen: number;
  dInner: number;
  dState: number;
  groups?: number;
  noD?: boolean;
  noZ?: boolean;
  noBias?: boolean;
  noSoftplus?: boolean;
  biasCenter?: number;
  initialState?: boolean;
  chunkLen?: number;
  tuning?: ScanTuning;
  tol?: number;
  /** Gate z scaled by this (default 2). */
  zScale?: number;
  /**
   * u of random sign with magnitudes from 1e-6 to 1e2 (log-uniform), a tenth of them exactly 0 and a run of
   * tokens where every channel's u is 0: steps whose dt·u spans decades or vanishes (the inputs a state
   * carried scaled by |dt·u| finds hardest; that form was measured and not kept, README "Selective scan").
   */
  uDecades?: boolean;
}

/** u for ScanCase.uDecades: (batch, seqLen, dInner). */
function decadesU(batch: number, seqLen: number, dInner: number, seed: number): Float32Array {
  const sign = uniformArray(batch * seqLen * dInner, seed, -1, 1);
  const exponent = uniformArray(batch * seqLen * dInner, seed + 1, -6, 2);
  const zero = uniformArray(batch * seqLen * dInner, seed + 2, 0, 1);
  const u = new Float32Array(batch * seqLen * dInner);
  const run0 = Math.floor(seqLen / 3);
  const run1 = Math.min(seqLen, run0 + 5);
  for (let i = 0; i < u.length; i++) {
    const t = Math.floor(i / dInner) % seqLen;
    u[i] = zero[i] < 0.1 || (t >= run0 && t < run1) ? 0 : Math.sign(sign[i]) * 10 ** exponent[i];
  }
  return u;
}

function makeInputs(c: ScanCase, seed: number) {
  const { batch, seqLen, dInner, dState } = c;
  const groups = c.groups ?? 1;
  const n = batch * seqLen * dInner;
  const bcN = batch * seqLen * groups * dState;
  const u = c.uDecades ? decadesU(batch, seqLen, dInner, seed + 1) : normalArray(n, seed + 1);
  // Without softplus the step must stay positive, as real step sizes are.
  const delta = c.noSoftplus ? uniformArray(n, seed + 2, 0.01, 0.6) : uniformArray(n, seed + 2, -4, 1);
  const A = uniformArray(dInner * dState, seed + 3, -2, -0.05);
  const Bm = normalArray(bcN, seed + 4);
  const Cm = normalArray(bcN, seed + 5);
  const D = c.noD ? null : normalArray(dInner, seed + 6);
  const z = c.noZ ? null : normalArray(n, seed + 7, c.zScale ?? 2);
  const center = c.biasCenter ?? 0;
  const deltaBias = c.noBias ? null : uniformArray(dInner, seed + 8, center - 2, center + 2);
  const initialState = c.initialState ? normalArray(batch * dInner * dState, seed + 9) : null;
  return { u, delta, A, Bm, Cm, D, z, deltaBias, initialState, groups };
}

async function runScan(c: ScanCase, variant: ScanVariant, seed: number, opts: { deltaInPlace?: boolean } = {}) {
  const e = await testEngine();
  const { batch, seqLen, dInner, dState } = c;
  const inp = makeInputs(c, seed);
  const rows = batch * seqLen;
  const width = inp.groups * dState;
  const tensors = {
    u: e.upload(inp.u, [batch, seqLen, dInner], 'activations', 'u'),
    delta: e.upload(inp.delta, [batch, seqLen, dInner], 'activations', 'delta'),
    channels: e.upload(packScanChannels(inp.A, dInner, dState, inp.D, inp.deltaBias), [dInner, dState + 2], 'weights', 'channels'),
    bc: e.upload(packBc(inp.Bm, inp.Cm, rows, width), [batch, seqLen, 2 * width], 'activations', 'bc'),
    z: inp.z ? e.upload(inp.z, [batch, seqLen, dInner], 'activations', 'z') : undefined,
    state: e.upload(inp.initialState ?? new Float32Array(batch * dInner * dState), [batch, dInner, dState], 'cache', 'state'),
  };
  const y = selectiveScan(e, {
    ...tensors,
    groups: inp.groups,
    deltaSoftplus: !c.noSoftplus,
    useInitialState: Boolean(inp.initialState),
    writeFinalState: true,
    variant,
    chunkLen: c.chunkLen,
    tuning: c.tuning,
    deltaInPlace: opts.deltaInPlace,
  });
  const got = await e.read(y);
  const lastState = await e.read(tensors.state);
  const deltaAfter = await e.read(tensors.delta);
  for (const t of [...Object.values(tensors), y]) t?.release();
  const ref = selectiveScanRef({
    batch,
    seqLen,
    dInner,
    dState,
    groups: inp.groups,
    u: inp.u,
    delta: inp.delta,
    A: inp.A,
    B: inp.Bm,
    C: inp.Cm,
    D: inp.D,
    z: inp.z,
    deltaBias: inp.deltaBias,
    deltaSoftplus: !c.noSoftplus,
    initialState: inp.initialState,
  });
  return { got, lastState, ref, deltaAfter, inputs: inp };
}

const CASES: ScanCase[] = [
  { name: 'L=1', batch: 2, seqLen: 1, dInner: 5, dState: 16, chunkLen: 4 },
  { name: 'N=1, odd D, L not a multiple of the chunk', batch: 2, seqLen: 37, dInner: 7, dState: 1, chunkLen: 8 },
  { name: 'the golden size', batch: 2, seqLen: 300, dInner: 20, dState: 16, chunkLen: 32 },
  { name: 'groups', batch: 1, seqLen: 129, dInner: 16, dState: 8, groups: 2, chunkLen: 16 },
  { name: 'N=64, three groups, odd chunk', batch: 1, seqLen: 100, dInner: 12, dState: 64, groups: 3, chunkLen: 7 },
  { name: 'N=5 (not a power of two), no D, no z, no bias, no softplus', batch: 3, seqLen: 70, dInner: 3, dState: 5, noD: true, noZ: true, noBias: true, noSoftplus: true, chunkLen: 16 },
  { name: 'bias across the softplus threshold (dt near 20)', batch: 1, seqLen: 50, dInner: 67, dState: 4, biasCenter: 20, chunkLen: 9 },
  { name: 'initial state', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 8 },
  { name: 'N=200 (beyond 64)', batch: 1, seqLen: 20, dInner: 3, dState: 200, chunkLen: 6 },
  { name: 'more than 64 channels (several workgroups along D)', batch: 2, seqLen: 33, dInner: 131, dState: 16, chunkLen: 10 },
  { name: 'large dt (decays underflow)', batch: 1, seqLen: 40, dInner: 9, dState: 16, biasCenter: 60, chunkLen: 11 },
  { name: 'u over eight decades, exact zeros, a run of zero tokens, no D', batch: 2, seqLen: 90, dInner: 11, dState: 16, noD: true, initialState: true, uDecades: true, chunkLen: 13 },
  { name: 'u over eight decades, one chunk', batch: 1, seqLen: 64, dInner: 6, dState: 8, noD: true, initialState: true, uDecades: true, chunkLen: 64 },
];

describe('selective scan against selective_scan_ref (float64)', () => {
  for (const c of CASES) {
    for (const variant of ['sequential', 'chunked'] as const) {
      it(`${variant}: ${c.name} (B=${c.batch}, L=${c.seqLen}, D=${c.dInner}, N=${c.dState})`, async () => {
        const { got, lastState, ref } = await runScan(c, variant, c.seqLen * 7 + c.dState);
        expect(relativeError(got, ref.y)).toBeLessThan(c.tol ?? 2e-5);
        expect(relativeError(lastState, ref.lastState)).toBeLessThan(c.tol ?? 2e-5);
      });
    }
  }

  it('long sequence (L=16384): chunked and sequential both match the reference, and each other', async () => {
    const c: ScanCase = { name: 'long', batch: 1, seqLen: 16384, dInner: 5, dState: 4, initialState: true };
    const seq = await runScan(c, 'sequential', 11);
    const chk = await runScan(c, 'chunked', 11);
    expect(relativeError(seq.got, seq.ref.y)).toBeLessThan(2e-5);
    expect(relativeError(chk.got, chk.ref.y)).toBeLessThan(2e-5);
    expect(relativeError(chk.lastState, chk.ref.lastState)).toBeLessThan(2e-5);
    expect(relativeError(chk.got, seq.got)).toBeLessThan(2e-5);
  });

  it('auto picks a variant that matches the reference for short and long L', async () => {
    for (const seqLen of [3, 300]) {
      const { got, ref } = await runScan({ name: 'auto', batch: 1, seqLen, dInner: 6, dState: 16, chunkLen: 32 }, 'auto', seqLen);
      expect(relativeError(got, ref.y)).toBeLessThan(2e-5);
    }
  });

  it('refuses groups that do not divide D and a state of the wrong shape, naming them', async () => {
    const e = await testEngine();
    const u = e.tensor([1, 4, 6], 'activations', 'u');
    const channels = e.tensor([6, 18], 'weights', 'channels');
    const bc = e.tensor([1, 4, 64], 'activations', 'bc');
    expect(() => selectiveScan(e, { u, delta: u, channels, bc, groups: 4 })).toThrow(/groups 4 must divide D = 6/);
    const badState = e.tensor([1, 6, 8], 'cache', 'state');
    expect(() => selectiveScan(e, { u, delta: u, channels, bc, state: badState, writeFinalState: true })).toThrow(KernelInputError);
    expect(() => selectiveScan(e, { u, delta: u, channels, bc, state: badState, writeFinalState: true })).toThrow(/state \(1, 6, 8\) must be/);
  });
});

// The subgroup scan: lanes of a subgroup split each chunk of the sequence. Its default shape on this device
// (lanes = the adapter's smallest subgroup size, up to 32), and shapes with fewer lanes, odd token counts per
// lane, unstaged B/C (groups not aligned with the workgroup's channels) and small state groups.
describe('subgroup selective scan against selective_scan_ref (float64)', () => {
  const shapes: { name: string; subgroup?: ScanTuning['subgroup'] }[] = [
    { name: 'default shape' },
    { name: '2 lanes × 3 tokens, 5 channels, one state quad staged at a time', subgroup: { lanes: 2, items: 3, channels: 5, stateGroup: 4 } },
  ];
  for (const c of CASES) {
    for (const sh of shapes) {
      it(`${sh.name}: ${c.name} (B=${c.batch}, L=${c.seqLen}, D=${c.dInner}, N=${c.dState})`, async () => {
        const { got, lastState, ref } = await runScan({ ...c, tuning: { subgroup: sh.subgroup } }, 'subgroup', c.seqLen * 17 + c.dState);
        expect(relativeError(got, ref.y)).toBeLessThan(c.tol ?? 2e-5);
        expect(relativeError(lastState, ref.lastState)).toBeLessThan(c.tol ?? 2e-5);
      });
    }
  }
  it('long sequence (L=16384, batch 2) with an initial state', async () => {
    const c: ScanCase = { name: 'long', batch: 2, seqLen: 16384, dInner: 18, dState: 16, initialState: true };
    const { got, lastState, ref } = await runScan(c, 'subgroup', 4243);
    expect(relativeError(got, ref.y)).toBeLessThan(5e-5);
    expect(relativeError(lastState, ref.lastState)).toBeLessThan(5e-5);
  });
  it('counts its resident workgroups on request: at least one, at most all, none left running', async () => {
    const e = await testEngine();
    const [batch, seqLen, dInner, dState] = [2, 300, 40, 16];
    const shape = [batch, seqLen, dInner];
    const u = e.upload(normalArray(batch * seqLen * dInner, 1), shape, 'activations', 'u');
    const delta = e.upload(uniformArray(batch * seqLen * dInner, 2, -4, 1), shape, 'activations', 'delta');
    const channels = e.upload(packScanChannels(uniformArray(dInner * dState, 3, -2, -0.05), dInner, dState), [dInner, dState + 2], 'weights', 'channels');
    const bc = e.upload(normalArray(batch * seqLen * 2 * dState, 4), [batch, seqLen, 2 * dState], 'activations', 'bc');
    const residency = e.upload(new Float32Array(2), [2], 'scratch', 'residency');
    const lanes = Math.min(16, e.report.subgroupMinSize || 1);
    const channelsPerWorkgroup = 4;
    const y = selectiveScan(e, { u, delta, channels, bc, deltaSoftplus: true, variant: 'subgroup', tuning: { subgroup: { channels: channelsPerWorkgroup, lanes } }, residency });
    const counts = new Uint32Array((await e.read(residency)).buffer);
    const workgroups = batch * Math.ceil(dInner / channelsPerWorkgroup);
    expect(counts[0]).toBe(0);
    expect(counts[1]).toBeGreaterThanOrEqual(1);
    expect(counts[1]).toBeLessThanOrEqual(workgroups);
    expect(() => selectiveScan(e, { u, delta, channels, bc, variant: 'subgroup', residency: e.tensor([1], 'scratch', 'small') })).toThrow(/residency counter needs 2 values/);
    for (const t of [u, delta, channels, bc, residency, y]) t.release();
  });

  it('one lane per channel, one token per lane, one channel per workgroup; groups staged and unstaged', async () => {
    for (const subgroup of [{ lanes: 1, items: 5 }, { items: 1 }, { channels: 1, items: 2 }, { channels: 5 }, { channels: 4, stateGroup: 16 }]) {
      const c: ScanCase = { name: 'shape', batch: 2, seqLen: 97, dInner: 20, dState: 16, groups: 4, initialState: true, tuning: { subgroup } };
      const { got, lastState, ref } = await runScan(c, 'subgroup', 78);
      expect(relativeError(got, ref.y), JSON.stringify(subgroup)).toBeLessThan(2e-5);
      expect(relativeError(lastState, ref.lastState), JSON.stringify(subgroup)).toBeLessThan(2e-5);
    }
  });
});

// The chunked passes' configurations: one chunk (the output pass alone, with initial and final state),
// workgroup sizes that do and do not divide D, staged and unstaged B/C (groups whose channels align with
// the workgroup are staged), and unroll factors that leave tails.
const TUNED_CASES: ScanCase[] = [
  { name: 'one chunk, initial state', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 45 },
  { name: 'one chunk (chunk > L), N=1, no z', batch: 3, seqLen: 5, dInner: 7, dState: 1, noZ: true, chunkLen: 64 },
  { name: 'one chunk, N=64, groups', batch: 1, seqLen: 33, dInner: 12, dState: 64, groups: 3, initialState: true, chunkLen: 33 },
  { name: 'staged groups (D/G a multiple of the workgroup)', batch: 2, seqLen: 70, dInner: 64, dState: 16, groups: 2, chunkLen: 24, tuning: { workgroupSize: 32 } },
  { name: 'N=64 staged, odd workgroup, unroll 3', batch: 1, seqLen: 77, dInner: 19, dState: 64, chunkLen: 40, tuning: { workgroupSize: 7, unroll: 3 } },
  { name: 'unstaged, unroll 1', batch: 2, seqLen: 50, dInner: 10, dState: 16, initialState: true, chunkLen: 13, tuning: { stage: false, unroll: 1 } },
  { name: 'L=1, one chunk', batch: 2, seqLen: 1, dInner: 5, dState: 16, initialState: true, chunkLen: 1 },
  // Pipelined loads: chunks that end inside a block and groups that straddle blocks (TB = 32).
  { name: 'pipelined, staged', batch: 2, seqLen: 300, dInner: 20, dState: 16, chunkLen: 40, tuning: { pipeline: true } },
  { name: 'pipelined, staged groups, workgroup 32, unroll 3', batch: 2, seqLen: 170, dInner: 64, dState: 16, groups: 2, chunkLen: 75, tuning: { pipeline: true, workgroupSize: 32, unroll: 3 } },
  { name: 'pipelined, unstaged, N=5', batch: 1, seqLen: 90, dInner: 9, dState: 5, chunkLen: 33, tuning: { pipeline: true, stage: false } },
  { name: 'pipelined, one chunk, initial state', batch: 2, seqLen: 77, dInner: 9, dState: 16, initialState: true, chunkLen: 77, tuning: { pipeline: true, unroll: 4 } },
  { name: 'pipelined, N=64 (prefetch too large: left off), odd workgroup', batch: 1, seqLen: 77, dInner: 19, dState: 64, chunkLen: 40, tuning: { pipeline: true, workgroupSize: 7 } },
  { name: 'pipelined, blocks of 5 tokens, unroll 3', batch: 2, seqLen: 61, dInner: 20, dState: 16, chunkLen: 23, tuning: { pipeline: true, block: 5, unroll: 3 } },
  { name: 'blocks of 64 tokens, unroll 4, groups', batch: 1, seqLen: 200, dInner: 64, dState: 16, groups: 2, chunkLen: 150, tuning: { block: 64, unroll: 4, workgroupSize: 32 } },
  // Channels split over invocations (the output pass's split needs subgroups, else it is 1).
  { name: 'split 2, staged', batch: 2, seqLen: 130, dInner: 20, dState: 16, chunkLen: 40, tuning: { splitLocal: 2, splitOutput: 2 } },
  { name: 'split 4, pipelined, groups', batch: 1, seqLen: 129, dInner: 64, dState: 16, groups: 2, chunkLen: 36, tuning: { splitLocal: 4, splitOutput: 4, pipeline: true, workgroupSize: 64 } },
  { name: 'split 4 on N=5 (rounded to 2), unstaged', batch: 2, seqLen: 50, dInner: 7, dState: 5, chunkLen: 13, tuning: { splitLocal: 4, splitOutput: 4, stage: false } },
  { name: 'split 2, N=64, three groups, odd chunk', batch: 1, seqLen: 100, dInner: 12, dState: 64, groups: 3, chunkLen: 7, tuning: { splitLocal: 2, splitOutput: 2, pipeline: true } },
  { name: 'split 4, one chunk, initial state', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 45, tuning: { splitOutput: 4, pipeline: true } },
  { name: 'split 8 local, N=200', batch: 1, seqLen: 20, dInner: 3, dState: 200, chunkLen: 6, tuning: { splitLocal: 8, splitOutput: 2 } },
];

describe('chunked selective scan configurations against selective_scan_ref (float64)', () => {
  for (const c of TUNED_CASES) {
    it(`${c.name} (B=${c.batch}, L=${c.seqLen}, D=${c.dInner}, N=${c.dState}, chunk=${c.chunkLen}${c.tuning ? `, ${JSON.stringify(c.tuning)}` : ''})`, async () => {
      const { got, lastState, ref } = await runScan(c, 'chunked', c.seqLen * 13 + c.dState);
      expect(relativeError(got, ref.y)).toBeLessThan(c.tol ?? 2e-5);
      expect(relativeError(lastState, ref.lastState)).toBeLessThan(c.tol ?? 2e-5);
    });
  }

  it('counts the resident workgroups of its chunk-local and output passes on request, and still scans right', async () => {
    const e = await testEngine();
    const c: ScanCase = { name: 'residency', batch: 2, seqLen: 300, dInner: 40, dState: 16 };
    const inp = makeInputs(c, 5);
    const shape = [c.batch, c.seqLen, c.dInner];
    const u = e.upload(inp.u, shape, 'activations', 'u');
    const delta = e.upload(inp.delta, shape, 'activations', 'delta');
    const channels = e.upload(packScanChannels(inp.A, c.dInner, c.dState, inp.D, inp.deltaBias), [c.dInner, c.dState + 2], 'weights', 'channels');
    const bc = e.upload(packBc(inp.Bm, inp.Cm, c.batch * c.seqLen, c.dState), [c.batch, c.seqLen, 2 * c.dState], 'activations', 'bc');
    const z = e.upload(inp.z!, shape, 'activations', 'z');
    const [chunkLen, workgroupSize] = [32, 16];
    const residency = e.upload(new Float32Array(4), [4], 'scratch', 'residency');
    const y = selectiveScan(e, { u, delta, channels, bc, z, deltaSoftplus: true, variant: 'chunked', chunkLen, tuning: { workgroupSize }, residency });
    const counts = new Uint32Array((await e.read(residency)).buffer);
    const workgroups = c.batch * Math.ceil(c.seqLen / chunkLen) * Math.ceil(c.dInner / workgroupSize);
    expect([counts[0], counts[2]]).toEqual([0, 0]);
    for (const most of [counts[1], counts[3]]) {
      expect(most).toBeGreaterThanOrEqual(1);
      expect(most).toBeLessThanOrEqual(workgroups);
    }
    const ref = selectiveScanRef({ batch: c.batch, seqLen: c.seqLen, dInner: c.dInner, dState: c.dState, groups: 1, u: inp.u, delta: inp.delta, A: inp.A, B: inp.Bm, C: inp.Cm, D: inp.D, z: inp.z, deltaBias: inp.deltaBias, deltaSoftplus: true });
    expect(relativeError(await e.read(y), ref.y)).toBeLessThan(2e-5);
    expect(() => selectiveScan(e, { u, delta, channels, bc, variant: 'chunked', chunkLen, residency: e.tensor([2], 'scratch', 'small') })).toThrow(/residency counters need 4 values/);
    for (const t of [u, delta, channels, bc, z, residency, y]) t.release();
  });

  it('the default chunk length: one chunk for large B·D or short L, otherwise chunks of 32..512 tokens', () => {
    expect(defaultChunkLen(64, 512, 2048)).toBe(512);
    expect(defaultChunkLen(1, 20, 64)).toBe(20);
    expect(defaultChunkLen(8, 2048, 2048)).toBe(128);
    expect(defaultChunkLen(16, 2048, 2048)).toBe(2048);
    expect(defaultChunkLen(1, 65536, 2048)).toBe(512);
    const c = defaultChunkLen(1, 300, 20);
    expect(c).toBeGreaterThanOrEqual(32);
    expect(c).toBeLessThan(300);
  });
});

describe('selective state update (decode) against selective_state_update_ref (float64)', () => {
  const cases: [number, number, number, number, boolean][] = [
    // batch, dInner, dState, groups, with D/z/bias
    [3, 40, 16, 1, true],
    [1, 7, 1, 1, false],
    [2, 130, 64, 2, true],
  ];
  for (const [batch, dInner, dState, groups, full] of cases) {
    it(`B=${batch}, D=${dInner}, N=${dState}, G=${groups}${full ? '' : ', no D/z/bias'}`, async () => {
      const e = await testEngine();
      const seed = dInner + dState;
      const state0 = normalArray(batch * dInner * dState, seed);
      const x = normalArray(batch * dInner, seed + 1);
      const dt = uniformArray(batch * dInner, seed + 2, -3, 1);
      const A = uniformArray(dInner * dState, seed + 3, -2, -0.05);
      const Bm = normalArray(batch * groups * dState, seed + 4);
      const Cm = normalArray(batch * groups * dState, seed + 5);
      const D = full ? normalArray(dInner, seed + 6) : null;
      const z = full ? normalArray(batch * dInner, seed + 7) : null;
      const dtBias = full ? uniformArray(dInner, seed + 8, 18, 22) : null;
      const state = e.upload(state0, [batch, dInner, dState], 'cache', 'state');
      const y = selectiveStateUpdate(e, {
        state,
        x: e.upload(x, [batch, dInner], 'activations', 'x'),
        dt: e.upload(dt, [batch, dInner], 'activations', 'dt'),
        channels: e.upload(packScanChannels(A, dInner, dState, D, dtBias), [dInner, dState + 2], 'weights', 'channels'),
        bc: e.upload(packBc(Bm, Cm, batch, groups * dState), [batch, 2 * groups * dState], 'activations', 'bc'),
        groups,
        z: z ? e.upload(z, [batch, dInner], 'activations', 'z') : undefined,
        dtSoftplus: true,
      });
      const ref = selectiveStateUpdateRef({ batch, dInner, dState, groups, state: state0, x, dt, A, B: Bm, C: Cm, D, z, dtBias, dtSoftplus: true });
      expect(relativeError(await e.read(y), ref.y)).toBeLessThan(1e-5);
      expect(relativeError(await e.read(state), ref.state)).toBeLessThan(1e-5);
    });
  }

  it('the fused dt projection equals projecting first', async () => {
    const e = await testEngine();
    const [batch, dInner, dState, rank] = [2, 9, 4, 3];
    const width = rank + 2 * dState;
    const xdbl = normalArray(batch * width, 1);
    const wdt = normalArray(dInner * rank, 2, 0.5);
    const A = uniformArray(dInner * dState, 3, -2, -0.05);
    const x = normalArray(batch * dInner, 4);
    const state0 = normalArray(batch * dInner * dState, 5);
    const dt = new Float32Array(batch * dInner);
    for (let b = 0; b < batch; b++) for (let d = 0; d < dInner; d++) for (let r = 0; r < rank; r++) dt[b * dInner + d] += xdbl[b * width + r] * wdt[d * rank + r];
    const Bm = new Float32Array(batch * dState);
    const Cm = new Float32Array(batch * dState);
    for (let b = 0; b < batch; b++) for (let n = 0; n < dState; n++) {
      Bm[b * dState + n] = xdbl[b * width + rank + n];
      Cm[b * dState + n] = xdbl[b * width + rank + dState + n];
    }
    const state = e.upload(state0, [batch, dInner, dState], 'cache', 'state');
    const y = selectiveStateUpdate(e, {
      state,
      x: e.upload(x, [batch, 1, dInner], 'activations', 'x'),
      dt: e.upload(wdt, [dInner, rank], 'weights', 'dt_proj'),
      dtProjection: { rank },
      channels: e.upload(packScanChannels(A, dInner, dState), [dInner, dState + 2], 'weights', 'channels'),
      bc: e.upload(xdbl, [batch, 1, width], 'activations', 'xdbl'),
      bcLayout: { rowStride: width, bOffset: rank, cOffset: rank + dState },
      dtSoftplus: true,
    });
    const ref = selectiveStateUpdateRef({ batch, dInner, dState, state: state0, x, dt, A, B: Bm, C: Cm, dtSoftplus: true });
    expect(relativeError(await e.read(y), ref.y)).toBeLessThan(1e-5);
    expect(relativeError(await e.read(state), ref.state)).toBeLessThan(1e-5);
  });
});

describe('polynomial exp2 (scan_exp2_poly) against Math.pow(2, x) in float64', () => {
  it('is accurate to about 2 ulp on [-126, 126] and clamps outside; the rounding step is not folded away', async () => {
    const e = await testEngine();
    const xs: number[] = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 1.5e-45, 126, -126, 125.9999, -125.9999];
    for (let k = -126; k <= 126; k++) {
      xs.push(k);
      // Either side of the rounding boundaries k ± 0.5, and the boundaries themselves.
      for (const d of [0.5, -0.5, 0.25, -0.25, 0.125, 0.4999999, -0.4999999, 0.5000001, -0.5000001, 1e-6, -1e-6]) xs.push(k + d);
    }
    const rand = uniformArray(20000, 17, -126, 126);
    const small = uniformArray(4000, 18, -1, 1);
    xs.push(...rand, ...small);
    // Underflow and overflow: clamped to 2^-126 and 2^126.
    const under = [-126.25, -126.5, -127, -149, -150, -1000, -1e30];
    const over = [126.25, 127, 128, 1000];
    xs.push(...under, ...over);
    while (xs.length % 4 !== 0) xs.push(0.75);
    const x32 = Float32Array.from(xs);
    const xT = e.upload(x32, [x32.length], 'scratch', 'x');
    const out = e.tensor([x32.length], 'scratch', 'exp2');
    scanExp2Poly(e, xT, out);
    const got = await e.read(out);
    xT.release();
    out.release();
    let worst = 0;
    let notPowerOfTwo = 0;
    for (let i = 0; i < x32.length; i++) {
      const x = x32[i];
      const g = got[i];
      if (x < -126) {
        expect(g, `x = ${x}`).toBe(2 ** -126);
        continue;
      }
      if (x > 126) {
        expect(g, `x = ${x}`).toBe(2 ** 126);
        continue;
      }
      const want = Math.pow(2, x);
      const rel = Math.abs(g - want) / want;
      worst = Math.max(worst, rel);
      if (!(rel <= 2.5e-7)) expect.fail(`scan_exp2_poly(${x}) = ${g}, want ${want} (relative error ${rel})`);
      if (Number.isInteger(x)) expect(g, `x = ${x}`).toBe(want);
      else if (Math.abs(x - Math.round(x)) > 1e-3 && Math.log2(g) !== Math.round(Math.log2(g))) notPowerOfTwo++;
    }
    // Folding (x + M) - M to x would round every result to a power of two (relative errors up to 41%);
    // the bound above already excludes that, and this says so directly.
    expect(notPowerOfTwo).toBeGreaterThan(20000);
    expect(worst).toBeGreaterThan(0);
  });
});

// The decays split between the polynomial exp2 and the special-function exp2: all polynomial, none,
// and shares that split one vec4 lane, in the chunked passes and the sequential kernel.
const POLY_CASES: ScanCase[] = [
  { name: 'N=1, odd D, L not a multiple of the chunk', batch: 2, seqLen: 37, dInner: 7, dState: 1, chunkLen: 8 },
  { name: 'N=5, no D, no z, no bias, no softplus', batch: 3, seqLen: 70, dInner: 3, dState: 5, noD: true, noZ: true, noBias: true, noSoftplus: true, chunkLen: 16 },
  { name: 'N=16, initial state', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 8 },
  { name: 'N=64, three groups, odd chunk', batch: 1, seqLen: 100, dInner: 12, dState: 64, groups: 3, chunkLen: 7 },
  { name: 'staged groups', batch: 2, seqLen: 70, dInner: 64, dState: 16, groups: 2, chunkLen: 24, tuning: { workgroupSize: 32 } },
  { name: 'bias across the softplus threshold', batch: 1, seqLen: 50, dInner: 67, dState: 4, biasCenter: 20, chunkLen: 9 },
  { name: 'large dt (decays underflow)', batch: 1, seqLen: 40, dInner: 9, dState: 16, biasCenter: 60, chunkLen: 11 },
  { name: 'one chunk, N=16, initial state', batch: 2, seqLen: 30, dInner: 5, dState: 16, initialState: true, chunkLen: 30 },
];

describe('selective scan with the polynomial exp2 against selective_scan_ref (float64)', () => {
  for (const c of POLY_CASES) {
    for (const polyFraction of [0, 1, 3 / 16]) {
      for (const variant of ['chunked', 'sequential'] as const) {
        if (variant === 'sequential' && polyFraction !== 1) continue;
        it(`${variant}, polyFraction ${polyFraction}: ${c.name} (B=${c.batch}, L=${c.seqLen}, D=${c.dInner}, N=${c.dState})`, async () => {
          const { got, lastState, ref } = await runScan({ ...c, tuning: { ...c.tuning, polyFraction } }, variant, c.seqLen * 5 + c.dState);
          expect(relativeError(got, ref.y)).toBeLessThan(c.tol ?? 2e-5);
          expect(relativeError(lastState, ref.lastState)).toBeLessThan(c.tol ?? 2e-5);
        });
      }
    }
  }

  // Polynomial decays in one chunked pass only, two slots of a vec4 (each slot in its own form).
  for (const c of POLY_CASES) {
    for (const polyPass of ['local', 'output'] as const) {
      it(`chunked, polyFraction 2/16 in the ${polyPass} pass only: ${c.name}`, async () => {
        const { got, lastState, ref } = await runScan({ ...c, tuning: { ...c.tuning, polyFraction: 2 / 16, polyPass } }, 'chunked', c.seqLen * 7 + c.dState);
        expect(relativeError(got, ref.y)).toBeLessThan(c.tol ?? 2e-5);
        expect(relativeError(lastState, ref.lastState)).toBeLessThan(c.tol ?? 2e-5);
      });
    }
  }

  it('rounds the share to whole state slots and refuses one outside 0..1', async () => {
    expect(scanPolyElems(0, 4)).toBe(0);
    expect(scanPolyElems(0.25, 4)).toBe(4);
    expect(scanPolyElems(1, 4)).toBe(16);
    expect(scanPolyElems(3 / 16, 1)).toBe(1);
    expect(DEFAULT_POLY_FRACTION).toBeGreaterThanOrEqual(0);
    expect(DEFAULT_POLY_FRACTION).toBeLessThanOrEqual(1);
    const e = await testEngine();
    const u = e.tensor([1, 4, 6], 'activations', 'u');
    const channels = e.tensor([6, 18], 'weights', 'channels');
    const bc = e.tensor([1, 4, 32], 'activations', 'bc');
    expect(() => selectiveScan(e, { u, delta: u, channels, bc, tuning: { polyFraction: 1.5 } })).toThrow(/polyFraction 1.5 must be within 0..1/);
    for (const t of [u, channels, bc]) t.release();
  });
});

// deltaInPlace: in several chunks the local pass writes dt = softplus?(delta + bias) over delta and the
// output pass reads it; the results equal the default path's. In one chunk, in the sequential kernel and
// with the local pass split, delta is left as it was.
const IN_PLACE_CASES: (ScanCase & { variant?: ScanVariant; writes: boolean })[] = [
  { name: 'several chunks', batch: 2, seqLen: 300, dInner: 20, dState: 16, chunkLen: 32, writes: true },
  { name: 'several chunks, initial state, L not a multiple of the chunk', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 8, writes: true },
  { name: 'channels beyond the last workgroup, groups, pipelined', batch: 1, seqLen: 70, dInner: 131, dState: 8, chunkLen: 16, tuning: { pipeline: true, unroll: 3 }, writes: true },
  { name: 'no softplus, no bias', batch: 1, seqLen: 60, dInner: 7, dState: 5, noSoftplus: true, noBias: true, chunkLen: 9, writes: true },
  { name: 'softplus threshold (dt near 20)', batch: 1, seqLen: 50, dInner: 67, dState: 4, biasCenter: 20, chunkLen: 9, writes: true },
  { name: 'one chunk (unaffected)', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 45, writes: false },
  { name: 'sequential (unaffected)', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, variant: 'sequential', writes: false },
  { name: 'local pass split in two (unaffected)', batch: 2, seqLen: 130, dInner: 20, dState: 16, chunkLen: 40, tuning: { splitLocal: 2 }, writes: false },
];

describe('selective scan with deltaInPlace', () => {
  for (const c of IN_PLACE_CASES) {
    it(`${c.name} (B=${c.batch}, L=${c.seqLen}, D=${c.dInner}, N=${c.dState})`, async () => {
      const variant = c.variant ?? 'chunked';
      const seed = c.seqLen * 7 + c.dInner;
      const base = await runScan(c, variant, seed);
      const inPlace = await runScan(c, variant, seed, { deltaInPlace: true });
      expect(relativeError(inPlace.got, base.got)).toBeLessThan(1e-6);
      expect(relativeError(inPlace.lastState, base.lastState)).toBeLessThan(1e-6);
      expect(relativeError(inPlace.got, inPlace.ref.y)).toBeLessThan(2e-5);
      expect(relativeError(inPlace.lastState, inPlace.ref.lastState)).toBeLessThan(2e-5);
      // Without the flag delta is never written.
      expect(Array.from(base.deltaAfter)).toEqual(Array.from(base.inputs.delta));
      if (!c.writes) {
        expect(Array.from(inPlace.deltaAfter)).toEqual(Array.from(inPlace.inputs.delta));
        return;
      }
      const { delta, deltaBias } = inPlace.inputs;
      const dt = new Float64Array(delta.length);
      for (let i = 0; i < delta.length; i++) {
        const v = delta[i] + (deltaBias ? deltaBias[i % c.dInner] : 0);
        dt[i] = c.noSoftplus ? v : v <= 20 ? Math.log1p(Math.exp(v)) : v;
      }
      expect(relativeError(inPlace.deltaAfter, dt)).toBeLessThan(1e-6);
    });
  }
});

// The forms of the gate and of softplus against the reference, with gates far from zero (|z| up to ~200).
describe('selective scan gate and softplus forms against selective_scan_ref (float64)', () => {
  const cases: ScanCase[] = [
    { name: 'several chunks, large gates', batch: 2, seqLen: 300, dInner: 20, dState: 16, chunkLen: 32, zScale: 40 },
    { name: 'one chunk, initial state', batch: 2, seqLen: 45, dInner: 9, dState: 16, initialState: true, chunkLen: 45, zScale: 8 },
    { name: 'softplus threshold (dt near 20)', batch: 1, seqLen: 50, dInner: 67, dState: 4, biasCenter: 20, chunkLen: 9 },
    { name: 'small steps (softplus of very negative inputs)', batch: 1, seqLen: 64, dInner: 9, dState: 8, biasCenter: -7, chunkLen: 16 },
  ];
  for (const c of cases) {
    for (const tuning of [{}, { gate: 'fma' }, { gate: 'tanh' }, { softplus: 'select' }, { gate: 'fma', softplus: 'select' }] as ScanTuning[]) {
      for (const variant of ['chunked', 'sequential'] as const) {
        it(`${variant}, ${JSON.stringify(tuning)}: ${c.name}`, async () => {
          const { got, lastState, ref } = await runScan({ ...c, tuning }, variant, c.seqLen * 3 + c.dInner);
          expect(got.every(Number.isFinite)).toBe(true);
          expect(relativeError(got, ref.y)).toBeLessThan(2e-5);
          expect(relativeError(lastState, ref.lastState)).toBeLessThan(2e-5);
        });
      }
    }
  }
});
