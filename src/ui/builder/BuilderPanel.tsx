// The model builder (left side of the page): notices, the models of the comparison as tabs, and for the
// selected model its preset, live cost readouts, model-level settings, the stack pattern, per-kind
// settings and the layer stack editor.
import { useId } from 'react';
import { Notices } from '../components/Notices';
import { useAppStore } from '../store';
import { CopyLinkButton } from './CopyLinkButton';
import { KindSettings } from './KindSettings';
import { LayerStack } from './LayerStack';
import { ModelSettings, PresetPicker } from './ModelSettings';
import { ModelTabs } from './ModelTabs';
import { PatternField } from './PatternField';
import { Readouts } from './Readouts';
import './builder.css';

export function BuilderPanel() {
  const panelId = useId();
  const selected = useAppStore((s) => s.selectedModel);
  return (
    <section className="builder panel" aria-label="Model builder">
      <div className="builder-head">
        <h2>Models</h2>
        <CopyLinkButton />
      </div>
      <Notices />
      <ModelTabs panelId={panelId} />
      {/* Keyed by model: drafts and open rows belong to the model they were opened on. */}
      <div key={selected} role="tabpanel" id={panelId} aria-labelledby={`${panelId}-tab-${selected}`} className="model-panel">
        <PresetPicker />
        <Readouts />
        <ModelSettings />
        <PatternField />
        <KindSettings />
        <LayerStack />
      </div>
    </section>
  );
}
