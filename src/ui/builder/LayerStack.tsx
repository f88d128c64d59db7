// The layer stack editor: one compact row per layer of the selected model (kind, MLP toggle, move up/down,
// duplicate, remove, per-layer settings), reorderable by native drag and drop and by keyboard: with a row
// focused, Alt+ArrowUp/Down moves the layer, ArrowUp/Down/Home/End move focus between rows. Long stacks
// (48–64 layers) scroll inside the list.
import { useId, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { LayerConfig } from '../../model/config';
import { useAppStore } from '../store';
import { kindOfLayer, LAYER_KIND_CHOICES, LAYER_KIND_LABELS, layerLabel, type LayerKindChoice } from './edits';
import { NumberField } from './fields';

const DRAG_TYPE = 'application/x-hybrid-layer';

export function LayerStack() {
  const layers = useAppStore((s) => s.comparison.models[s.selectedModel]?.layers);
  const moveLayer = useAppStore((s) => s.moveLayer);
  const addLayer = useAppStore((s) => s.addLayer);
  const rows = useRef<(HTMLLIElement | null)[]>([]);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const [dropAt, setDropAt] = useState<number | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  if (!layers) return null;

  /** Moves a layer and keeps the expanded rows and the focus with the layers that moved. */
  const move = (from: number, to: number, focus: 'row' | 'up' | 'down' | null) => {
    const target = Math.max(0, Math.min(layers.length - 1, to));
    if (target === from) return;
    const err = moveLayer(from, target);
    setError(err);
    if (err) return;
    setExpanded((prev) => {
      const order = layers.map((_, i) => i);
      const [moved] = order.splice(from, 1);
      order.splice(target, 0, moved);
      return new Set(order.flatMap((old, now) => (prev.has(old) ? [now] : [])));
    });
    setAnnouncement(`Layer ${from + 1} moved to position ${target + 1} of ${layers.length}`);
    const row = rows.current[target];
    if (!row || focus === null) return;
    const button = focus === 'row' ? null : row.querySelector<HTMLButtonElement>(`button[data-action="${focus}"]:not(:disabled)`);
    (button ?? row).focus();
  };

  const onRowKeyDown = (e: KeyboardEvent<HTMLLIElement>, i: number) => {
    if (e.target !== e.currentTarget) return;
    const vertical = e.key === 'ArrowUp' ? -1 : e.key === 'ArrowDown' ? 1 : 0;
    if (vertical !== 0 && e.altKey) {
      e.preventDefault();
      move(i, i + vertical, 'row');
    } else if (vertical !== 0 || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      const to = e.key === 'Home' ? 0 : e.key === 'End' ? layers.length - 1 : Math.max(0, Math.min(layers.length - 1, i + vertical));
      rows.current[to]?.focus();
    }
  };

  const dragHandlers = (i: number) => ({
    onDragOver: (e: DragEvent<HTMLLIElement>) => {
      if (dragFrom === null || !e.dataTransfer.types.includes(DRAG_TYPE)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      if (dropAt !== i) setDropAt(i);
    },
    onDragLeave: () => setDropAt((d) => (d === i ? null : d)),
    onDrop: (e: DragEvent<HTMLLIElement>) => {
      e.preventDefault();
      const from = Number(e.dataTransfer.getData(DRAG_TYPE));
      setDropAt(null);
      setDragFrom(null);
      if (Number.isInteger(from)) move(from, i, null);
    },
  });

  return (
    <section className="layer-stack" aria-labelledby={`${errorId}-title`}>
      <div className="stack-head">
        <h3 id={`${errorId}-title`}>Layers ({layers.length})</h3>
        <span className="muted stack-summary">{stackSummary(layers)}</span>
      </div>
      <p className="field-help">Drag ⠿, or focus a row and press Alt+↑/↓, to reorder.</p>
      <ol className="stack-list" aria-labelledby={`${errorId}-title`} aria-describedby={error ? errorId : undefined}>
        {layers.map((layer, i) => (
          <LayerRow
            key={i}
            index={i}
            count={layers.length}
            layer={layer}
            expanded={expanded.has(i)}
            dragging={dragFrom === i}
            dropTarget={dropAt === i && dragFrom !== null && dragFrom !== i ? (dragFrom < i ? 'after' : 'before') : null}
            rowRef={(el) => {
              rows.current[i] = el;
            }}
            onKeyDown={(e) => onRowKeyDown(e, i)}
            onMove={(to, focus) => move(i, to, focus)}
            onToggleExpanded={() =>
              setExpanded((prev) => {
                const next = new Set(prev);
                if (next.has(i)) next.delete(i);
                else next.add(i);
                return next;
              })
            }
            onDragStart={(e) => {
              e.dataTransfer.setData(DRAG_TYPE, String(i));
              e.dataTransfer.effectAllowed = 'move';
              const row = rows.current[i];
              if (row) e.dataTransfer.setDragImage(row, 12, 12);
              setDragFrom(i);
            }}
            onDragEnd={() => {
              setDragFrom(null);
              setDropAt(null);
            }}
            onError={setError}
            {...dragHandlers(i)}
          />
        ))}
      </ol>
      {error ? (
        <p className="field-error" id={errorId} role="status">
          {error}
        </p>
      ) : null}
      <div className="stack-actions">
        <button type="button" onClick={() => setError(addLayer())}>
          Add layer
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite">
        {announcement}
      </span>
    </section>
  );
}

/** "18 Mamba · 6 gated attention · 6 MLP": what the stack holds, by kind. */
function stackSummary(layers: readonly LayerConfig[]): string {
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const l of layers) {
    const kind = kindOfLayer(l);
    if (kind !== 'mlp-only') bump(kind === 'mamba' ? 'Mamba' : kind === 'gla' ? 'GLA' : kind === 'attention' ? 'attention' : 'gated attention');
    if (l.mlp) bump('MLP');
  }
  return [...counts].map(([k, n]) => `${n} ${k}`).join(' · ');
}

interface LayerRowProps {
  index: number;
  count: number;
  layer: LayerConfig;
  expanded: boolean;
  dragging: boolean;
  dropTarget: 'before' | 'after' | null;
  rowRef: (el: HTMLLIElement | null) => void;
  onKeyDown: (e: KeyboardEvent<HTMLLIElement>) => void;
  onMove: (to: number, focus: 'up' | 'down') => void;
  onToggleExpanded: () => void;
  onDragStart: (e: DragEvent<HTMLSpanElement>) => void;
  onDragEnd: () => void;
  onDragOver: (e: DragEvent<HTMLLIElement>) => void;
  onDragLeave: () => void;
  onDrop: (e: DragEvent<HTMLLIElement>) => void;
  onError: (message: string | null) => void;
}

function LayerRow(p: LayerRowProps) {
  const { index: i, layer } = p;
  const n = i + 1;
  const kind = kindOfLayer(layer);
  const setLayerKind = useAppStore((s) => s.setLayerKind);
  const toggleMlp = useAppStore((s) => s.toggleMlp);
  const duplicateLayer = useAppStore((s) => s.duplicateLayer);
  const removeLayer = useAppStore((s) => s.removeLayer);
  const settingsId = useId();
  const label = `Layer ${n}: ${layerLabel(layer)}`;
  const classes = ['layer-row', `kind-${kind}`, p.dragging ? 'dragging' : '', p.dropTarget ? `drop-${p.dropTarget}` : ''].filter(Boolean).join(' ');
  return (
    <li ref={p.rowRef} className={classes} tabIndex={0} aria-label={label} onKeyDown={p.onKeyDown} onDragOver={p.onDragOver} onDragLeave={p.onDragLeave} onDrop={p.onDrop}>
      <div className="row-main">
        <span className="drag-handle" draggable onDragStart={p.onDragStart} onDragEnd={p.onDragEnd} title="Drag to reorder" aria-hidden="true">
          ⠿
        </span>
        <span className="layer-index" aria-hidden="true">
          {n}
        </span>
        <select className="layer-kind" aria-label={`Layer ${n} kind`} value={kind} onChange={(e) => p.onError(setLayerKind(i, e.target.value as LayerKindChoice))}>
          {LAYER_KIND_CHOICES.map((k) => (
            <option key={k} value={k}>
              {LAYER_KIND_LABELS[k]}
            </option>
          ))}
        </select>
        <label className="mlp-toggle" title={kind === 'mlp-only' ? 'An MLP-only layer always has its MLP' : 'SwiGLU MLP after the mixer'}>
          <input type="checkbox" checked={layer.mlp !== null} disabled={kind === 'mlp-only'} aria-label={`Layer ${n} MLP`} onChange={() => p.onError(toggleMlp(i))} />
          <span aria-hidden="true">MLP</span>
        </label>
        <span className="row-buttons">
          <button type="button" className="icon" data-action="up" aria-label={`Move layer ${n} up`} title="Move up" disabled={i === 0} onClick={() => p.onMove(i - 1, 'up')}>
            ↑
          </button>
          <button type="button" className="icon" data-action="down" aria-label={`Move layer ${n} down`} title="Move down" disabled={i === p.count - 1} onClick={() => p.onMove(i + 1, 'down')}>
            ↓
          </button>
          <button type="button" className="icon" aria-label={`Duplicate layer ${n}`} title="Duplicate" onClick={() => p.onError(duplicateLayer(i))}>
            ⊞
          </button>
          <button type="button" className="icon" aria-label={`Remove layer ${n}`} title="Remove" disabled={p.count <= 1} onClick={() => p.onError(removeLayer(i))}>
            ✕
          </button>
          <button type="button" className="icon" aria-label={`Layer ${n} settings`} title="Settings of this layer" aria-expanded={p.expanded} aria-controls={settingsId} onClick={p.onToggleExpanded}>
            ⚙
          </button>
        </span>
      </div>
      {p.expanded ? <LayerSettings id={settingsId} index={i} layer={layer} /> : null}
    </li>
  );
}

/** One layer's own settings (they then differ from its kind's settings). */
function LayerSettings({ id, index, layer }: { id: string; index: number; layer: LayerConfig }) {
  const setLayerSettings = useAppStore((s) => s.setLayerSettings);
  const n = index + 1;
  const m = layer.mixer;
  const mixer = (key: string) => (v: number) => setLayerSettings(index, 'mixer', { [key]: v });
  const field = (label: string, key: string, value: number, integer = true) => (
    <NumberField key={key} label={label} ariaLabel={`Layer ${n} ${label}`} value={value} integer={integer} onCommit={mixer(key)} className="compact" />
  );
  return (
    <div className="layer-settings" id={id} role="group" aria-label={`Layer ${n} settings`}>
      {m?.kind === 'mamba' ? [field('d_state', 'dState', m.dState), field('d_conv', 'dConv', m.dConv), field('expand', 'expand', m.expand, false), field('dt_rank', 'dtRank', m.dtRank)] : null}
      {m?.kind === 'attention' ? [field('heads', 'heads', m.heads), field('KV heads', 'kvHeads', m.kvHeads), field('head dim', 'headDim', m.headDim), field('RoPE base', 'ropeBase', m.ropeBase, false)] : null}
      {m?.kind === 'gla' ? [field('heads', 'heads', m.heads), field('expand K', 'expandK', m.expandK, false), field('expand V', 'expandV', m.expandV, false)] : null}
      {layer.mlp ? (
        <NumberField label="MLP hidden" ariaLabel={`Layer ${n} MLP hidden`} value={layer.mlp.hidden} onCommit={(v) => setLayerSettings(index, 'mlp', { hidden: v })} className="compact" />
      ) : null}
    </div>
  );
}
