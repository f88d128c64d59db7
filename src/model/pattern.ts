// The stack pattern: a compact, two-way text form for the sequence of layer kinds in a model, e.g.
// `M*24` (Mamba), `A+*12` (Transformer), `(M+*4 A+ M+*3)x2` (Jamba-style), `(M M M G)x6`.
// parsePattern turns text into one code per layer; formatPattern turns codes into the shortest readable
// text. Settings (heads, dState, hidden, ...) are not part of the pattern: they come from per-kind
// settings of the model (see build.ts), with per-layer overrides kept in the list form.
//
// Grammar (whitespace or '_' may separate items; '_' lets a pattern sit in a URL without escapes):
//
//   stack  := item+
//   item   := unit [ ('*' | 'x') count ]      repeat a layer or a group `count` times (1..512)
//   unit   := layer | '(' stack ')'
//   layer  := mixer ['+']                     '+' adds a SwiGLU MLP after the mixer
//           | 'F'                             an MLP-only layer (no mixer)
//   mixer  := 'M'                             Mamba (selective SSM)
//           | 'A'                             softmax attention
//           | 'G' | 'Ge'                      attention with a sigmoid output gate per element
//           | 'Gh'                            attention with a sigmoid output gate per head
//           | 'L'                             gated linear attention (GLA)
//
// Each layer is [norm -> mixer -> residual] then, with '+' or for 'F', [norm -> MLP -> residual].
// formatPattern writes `X*n` for a run of one layer, `(...)xn` for a repeated group, and `G` (never `Ge`).
// Errors name the column (1-based): `unexpected 'Q' at column 5`.

import { LIMITS } from './config';

export type MixerCode = 'M' | 'A' | 'G' | 'Gh' | 'L';
/** One layer of a stack: a mixer letter, with '+' when a SwiGLU MLP follows; 'F' is an MLP alone. */
export type LayerCode = MixerCode | `${MixerCode}+` | 'F';

export const MIXER_CODES: readonly MixerCode[] = ['M', 'A', 'G', 'Gh', 'L'];
export const MAX_PATTERN_LAYERS = LIMITS.layers[1];

export class PatternError extends Error {
  /** 1-based column of the offending character (text length + 1 at the end). */
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.name = 'PatternError';
    this.column = column;
  }
}

export type PatternResult = { ok: true; layers: LayerCode[] } | { ok: false; error: PatternError };

/** Parses a pattern; never throws. */
export function tryParsePattern(text: string): PatternResult {
  try {
    return { ok: true, layers: parsePattern(text) };
  } catch (e) {
    if (e instanceof PatternError) return { ok: false, error: e };
    throw e;
  }
}

/** Parses a pattern into one code per layer; throws PatternError naming the column. */
export function parsePattern(text: string): LayerCode[] {
  return new Parser(text).parseAll();
}

