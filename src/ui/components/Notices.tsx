// Messages for the person at the page (what a link got wrong and what was ignored, errors), each with a
// dismiss button. Shown in a role="alert" region; text only, never HTML built from link or file data.
import { useAppStore } from '../store';

export function Notices() {
  const notices = useAppStore((s) => s.notices);
  const dismissNotice = useAppStore((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <div className="notices" role="alert">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`}>
          <div className="notice-head">
            <strong>{n.title}</strong>
            <button type="button" className="icon" aria-label={`Dismiss: ${n.title}`} onClick={() => dismissNotice(n.id)}>
              ✕
            </button>
          </div>
          {n.details.length > 0 ? (
            <ul>
              {n.details.map((d, i) => (
                <li key={i}>{d}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}
