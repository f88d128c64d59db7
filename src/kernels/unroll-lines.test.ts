import { describe, expect, it } from 'vitest';
import { unrollLines } from './unroll-lines';

describe('unrollLines (host-side unrolling of marked WGSL lines)', () => {
  const markers = { '': { mark: '#', count: 3 }, '-bc': { mark: '@', count: 2 } };

  it('repeats a marked line per index, replacing every placeholder and dropping the marker', () => {
    expect(unrollLines('  let d# = a[#] * b#;   //@unroll', markers)).toBe('  let d0 = a[0] * b0;\n  let d1 = a[1] * b1;\n  let d2 = a[2] * b2;');
  });

  it('starts from FIRST when given, and writes nothing when FIRST reaches the count', () => {
    expect(unrollLines('h = f(h, x#); //@unroll 1', markers)).toBe('h = f(h, x1);\nh = f(h, x2);');
    expect(unrollLines('h = f(h, x#); //@unroll 3', markers)).toBe('');
  });

  it('uses each named marker with its own placeholder and count, and leaves other lines as they are', () => {
    const src = ['fn main() {', '  var p@ = 0.0; // @ stays outside marked lines //@unroll-bc', '  let e = 1; // a # here is kept', '}'].join('\n');
    expect(unrollLines(src, markers)).toBe(['fn main() {', '  var p0 = 0.0; // 0 stays outside marked lines', '  var p1 = 0.0; // 1 stays outside marked lines', '  let e = 1; // a # here is kept', '}'].join('\n'));
  });

  it('refuses a marker it was not given, naming it', () => {
    expect(() => unrollLines('x@; //@unroll-zz', markers)).toThrow(/unknown marker \/\/@unroll-zz/);
  });

  it('a line with several markers is repeated over every combination, the first marker outermost, each from its FIRST', () => {
    expect(unrollLines('s#[@] = 0; //@unroll-bc //@unroll', markers)).toBe(['s0[0] = 0;', 's1[0] = 0;', 's2[0] = 0;', 's0[1] = 0;', 's1[1] = 0;', 's2[1] = 0;'].join('\n'));
    expect(unrollLines('m# = max(m#, s#[@]); //@unroll //@unroll-bc 1', markers)).toBe(['m0 = max(m0, s0[1]);', 'm1 = max(m1, s1[1]);', 'm2 = max(m2, s2[1]);'].join('\n'));
    expect(() => unrollLines('x; //@unroll //@unroll-zz', markers)).toThrow(/unknown marker \/\/@unroll-zz/);
  });

  it('a zero count removes the marked lines', () => {
    expect(unrollLines('a\nvar p@ = 1; //@unroll-bc\nb', { ...markers, '-bc': { mark: '@', count: 0 } })).toBe('a\n\nb');
  });
});
