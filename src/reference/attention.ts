// Float64 twins of the attention kernels: softmax attention with grouped-query heads, bottom-right causal
// alignment and a sigmoid output gate, and Llama-style rotary position embedding.
// Layouts: q and gate (B, H, L, E) (gate (B, H, L, 1) per head), k and v (B, Hkv, S, E), out (B, H, L, E).

import { sigmoid } from './basic';

export interface AttentionRefShape {
  B: number;
  H: number;
  Hkv: number;
  L: number;
  S: number;
  E: number;
}

export interface AttentionRefOptions {
  causal: boolean;
  /** Default E^-0.5. */
  scale?: number;
  /** (B, H, L, E) or (B, H, L, 1). */
  gate?: ArrayLike<number>;
}

/**
 * out[b,h,i] = Σ_j softmax_j(scale·q_i·k_j) v_j · sigmoid(gate). Causal: key j visible to query i when
 * j <= i + S - L. A query that sees no key outputs zeros.
 */
export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, s: AttentionRefShape, o: AttentionRefOptions): Float64Array {
  const { B, H, Hkv, L, S, E } = s;
  const scale = o.scale ?? 1 / Math.sqrt(E);
  const group = H / Hkv;
  const out = new Float64Array(B * H * L * E);
  const gateWidth = o.gate ? o.gate.length / (B * H * L) : 0;
  const scores = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const hk = Math.floor(h / group);
      for (let i = 0; i < L; i++) {
        const qo = ((b * H + h) * L + i) * E;
        let m = -Infinity;
        const last = o.causal ? i + S - L : S - 1;
        for (let j = 0; j < S; j++) {
          if (j > last) {
            scores[j] = -Infinity;
            continue;
          }
          const ko = ((b * Hkv + hk) * S + j) * E;
          let d = 0;
          for (let e = 0; e < E; e++) d += q[qo + e] * k[ko + e];
          scores[j] = d * scale;
          m = Math.max(m, scores[j]);
        }
        if (m === -Infinity) continue;
        let l = 0;
        for (let j = 0; j < S; j++) {
          scores[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - m);
          l += scores[j];
        }
        for (let e = 0; e < E; e++) {
          let acc = 0;
          for (let j = 0; j < S; j++) if (scores[j] !== 0) acc += scores[j] * v[((b * Hkv + hk) * S + j) * E + e];
          let g = 1;
          if (o.gate) g = sigmoid(gateWidth === 1 ? o.gate[(b * H + h) * L + i] : o.gate[qo + e]);
          out[qo + e] = (acc / l) * g;
        }
      }
    }
  }
  return out;
}

/**
 * Llama rotary embedding (rotate-half): for pair (e, e + E/2) at position p = offset + l,
 * θ = p · base^(-2e/E); x_e' = x_e cos θ - x_{e+E/2} sin θ, x_{e+E/2}' = x_{e+E/2} cos θ + x_e sin θ.
 * x is (B, L, H, E) (tokens first, as the projections produce it).
 */
export function ropeRef(x: ArrayLike<number>, B: number, L: number, H: number, E: number, base: number, offset: number): Float64Array {
  const out = Float64Array.from(x);
  const half = E / 2;
  for (let b = 0; b < B; b++) {
    for (let l = 0; l < L; l++) {
      const pos = offset + l;
      for (let h = 0; h < H; h++) {
        const o = ((b * L + l) * H + h) * E;
        for (let e = 0; e < half; e++) {
          const theta = pos * Math.pow(base, (-2 * e) / E);
          const [c, sn] = [Math.cos(theta), Math.sin(theta)];
          const x1 = x[o + e];
          const x2 = x[o + e + half];
          out[o + e] = x1 * c - x2 * sn;
          out[o + e + half] = x2 * c + x1 * sn;
        }
      }
    }
  }
  return out;
}

/** (B, L, H, E) -> (B, H, L, E). */
export function tokensToHeads(x: ArrayLike<number>, B: number, L: number, H: number, E: number): Float64Array {
  const out = new Float64Array(B * L * H * E);
  for (let b = 0; b < B; b++)
    for (let l = 0; l < L; l++)
      for (let h = 0; h < H; h++) for (let e = 0; e < E; e++) out[((b * H + h) * L + l) * E + e] = x[((b * L + l) * H + h) * E + e];
  return out;
}

/** (B, H, L, E) -> (B, L, H, E). */
export function headsToTokens(x: ArrayLike<number>, B: number, H: number, L: number, E: number): Float64Array {
  const out = new Float64Array(B * L * H * E);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let l = 0; l < L; l++) for (let e = 0; e < E; e++) out[((b * L + l) * H + h) * E + e] = x[((b * H + h) * L + l) * E + e];
  return out;
}