type Node = { layer: LayerCode } | { group: Node[]; count: number };

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): LayerCode[] {
    this.skipSpace();
    if (this.pos >= this.text.length) throw new PatternError('empty pattern: expected layers such as M*24, A+*12 or (M M M A)x6', 1);
    const nodes = this.parseStack(0);
    this.skipSpace();
    if (this.pos < this.text.length) {
      if (this.text[this.pos] === ')') throw new PatternError(`unmatched ')' at column ${this.pos + 1}`, this.pos + 1);
      throw this.unexpected();
    }
    const out: LayerCode[] = [];
    expand(nodes, out);
    return out;
  }

  private parseStack(depth: number): Node[] {
    const nodes: Node[] = [];
    let length = 0;
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === undefined || c === ')') break;
      const node = this.parseItem(depth);
      length += nodeLength(node);
      if (length > MAX_PATTERN_LAYERS) throw new PatternError(`pattern has more than ${MAX_PATTERN_LAYERS} layers (at column ${this.pos})`, this.pos);
      nodes.push(node);
    }
    return nodes;
  }

  private parseItem(depth: number): Node {
    let unit: Node;
    const start = this.pos;
    if (this.text[this.pos] === '(') {
      if (depth >= 8) throw new PatternError(`groups nested too deeply at column ${start + 1}`, start + 1);
      this.pos++;
      const inner = this.parseStack(depth + 1);
      if (this.text[this.pos] !== ')') {
        if (this.pos >= this.text.length) throw new PatternError(`unclosed '(' at column ${start + 1}`, start + 1);
        throw this.unexpected();
      }
      if (inner.length === 0) throw new PatternError(`empty group at column ${start + 1}`, start + 1);
      this.pos++;
      unit = { group: inner, count: 1 };
    } else {
      unit = { layer: this.parseLayer() };
    }
    // Optional repeat: '*' or 'x' followed by a count.
    const save = this.pos;
    this.skipSpace();
    const op = this.text[this.pos];
    if (op === '*' || op === 'x') {
      const opColumn = this.pos + 1;
      this.pos++;
      this.skipSpace();
      const numStart = this.pos;
      while (this.pos < this.text.length && this.text[this.pos] >= '0' && this.text[this.pos] <= '9') this.pos++;
      if (numStart === this.pos) {
        if (this.pos >= this.text.length) throw new PatternError(`expected a count after '${op}' at column ${opColumn}`, this.pos + 1);
        throw new PatternError(`expected a count after '${op}' at column ${opColumn}, got '${this.charAt(this.pos)}' at column ${this.pos + 1}`, this.pos + 1);
      }
      const digits = this.text.slice(numStart, this.pos);
      const count = digits.length > 6 ? Infinity : Number(digits);
      if (count < 1 || count > MAX_PATTERN_LAYERS)
        throw new PatternError(`repeat count must be from 1 to ${MAX_PATTERN_LAYERS}, got ${digits.length > 6 ? `${digits.slice(0, 6)}…` : digits} at column ${numStart + 1}`, numStart + 1);
      const total = nodeLength(unit) * count;
      if (total > MAX_PATTERN_LAYERS) throw new PatternError(`pattern has more than ${MAX_PATTERN_LAYERS} layers (repeat at column ${opColumn})`, opColumn);
      return 'group' in unit && unit.count === 1 ? { group: unit.group, count } : { group: [unit], count };
    }
    this.pos = save;
    return unit;
  }

  private parseLayer(): LayerCode {
    const col = this.pos + 1;
    const c = this.text[this.pos];
    let mixer: MixerCode | 'F';
    switch (c) {
      case 'M':
      case 'A':
      case 'L':
      case 'F':
        mixer = c;
        this.pos++;
        break;
      case 'G': {
        this.pos++;
        const variant = this.text[this.pos];
        if (variant === 'h') {
          mixer = 'Gh';
          this.pos++;
        } else {
          if (variant === 'e') this.pos++;
          mixer = 'G';
        }
        break;
      }
      default: {
        const e = this.unexpected();
        if (c !== undefined && /[a-z]/.test(c) && 'mafl'.includes(c)) throw new PatternError(`${e.message} (layer letters are upper case: M A G Gh L F)`, col);
        throw e;
      }
    }
    if (this.text[this.pos] === '+') {
      if (mixer === 'F') throw new PatternError(`'F' is already an MLP layer; '+' at column ${this.pos + 1} would add a second one`, this.pos + 1);
      this.pos++;
      return `${mixer}+`;
    }
    return mixer;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /[\s_]/.test(this.text[this.pos])) this.pos++;
  }

  private charAt(pos: number): string {
    const cp = this.text.codePointAt(pos);
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  private unexpected(): PatternError {
    if (this.pos >= this.text.length) return new PatternError(`unexpected end of pattern at column ${this.pos + 1}`, this.pos + 1);
    const ch = this.charAt(this.pos);
    const shown = /[\p{Cc}\p{Cf}]/u.test(ch) ? `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : ch;
    return new PatternError(`unexpected '${shown}' at column ${this.pos + 1}`, this.pos + 1);
  }
}

function nodeLength(n: Node): number {
  if ('layer' in n) return 1;
  let s = 0;
  for (const c of n.group) s += nodeLength(c);
  return s * n.count;
}

function expand(nodes: Node[], out: LayerCode[]): void {
  for (const n of nodes) {
    if ('layer' in n) out.push(n.layer);
    else for (let i = 0; i < n.count; i++) expand(n.group, out);
  }
}

// ---- formatting ---------------------------------------------------------------------------------

/** Longest group period considered when formatting. */
const MAX_GROUP_PERIOD = 16;

interface Encoded {
  text: string;
  /** Repeat operators and parentheses: on equal length the form with fewer reads better (`M M` over `M*2`). */
  ops: number;
}

const better = (a: Encoded, b: Encoded | undefined): boolean => b === undefined || a.text.length < b.text.length || (a.text.length === b.text.length && a.ops < b.ops);

/** The shortest readable pattern for a list of layer codes: runs as `X*n`, repeated groups as `(...)xn`. */
export function formatPattern(layers: readonly LayerCode[]): string {
  if (layers.length === 0) return '';
  return encodeSeq(layers, new Map()).text;
}

function encodeSeq(seq: readonly LayerCode[], memo: Map<string, Encoded>): Encoded {
  const key = seq.join(' ');
  const hit = memo.get(key);
  if (hit) return hit;
  const n = seq.length;
  // best[i]: the best encoding of seq[i..n).
  const best: Encoded[] = new Array(n + 1);
  best[n] = { text: '', ops: 0 };
  for (let i = n - 1; i >= 0; i--) {
    let chosen: Encoded | undefined;
    const consider = (chunk: Encoded, next: number) => {
      const rest = best[next];
      const cand = rest.text === '' ? chunk : { text: `${chunk.text} ${rest.text}`, ops: chunk.ops + rest.ops };
      if (better(cand, chosen)) chosen = cand;
    };
    // A run of one layer.
    let run = 1;
    while (i + run < n && seq[i + run] === seq[i]) run++;
    for (let k = 1; k <= run; k++) consider(k === 1 ? { text: seq[i], ops: 0 } : { text: `${seq[i]}*${k}`, ops: 1 }, i + k);
    // A group of period p repeated k >= 2 times.
    for (let p = 2; p <= MAX_GROUP_PERIOD && i + 2 * p <= n; p++) {
      let reps = 1;
      while (i + (reps + 1) * p <= n && matches(seq, i, i + reps * p, p)) reps++;
      if (reps < 2) continue;
      const inner = encodeSeq(seq.slice(i, i + p), memo);
      for (let k = 2; k <= reps; k++) consider({ text: `(${inner.text})x${k}`, ops: inner.ops + 2 }, i + k * p);
    }
    best[i] = chosen!;
  }
  memo.set(key, best[0]);
  return best[0];
}

function matches(seq: readonly LayerCode[], a: number, b: number, len: number): boolean {
  for (let j = 0; j < len; j++) if (seq[a + j] !== seq[b + j]) return false;
  return true;
}
