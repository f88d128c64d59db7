// A lint over every WGSL file in shaders/: a `var` declared without an initializer inside a loop body must
// be written where it is first named. WGSL gives such a var a fresh zero value on every iteration, but
// through Dawn (Chrome's WebGPU; seen on SwiftShader and on an NVIDIA H200) it keeps the previous
// iteration's value (docs/measurements/h200/run-2026-12-02d/README.md). A kernel that read it first would
// be right by the spec and wrong in Chrome. The check is textual (the first mention after the declaration
// must be an assignment, `x = `, `x[i] = `, `x[i][j] = ` or `x.f = `); a branch that writes it on one path only passes.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SHADERS = join(__dirname, '../../shaders');

interface Finding {
  name: string;
  line: number;
  firstUse: string;
}

/** Loop-local vars without an initializer whose first mention is not a write. */
function loopLocalReadsBeforeWrite(source: string): { checked: number; findings: Finding[] } {
  const code = source.replace(/\/\/[^\n]*/g, (c) => ' '.repeat(c.length));
  const loopDepthAt: number[] = new Array(code.length).fill(0);
  const stack: boolean[] = [];
  let loops = 0;
  let headerStart = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '{') {
      const header = code.slice(headerStart, i);
      const isLoop = /^\s*(for|while|loop|continuing)\b/.test(header) || /\b(loop|continuing)\s*$/.test(header);
      stack.push(isLoop);
      if (isLoop) loops++;
      headerStart = i + 1;
    } else if (ch === '}') {
      if (stack.pop()) loops--;
      headerStart = i + 1;
    } else if (ch === ';') {
      // A for header's own semicolons are inside parentheses: keep the header start at `for`.
      const open = code.slice(headerStart, i).split('(').length - code.slice(headerStart, i).split(')').length;
      if (open <= 0) headerStart = i + 1;
    }
    loopDepthAt[i] = loops;
  }
  const findings: Finding[] = [];
  let checked = 0;
  for (const m of code.matchAll(/\bvar\s+(\w+)\s*:[^;=]*;/g)) {
    if (loopDepthAt[m.index!] === 0) continue;
    checked++;
    const name = m[1];
    const after = m.index! + m[0].length;
    const use = new RegExp(`\\b${name}\\b`, 'g');
    use.lastIndex = after;
    const next = use.exec(code);
    const rest = next ? code.slice(next.index + name.length) : '';
    const writes = /^\s*((\[[^\]]*\])+|\.\w+)?\s*=(?!=)/.test(rest);
    if (!writes) {
      findings.push({ name, line: code.slice(0, m.index).split('\n').length, firstUse: next ? code.slice(next.index, next.index + 40).split('\n')[0] : '(never used)' });
    }
  }
  return { checked, findings };
}

describe('WGSL lint: loop-local vars without an initializer are written before they are read', () => {
  it('flags a read-before-write, a compound assignment and an unused declaration; passes writes', () => {
    const bad = loopLocalReadsBeforeWrite(`fn f() { for (var i = 0u; i < 4u; i++) { var x: f32; x += 1.0; var y: f32; let z = y; var w: i32; } }`);
    expect(bad.findings.map((f) => f.name)).toEqual(['x', 'y', 'w']);
    const good = loopLocalReadsBeforeWrite(`fn f() { var outside: f32; loop { var m: array<array<f32, 2>, 2>; m[1][0] = 3.0; var a: array<f32, 4>; for (var k = 0u; k < 4u; k++) { a[k] = 1.0; } var v: vec4<f32>; v.x = 2.0; var s: f32; if (true) { s = 1.0; } else { s = 2.0; } break; } let r = outside; }`);
    expect(good.findings).toEqual([]);
    expect(good.checked).toBe(4);
  });

  const files = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'));
  it('covers every shader file', () => {
    expect(files.length).toBeGreaterThan(30);
  });
  for (const f of files) {
    it(f, () => {
      const { findings } = loopLocalReadsBeforeWrite(readFileSync(join(SHADERS, f), 'utf8'));
      expect(findings, findings.map((x) => `${f}:${x.line} var ${x.name}: first use \`${x.firstUse}\``).join('\n')).toEqual([]);
    });
  }
  it('finds the loop-local declarations the kernels have (the scan, attention and matmul kernels hold about 30)', () => {
    const total = files.reduce((n, f) => n + loopLocalReadsBeforeWrite(readFileSync(join(SHADERS, f), 'utf8')).checked, 0);
    expect(total).toBeGreaterThanOrEqual(25);
  });
});

