// The golden cases of the attention and gla ops, computed by the official references in float64 (SDPA with
// a sigmoid output gate; fla's naive_recurrent_gla), run through runCase as the kernel runner CLI does, in
// every kernel variant. Reads ../shared/golden/ (relative to the repository root). Tolerance: relative L2
// error 1e-4 per output. Also: the runner's messages for a missing input and a wrong shape.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { relativeError } from '../testing/random';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { runCase } from './run-case';

const GOLDEN_DIR = join(process.cwd(), '..', 'shared', 'golden');
const VARIANTS: Record<string, string[]> = { attention: ['flash', 'naive'], gla: ['chunked', 'recurrent'] };

function goldenCases(): { name: string; op: string }[] {
  if (!existsSync(GOLDEN_DIR)) return [];
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.in.safetensors'))
    .map((f) => f.slice(0, -'.in.safetensors'.length))
    .map((name) => ({ name, op: readSafetensors(readFileSync(join(GOLDEN_DIR, `${name}.in.safetensors`)), name).metadata.op ?? '' }))
    .filter((c) => c.op in VARIANTS)
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('golden cases of attention and gla', () => {
  const cases = goldenCases();

  it('finds a golden case for each op', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(Object.keys(VARIANTS)));
  });

  for (const { name, op } of cases) {
    for (const variant of VARIANTS[op]) {
      it(`${name} (${op}, ${variant}) within 1e-4 of the official reference`, async () => {
        const e = await testEngine();
        const parsed = readSafetensors(readFileSync(join(GOLDEN_DIR, `${name}.in.safetensors`)), name);
        const input = writeSafetensors(parsed.tensors, { ...parsed.metadata, variant });
        const got = readSafetensors(await runCase(e, input, name), `${name} output`).tensors;
        const expected = readSafetensors(readFileSync(join(GOLDEN_DIR, `${name}.expected.safetensors`)), name).tensors;
        expect(Object.keys(expected).length).toBeGreaterThan(0);
        for (const [key, ref] of Object.entries(expected)) {
          expect(got[key], `output '${key}'`).toBeDefined();
          expect(got[key].shape).toEqual(ref.shape);
          expect(relativeError(got[key].data, ref.data), `output '${key}'`).toBeLessThanOrEqual(1e-4);
        }
      });
    }
  }

  it('names a missing input and a wrong shape', async () => {
    const e = await testEngine();
    const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const noV = writeSafetensors({ q: t([1, 2, 3, 4]), k: t([1, 1, 3, 4]) }, { op: 'attention' });
    await expect(runCase(e, noV, 'noV')).rejects.toThrow(/missing input 'v'/);
    const badK = writeSafetensors({ q: t([1, 2, 3, 4]), k: t([1, 1, 3, 5]), v: t([1, 1, 3, 4]) }, { op: 'attention' });
    await expect(runCase(e, badK, 'badK')).rejects.toThrow(/'k'/);
    const badGk = writeSafetensors({ q: t([1, 3, 2, 4]), k: t([1, 3, 2, 4]), v: t([1, 3, 2, 8]), gk: t([1, 3, 2, 5]) }, { op: 'gla' });
    await expect(runCase(e, badGk, 'badGk')).rejects.toThrow(/'gk'/);
  });
});
