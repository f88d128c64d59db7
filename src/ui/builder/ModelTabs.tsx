// The models of the comparison as tabs: one colour chip per model (the colour its charts use), add a copy
// of the selected model, remove the selected one. Arrow keys move between tabs (roving tabindex).
import { useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { LIMITS } from '../../model/config';
import { modelLabel } from '../../model/storage-format';
import { modelColor } from '../palette';
import { useAppStore } from '../store';

export function ModelTabs({ panelId }: { panelId: string }) {
  const list = useAppStore(useShallow((s) => s.comparison.models.map(modelLabel)));
  const selected = useAppStore((s) => s.selectedModel);
  const selectModel = useAppStore((s) => s.selectModel);
  const addModel = useAppStore((s) => s.addModel);
  const removeModel = useAppStore((s) => s.removeModel);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? list.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    const next = (to + list.length) % list.length;
    selectModel(next);
    tabs.current[next]?.focus();
  };

  return (
    <div className="model-tabs">
      <div role="tablist" aria-label="Models" className="tab-list">
        {list.map((name, i) => (
          <button
            key={i}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`${panelId}-tab-${i}`}
            aria-selected={i === selected}
            aria-controls={panelId}
            tabIndex={i === selected ? 0 : -1}
            className="tab"
            onClick={() => selectModel(i)}
            onKeyDown={(e) => onKeyDown(e, i)}
          >
            <span className="chip" style={{ background: modelColor(i) }} aria-hidden="true" />
            <span className="tab-name">{name}</span>
          </button>
        ))}
      </div>
      <div className="tab-actions">
        <button type="button" onClick={() => addModel()} disabled={list.length >= LIMITS.models[1]} title={list.length >= LIMITS.models[1] ? `At most ${LIMITS.models[1]} models` : 'Add a copy of the selected model'}>
          Add model
        </button>
        <button type="button" onClick={() => removeModel(selected)} disabled={list.length <= 1} aria-label={`Remove model ${list[selected] ?? ''}`} title="Remove the selected model">
          Remove
        </button>
      </div>
    </div>
  );
}
