// Form fields of the builder. Each keeps a local draft while the person types and hands every keystroke's
// candidate to `onCommit`, which returns an error (the store kept the last valid model) or null (the
// candidate was stored). An error is shown beside the field, tied to it by aria-describedby, with
// aria-invalid set. When the field is not being edited it shows the stored value.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

interface Draft {
  text: string;
  error: string | null;
}

/** Reads a typed number; an error message when the text is not one. */
export function parseNumberText(text: string, integer: boolean): { value: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'enter a number' };
  const n = Number(t);
  if (!Number.isFinite(n)) return { error: `"${t.length > 16 ? `${t.slice(0, 16)}…` : t}" is not a number` };
  if (integer && !Number.isInteger(n)) return { error: `must be a whole number, got ${t}` };
  return { value: n };
}

/**
 * The draft of a field. It is dropped (the field shows the stored value again) when the stored value
 * changes while the field is not focused, or changes to something other than what the draft committed
 * (another edit, Back, a preset picked without moving focus).
 */
export function useDraft<D extends { text: string; error: string | null }>(
  valueText: string,
  inputRef: React.RefObject<HTMLInputElement | null>,
  isOwnValue: (draftText: string, valueText: string) => boolean,
) {
  const [draft, setDraft] = useState<D | null>(null);
  const draftRef = useRef<D | null>(null);
  draftRef.current = draft;
  const ownRef = useRef(isOwnValue);
  ownRef.current = isOwnValue;
  useEffect(() => {
    const d = draftRef.current;
    if (!d) return;
    const focused = document.activeElement === inputRef.current;
    if (!focused || d.error !== null || !ownRef.current(d.text, valueText)) setDraft(null);
  }, [valueText, inputRef]);
  return [draft, setDraft] as const;
}

interface NumberFieldProps {
  label: string;
  value: number;
  /** Stores a candidate; returns why it was rejected, or null. */
  onCommit: (value: number) => string | null;
  integer?: boolean;
  /** Arrow-key step (default 1). */
  step?: number;
  /** Shown after the label, e.g. "auto". */
  hint?: string;
  /** Written into the input's title (what the setting means). */
  title?: string;
  className?: string;
  /** Accessible name when it should differ from the visible label (e.g. "Layer 3 heads"). */
  ariaLabel?: string;
}

export function NumberField({ label, value, onCommit, integer = true, step = 1, hint, title, className, ariaLabel }: NumberFieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const inputRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useDraft<Draft>(String(value), inputRef, (t, v) => {
    const parsed = parseNumberText(t, integer);
    return 'value' in parsed && String(parsed.value) === v;
  });
  const text = draft?.text ?? String(value);
  const error = draft?.error ?? null;

  const change = (next: string) => {
    const parsed = parseNumberText(next, integer);
    setDraft({ text: next, error: 'error' in parsed ? parsed.error : onCommit(parsed.value) });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      setDraft(null);
      return;
    }
    if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && !e.altKey) {
      const parsed = parseNumberText(text, integer);
      if ('error' in parsed) return;
      e.preventDefault();
      const next = parsed.value + (e.key === 'ArrowUp' ? step : -step);
      change(String(integer ? Math.round(next) : Number(next.toPrecision(12))));
    }
  };
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {hint ? <span className="field-hint"> {hint}</span> : null}
      </label>
      <input
        ref={inputRef}
        id={id}
        type="text"
        inputMode={integer ? 'numeric' : 'decimal'}
        autoComplete="off"
        spellCheck={false}
        value={text}
        title={title}
        aria-label={ariaLabel}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => change(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => {
          if (!draft?.error) setDraft(null);
        }}
      />
      {error ? (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

interface TextFieldProps {
  label: string;
  value: string;
  onCommit: (value: string) => string | null;
  className?: string;
  maxLength?: number;
  /** What the store makes of typed text (e.g. sanitizeName), to tell this field's commits from other changes. */
  normalize?: (text: string) => string;
}

export function TextField({ label, value, onCommit, className, maxLength, normalize }: TextFieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const inputRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useDraft<Draft>(value, inputRef, (t, v) => (normalize ? normalize(t) : t) === v);
  const error = draft?.error ?? null;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        ref={inputRef}
        id={id}
        type="text"
        autoComplete="off"
        maxLength={maxLength}
        value={draft?.text ?? value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => setDraft({ text: e.target.value, error: onCommit(e.target.value) })}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setDraft(null);
        }}
        onBlur={() => {
          if (!draft?.error) setDraft(null);
        }}
      />
      {error ? (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      ) : null}
    </div>
  );
}
