// Model-level settings of the selected model: preset, name, vocabulary, d_model, RMSNorm epsilon, batch,
// tied embeddings, the weight format and the KV cache format. Number fields commit on every valid keystroke
// (history 'replace'); the preset menu, the checkbox and the weights and KV cache menus are discrete actions
// (history 'push').
import { useId } from 'react';
import { LIMITS, sanitizeName } from '../../model/config';
import { matchPreset, PRESETS, type PresetFamily } from '../../model/presets';
import { hasKvCache, KV_CACHE_FORMAT_LABELS, KV_CACHE_FORMATS, WEIGHT_FORMAT_LABELS, WEIGHT_FORMATS, type KvCacheFormat, type WeightFormat } from '../../model/storage-format';
import { useAppStore } from '../store';
import { NumberField, TextField } from './fields';

const WEIGHTS_HELP = 'fp16 matrices: embedding, lm_head and projections stored as halves (half the memory and bytes read); computed in fp32';
const KV_CACHE_HELP = "fp16: the attention layers' cached keys and values stored as halves, halving the KV cache; computed in fp32";
const NO_KV_CACHE = 'No attention layer: no KV cache to shrink';

const FAMILIES: [PresetFamily, string][] = [
  ['same-size', 'Same size (~125M parameters)'],
  ['official-mamba', 'Official Mamba shapes'],
  ['tiny', 'Tiny (for tests)'],
];

export function PresetPicker() {
  const id = useId();
  const model = useAppStore((s) => s.comparison.models[s.selectedModel]);
  const applyPreset = useAppStore((s) => s.applyPreset);
  const match = model ? matchPreset(model) : undefined;
  const description = match?.description ?? 'Edited: not one of the presets.';
  return (
    <div className="field preset-field">
      <label htmlFor={id}>Preset</label>
      <select id={id} value={match?.id ?? ''} aria-describedby={`${id}-desc`} onChange={(e) => e.target.value && applyPreset(e.target.value)}>
        <option value="" disabled>
          Custom
        </option>
        {FAMILIES.map(([family, label]) => (
          <optgroup key={family} label={label}>
            {PRESETS.filter((p) => p.family === family).map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      <p className="field-help" id={`${id}-desc`}>
        {description}
      </p>
    </div>
  );
}

export function ModelSettings() {
  const index = useAppStore((s) => s.selectedModel);
  const model = useAppStore((s) => s.comparison.models[s.selectedModel]);
  const renameModel = useAppStore((s) => s.renameModel);
  const setModelField = useAppStore((s) => s.setModelField);
  const tiedId = useId();
  const weightsId = useId();
  const kvCacheId = useId();
  if (!model) return null;
  const withKvCache = hasKvCache(model);
  return (
    <fieldset className="group model-settings">
      <legend>Model</legend>
      <TextField label="Name" value={model.name} normalize={sanitizeName} onCommit={(name) => renameModel(index, name)} className="wide" />
      <NumberField label="d_model" value={model.dModel} onCommit={(v) => setModelField('dModel', v)} title={`Width of the residual stream, ${LIMITS.dModel[0]} to ${LIMITS.dModel[1]}`} />
      <NumberField label="Vocabulary" value={model.vocabSize} onCommit={(v) => setModelField('vocabSize', v)} title="Tokens in the vocabulary (embedding and lm_head rows)" />
      <NumberField label="Norm eps" value={model.normEps} integer={false} step={1e-6} onCommit={(v) => setModelField('normEps', v)} title="RMSNorm epsilon" />
      <NumberField label="Batch" value={model.batch} onCommit={(v) => setModelField('batch', v)} title="Sequences per forward pass" />
      <div className="field checkbox-field">
        <input id={tiedId} type="checkbox" checked={model.tiedEmbeddings} onChange={(e) => setModelField('tiedEmbeddings', e.target.checked, 'push')} />
        <label htmlFor={tiedId}>Tied embeddings</label>
      </div>
      <div className="field">
        <label htmlFor={weightsId}>Weights</label>
        <select id={weightsId} value={model.weightFormat} title={WEIGHTS_HELP} onChange={(e) => setModelField('weightFormat', e.target.value as WeightFormat, 'push')}>
          {WEIGHT_FORMATS.map((f) => (
            <option key={f} value={f}>
              {WEIGHT_FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
      </div>
      <div className={`field${withKvCache ? '' : ' field-noted'}`}>
        <label htmlFor={kvCacheId}>KV cache</label>
        <select
          id={kvCacheId}
          value={model.kvCacheFormat}
          title={withKvCache ? KV_CACHE_HELP : `${KV_CACHE_HELP}. ${NO_KV_CACHE}`}
          aria-describedby={withKvCache ? undefined : `${kvCacheId}-note`}
          onChange={(e) => setModelField('kvCacheFormat', e.target.value as KvCacheFormat, 'push')}
        >
          {KV_CACHE_FORMATS.map((f) => (
            <option key={f} value={f}>
              {KV_CACHE_FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
        {withKvCache ? null : (
          <p className="field-help" id={`${kvCacheId}-note`}>
            {NO_KV_CACHE}
          </p>
        )}
      </div>
    </fieldset>
  );
}
