// Reads the models of a comparison for the command lines: preset ids, a JSON file (a Comparison, a
// ModelConfig or a list of them), or a share link (URL whose fragment the page wrote). Node only.

import { readFileSync } from 'node:fs';
import { formatIssues, validateComparison, validateModel, type Comparison, type ModelConfig } from '../model/config';
import { defaultComparison, presetIds, presetModel } from '../model/presets';
import { decodeComparison } from '../url/codec';

export function modelsFromPresets(list: string): ModelConfig[] {
  return list.split(',').map((id) => {
    const m = presetModel(id.trim());
    if (!m) throw new Error(`unknown preset '${id}' (known: ${presetIds().join(', ')})`);
    return m;
  });
}

/** A comparison from a JSON file or a link; throws with each problem named. */
export function comparisonFromFileOrLink(arg: string): { comparison: Comparison; warnings: string[] } {
  const hashAt = arg.indexOf('#');
  if (/^https?:\/\//.test(arg) || hashAt >= 0) {
    const { comparison, warnings } = decodeComparison(hashAt >= 0 ? arg.slice(hashAt + 1) : '');
    return { comparison, warnings };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(arg, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read config ${arg}: ${(e as Error).message}`);
  }
  const asComparison = validateComparison(raw);
  if (asComparison.ok) return { comparison: asComparison.value, warnings: [] };
  const list = Array.isArray(raw) ? raw : [raw];
  const models: ModelConfig[] = [];
  for (const [i, m] of list.entries()) {
    const v = validateModel(m);
    if (!v.ok) throw new Error(`config ${arg}${list.length > 1 ? ` model ${i}` : ''} is invalid:\n${formatIssues(v.issues)}`);
    models.push(v.value);
  }
  return { comparison: { ...defaultComparison(), models }, warnings: [] };
}
