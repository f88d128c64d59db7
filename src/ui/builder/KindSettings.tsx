// Settings per layer kind, applied to every layer of that kind in the selected model at once: Mamba
// (d_state, d_conv, expand, dt_rank), attention (heads, KV heads, head dim, RoPE base; shared by plain and
// gated attention), GLA (heads, expand K/V) and the SwiGLU MLP width. Only kinds the model has are shown.
import { useAppStore } from '../store';
import { resolvedKindSettings, type SettingsKind } from './edits';
import { NumberField } from './fields';

export function KindSettings() {
  const model = useAppStore((s) => s.comparison.models[s.selectedModel]);
  const setKindSettings = useAppStore((s) => s.setKindSettings);
  if (!model) return null;
  const has = {
    mamba: model.layers.some((l) => l.mixer?.kind === 'mamba'),
    attention: model.layers.some((l) => l.mixer?.kind === 'attention'),
    gla: model.layers.some((l) => l.mixer?.kind === 'gla'),
    mlp: model.layers.some((l) => l.mlp !== null),
  };
  const s = resolvedKindSettings(model);
  const commit = (kind: SettingsKind, key: string) => (v: number) => setKindSettings(kind, { [key]: v });
  return (
    <div className="kind-settings">
      {has.mamba ? (
        <fieldset className="group kind-mamba">
          <legend>Mamba layers</legend>
          <NumberField label="d_state" ariaLabel="Mamba d_state" value={s.mamba.dState} onCommit={commit('mamba', 'dState')} title="SSM state size per channel (N)" />
          <NumberField label="d_conv" ariaLabel="Mamba d_conv" value={s.mamba.dConv} onCommit={commit('mamba', 'dConv')} title="Causal convolution width" />
          <NumberField label="expand" ariaLabel="Mamba expand" value={s.mamba.expand} integer={false} onCommit={commit('mamba', 'expand')} title="d_inner = expand × d_model" />
          <NumberField label="dt_rank" ariaLabel="Mamba dt_rank" hint={s.auto.dtRank ? '(auto)' : undefined} value={s.mamba.dtRank} onCommit={commit('mamba', 'dtRank')} title="Rank of the Δ projection (auto: ceil(d_model / 16))" />
        </fieldset>
      ) : null}
      {has.attention ? (
        <fieldset className="group kind-attention">
          <legend>Attention layers</legend>
          <NumberField label="heads" ariaLabel="Attention heads" value={s.attention.heads} onCommit={commit('attention', 'heads')} />
          <NumberField label="KV heads" ariaLabel="Attention KV heads" value={s.attention.kvHeads} onCommit={commit('attention', 'kvHeads')} title="Key/value heads (grouped-query attention when fewer than heads)" />
          <NumberField label="head dim" ariaLabel="Attention head dim" hint={s.auto.headDim ? '(auto)' : undefined} value={s.attention.headDim} onCommit={commit('attention', 'headDim')} title="Channels per head (auto: d_model / heads)" />
          <NumberField label="RoPE base" ariaLabel="Attention RoPE base" value={s.attention.ropeBase} integer={false} onCommit={commit('attention', 'ropeBase')} />
        </fieldset>
      ) : null}
      {has.gla ? (
        <fieldset className="group kind-gla">
          <legend>GLA layers</legend>
          <NumberField label="heads" ariaLabel="GLA heads" value={s.gla.heads} onCommit={commit('gla', 'heads')} />
          <NumberField label="expand K" ariaLabel="GLA expand K" value={s.gla.expandK} integer={false} step={0.125} onCommit={commit('gla', 'expandK')} title="key_dim = d_model × expand K" />
          <NumberField label="expand V" ariaLabel="GLA expand V" value={s.gla.expandV} integer={false} step={0.125} onCommit={commit('gla', 'expandV')} title="value_dim = d_model × expand V" />
        </fieldset>
      ) : null}
      {has.mlp ? (
        <fieldset className="group kind-mlp">
          <legend>MLPs</legend>
          <NumberField label="hidden" ariaLabel="MLP hidden" hint={s.auto.hidden ? '(auto)' : undefined} value={s.mlp.hidden} onCommit={commit('mlp', 'hidden')} title="SwiGLU hidden width (auto: 8/3 × d_model, rounded up to 64)" />
        </fieldset>
      ) : null}
    </div>
  );
}
