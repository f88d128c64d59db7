// The stack pattern field: the selected model's layers as text (`(M M M A)x6`). Typing a valid pattern
// rebuilds the stack at once; an invalid one shows the parser's message (with its column) beside the field
// and marks the offending character, while the store keeps the last valid stack. When the field is not
// being edited it follows the stack (button edits, drag, Back) in its shortest form.
import { useId, useRef } from 'react';
import { patternOf } from '../../model/build';
import { formatPattern, tryParsePattern } from '../../model/pattern';
import { useDraft } from './fields';
import { useAppStore } from '../store';

interface Draft {
  text: string;
  error: string | null;
  /** 1-based column of the bad character (text length + 1 at the end). */
  column: number | null;
}

export function PatternField() {
  const id = useId();
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const layers = useAppStore((s) => s.comparison.models[s.selectedModel]?.layers);
  const setPattern = useAppStore((s) => s.setPattern);
  const stored = layers ? patternOf({ layers }) : '';
  const inputRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useDraft<Draft>(stored, inputRef, (t, v) => {
    const parsed = tryParsePattern(t);
    return parsed.ok && formatPattern(parsed.layers) === v;
  });

  const text = draft?.text ?? stored;
  const change = (next: string) => {
    const parsed = tryParsePattern(next);
    if (!parsed.ok) {
      setDraft({ text: next, error: parsed.error.message, column: parsed.error.column });
      return;
    }
    const error = setPattern(next);
    setDraft({ text: next, error, column: null });
  };
  const error = draft?.error ?? null;
  const column = draft?.column ?? null;

  return (
    <div className={`field pattern-field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>Stack pattern</label>
      <input
        ref={inputRef}
        id={id}
        type="text"
        className="pattern-input"
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        value={text}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${errorId} ${helpId}` : helpId}
        onChange={(e) => change(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setDraft(null);
        }}
        onBlur={() => {
          if (!draft?.error) setDraft(null);
        }}
      />
      {error ? (
        <div className="field-error pattern-error" id={errorId}>
          <span>{error}</span>
          {column !== null ? <MarkedText text={text} column={column} /> : null}
        </div>
      ) : null}
      <p className="field-help" id={helpId}>
        M Mamba · A attention · G gated (per element) · Gh gated (per head) · L GLA · F MLP only · <code>+</code> adds an MLP · <code>*n</code>, <code>(…)xn</code> repeat
      </p>
    </div>
  );
}

/** The text with the character at `column` marked (a marked gap when the column is past the end). */
function MarkedText({ text, column }: { text: string; column: number }) {
  const at = Math.max(0, column - 1);
  const chars = Array.from(text);
  // Columns count UTF-16 units; map to a code-point index for display.
  let units = 0;
  let index = 0;
  while (index < chars.length && units < at) units += chars[index++].length;
  const before = chars.slice(0, index).join('');
  const bad = chars[index];
  const after = chars.slice(index + 1).join('');
  return (
    <code className="pattern-echo" aria-hidden="true">
      {before}
      <mark>{bad === undefined ? '\u00a0' : bad === ' ' ? '\u2423' : bad}</mark>
      {after}
    </code>
  );
}
