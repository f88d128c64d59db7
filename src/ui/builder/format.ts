// Number formatting for the builder's readouts: parameter counts, FLOPs and bytes in short, readable units.
import { formatBytes } from '../../engine/errors';

/** 129135360 -> "129.1 M"; 4 significant digits at most. */
export function formatCountShort(n: number): string {
  const a = Math.abs(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) if (a >= scale) return `${trim(n / scale)} ${unit}`;
  return trim(n);
}

function trim(x: number): string {
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : 3).replace(/\.?0+$/, '');
}

/** 123456789 -> "123,456,789". */
export function formatExact(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** FLOPs per token: "1.23 GFLOP". */
export function formatFlops(n: number): string {
  const short = formatCountShort(n);
  return /[kMGT]$/.test(short) ? `${short}FLOP` : `${short} FLOP`;
}

export { formatBytes };

/** 2048 -> "2K", 1048576 -> "1M" (tokens). */
export function formatLength(n: number): string {
  if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}
