// "Copy link": copies the page's address (which always holds the whole comparison, see url-sync.ts) with
// the Clipboard API and says "Copied"; where the clipboard is refused it shows the link in a selected
// read-only input to copy by hand.
import { useEffect, useRef, useState } from 'react';

export function CopyLinkButton() {
  const [state, setState] = useState<'idle' | 'copied' | 'manual'>('idle');
  const [link, setLink] = useState('');
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (state !== 'copied') return;
    const t = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(t);
  }, [state]);
  useEffect(() => {
    if (state === 'manual') inputRef.current?.select();
  }, [state, link]);

  const copy = async () => {
    const href = location.href;
    setLink(href);
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(href);
      setState('copied');
    } catch {
      setState('manual');
    }
  };
  return (
    <div className="copy-link">
      <button type="button" onClick={() => void copy()}>
        {state === 'copied' ? 'Copied' : 'Copy link'}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {state === 'copied' ? 'Link copied to the clipboard' : ''}
      </span>
      {state === 'manual' ? (
        <div className="copy-manual">
          <label htmlFor="copy-link-text">The clipboard was refused; copy the link from here (Ctrl+C / ⌘C):</label>
          <input id="copy-link-text" ref={inputRef} type="text" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => setState('idle')}>
            Close
          </button>
        </div>
      ) : null}
    </div>
  );
}
