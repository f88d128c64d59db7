// The golden cases of the Mamba ops (selective_scan, selective_state_update, causal_conv1d, mamba_block),
// computed by the official references in float64, run through runCase as the kernel runner CLI does.
// Reads ../shared/golden/ (relative to the repository root). Tolerance: relative L2 error 1e-4 per output.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { relativeError } from '../testing/random';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { runCase } from './run-case';

const GOLDEN_DIR = join(process.cwd(), '..', 'shared', 'golden');
const MAMBA_OPS = new Set(['selective_scan', 'selective_state_update', 'causal_conv1d', 'mamba_block']);

function goldenCases(): { name: string; op: string }[] {
  if (!existsSync(GOLDEN_DIR)) return [];
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.in.safetensors'))
    .map((f) => f.slice(0, -'.in.safetensors'.length))
    .map((name) => ({ name, op: readSafetensors(readFileSync(join(GOLDEN_DIR, `${name}.in.safetensors`)), name).metadata.op ?? '' }))
    .filter((c) => MAMBA_OPS.has(c.op))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('golden cases of the Mamba ops', () => {
  const cases = goldenCases();

  it('finds a golden case for each Mamba op', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(MAMBA_OPS);
  });

  for (const { name, op } of cases) {
    it(`${name} (${op}) within 1e-4 of the official reference`, async () => {
      const e = await testEngine();
      const outBytes = await runCase(e, readFileSync(join(GOLDEN_DIR, `${name}.in.safetensors`)), name);
      const got = readSafetensors(outBytes, `${name} output`).tensors;
      const expected = readSafetensors(readFileSync(join(GOLDEN_DIR, `${name}.expected.safetensors`)), name).tensors;
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      for (const [key, ref] of Object.entries(expected)) {
        expect(got[key], `output '${key}'`).toBeDefined();
        expect(got[key].shape).toEqual(ref.shape);
        expect(relativeError(got[key].data, ref.data), `output '${key}'`).toBeLessThanOrEqual(1e-4);
      }
    });
  }

  it('selective_scan in both variants agrees on the first golden scan case', async () => {
    const e = await testEngine();
    const first = cases.find((c) => c.op === 'selective_scan');
    expect(first).toBeDefined();
    const bytes = readFileSync(join(GOLDEN_DIR, `${first!.name}.in.safetensors`));
    const expected = readSafetensors(readFileSync(join(GOLDEN_DIR, `${first!.name}.expected.safetensors`)), first!.name).tensors;
    for (const variant of ['sequential', 'chunked']) {
      const parsed = readSafetensors(bytes, first!.name);
      const withVariant = writeSafetensors(parsed.tensors, { ...parsed.metadata, variant });
      const got = readSafetensors(await runCase(e, withVariant, `${first!.name} (${variant})`), variant).tensors;
      expect(relativeError(got.out.data, expected.out.data), variant).toBeLessThanOrEqual(1e-4);
    }
  });
});
