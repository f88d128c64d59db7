// The stack pattern: parse, shortest format, and errors that point at the column.
import { describe, expect, it } from 'vitest';
import { formatPattern, parsePattern, tryParsePattern, type LayerCode } from './pattern';
import { describeModel, buildModel, modelFromPattern, patternOf } from './build';
import { rng } from '../testing/random';

const errorOf = (text: string): string => {
  const r = tryParsePattern(text);
  return r.ok ? 'ok' : r.error.message;
};

describe('parsePattern', () => {
  it('expands runs, groups and MLP suffixes', () => {
    expect(parsePattern('M*24')).toEqual(Array(24).fill('M'));
    expect(parsePattern('(M M M A)x6')).toHaveLength(24);
    expect(parsePattern('(M M M A)x2')).toEqual(['M', 'M', 'M', 'A', 'M', 'M', 'M', 'A']);
    expect(parsePattern('M*7 A')).toEqual([...Array(7).fill('M'), 'A']);
    expect(parsePattern('A+*12')).toEqual(Array(12).fill('A+'));
    expect(parsePattern('G Ge Gh+ L+ F')).toEqual(['G', 'G', 'Gh+', 'L+', 'F']);
    expect(parsePattern('MMMA')).toEqual(['M', 'M', 'M', 'A']);
    expect(parsePattern('(M_M_A)x2')).toEqual(['M', 'M', 'A', 'M', 'M', 'A']);
    expect(parsePattern('((M A)x2 F)x2')).toEqual(['M', 'A', 'M', 'A', 'F', 'M', 'A', 'M', 'A', 'F']);
  });

  it('points at the bad character with its column', () => {
    expect(errorOf('M*7 Q')).toBe("unexpected 'Q' at column 5");
    expect(errorOf('(M A')).toBe("unclosed '(' at column 1");
    expect(errorOf('M A)')).toBe("unmatched ')' at column 4");
    expect(errorOf('M*')).toBe("expected a count after '*' at column 2");
    expect(errorOf('Mx0')).toBe('repeat count must be from 1 to 512, got 0 at column 3');
    expect(errorOf('F+')).toContain("'+' at column 2");
    expect(errorOf('M a')).toBe("unexpected 'a' at column 3 (layer letters are upper case: M A G Gh L F)");
    expect(errorOf('')).toContain('empty pattern');
    expect(errorOf('()')).toBe('empty group at column 1');
    expect(errorOf('((M)x100)x100')).toContain('more than 512 layers');
    const r = tryParsePattern('M M\u0000');
    expect(r.ok ? 0 : r.error.column).toBe(4);
  });
});

describe('formatPattern', () => {
  it('writes the shortest readable form', () => {
    expect(formatPattern(parsePattern('M M M M M M M M M M M M M M M M M M M M M M M M'))).toBe('M*24');
    expect(formatPattern(parsePattern('(M+ M+ M+ A+ M+ M+ M+ M+)x4'))).toBe('(M+*3 A+ M+*4)x4');
    expect(formatPattern(parsePattern('M*7 A'))).toBe('M*7 A');
    expect(formatPattern(parsePattern('M M'))).toBe('M M');
    expect(formatPattern(parsePattern('(M A)x3 F'))).toBe('(M A)x3 F');
    expect(formatPattern(['G'])).toBe('G');
  });

  it('round-trips random stacks', () => {
    const r = rng(7);
    const codes: LayerCode[] = ['M', 'M+', 'A', 'A+', 'G', 'G+', 'Gh', 'Gh+', 'L', 'L+', 'F'];
    for (let t = 0; t < 300; t++) {
      const period = 1 + Math.floor(r() * 5);
      const block = Array.from({ length: period }, () => codes[Math.floor(r() * (t % 3 === 0 ? codes.length : 3))]);
      const stack = [...Array(1 + Math.floor(r() * 6))].flatMap(() => block).concat(r() < 0.5 ? [codes[Math.floor(r() * codes.length)]] : []);
      const text = formatPattern(stack);
      expect(parsePattern(text)).toEqual(stack);
      expect(text.length).toBeLessThanOrEqual(stack.join(' ').length);
    }
  });
});

describe('models from patterns', () => {
  it('builds layers from per-kind settings, and describes them back', () => {
    const m = modelFromPattern({ name: 'h', dModel: 256, pattern: '(M+ M+ Gh+ M+)x2', settings: { attention: { heads: 4, kvHeads: 2 }, mlp: { hidden: 512 } } });
    expect(m.layers).toHaveLength(8);
    expect(m.layers[2]).toEqual({ mixer: { kind: 'attention', heads: 4, kvHeads: 2, headDim: 64, ropeBase: 10000, gate: 'headwise' }, mlp: { kind: 'swiglu', hidden: 512 } });
    expect(m.layers[0].mixer).toEqual({ kind: 'mamba', dState: 16, dConv: 4, expand: 2, dtRank: 16 });
    expect(patternOf(m)).toBe('(M+*2 Gh+ M+)x2');
    // A per-layer override survives describe -> build.
    m.layers[5] = { ...m.layers[5], mixer: { kind: 'mamba', dState: 64, dConv: 4, expand: 2, dtRank: 16 } };
    const d = describeModel(m);
    expect(d.overrides).toEqual([{ index: 5, mixer: { dState: 64, dConv: 4, expand: 2, dtRank: 16 } }]);
    expect(buildModel(d)).toEqual(m);
  });

  it('carries the weight format both ways (f32 unless given)', () => {
    const m = modelFromPattern({ name: 'h', dModel: 64, pattern: 'M G+' });
    expect(m.weightFormat).toBe('f32');
    const half = modelFromPattern({ name: 'h', dModel: 64, pattern: 'M G+', weightFormat: 'f16' });
    expect(half.weightFormat).toBe('f16');
    expect(describeModel(half).weightFormat).toBe('f16');
    expect(buildModel(describeModel(half))).toEqual(half);
  });
});
