// One colour per model index, shared by the builder's model chips and every chart: the Okabe–Ito palette
// (distinguishable with the common colour-vision deficiencies), without its yellow, which vanishes on white.
export const MODEL_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'] as const;

export function modelColor(index: number): string {
  return MODEL_COLORS[index % MODEL_COLORS.length];
}
