/** Confirmation for wide actions (venue or all-books resync, and the `r` shortcut). */
import { useEffect, useRef } from 'react';
import { useConsole, useSession } from '../ConsoleContext.tsx';

export function ConfirmDialog() {
  const session = useSession();
  const confirm = useConsole('ui', (s) => s.confirm);
  const okRef = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    if (confirm) okRef.current?.focus();
  }, [confirm]);
  if (!confirm) return null;
  const close = () => session.stores.ui.setState({ confirm: null });
  const ok = () => {
    close();
    void session.resync(confirm.scope);
  };
  return (
    <div className="overlay" role="presentation" onClick={close}>
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        data-testid="confirm-dialog"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            close();
          }
        }}
      >
        <h2 id="confirm-title">{confirm.title}</h2>
        <p>{confirm.body}</p>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={close}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" ref={okRef} onClick={ok} data-testid="confirm-ok">
            {confirm.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
