/** `?`: keyboard shortcuts and what the colours, glyphs and trust band mean. */
import { useConsole, useSession } from '../ConsoleContext.tsx';

export const SHORTCUTS: [string, string][] = [
  ['/', 'search a symbol (focus the table filter)'],
  ['↑ ↓  or  j k', 'move the selection in the symbols table'],
  ['Enter', 'open the selected symbol’s depth ladder (first match while searching)'],
  ['r', 'resync the selected symbol (asks for confirmation)'],
  ['R  (shift+r)', 'resync every book of the selected symbol’s venue (asks)'],
  ['1 2 3', 'lower panel: resync timeline, NBBO, charts'],
  ['?', 'show or hide this help'],
  ['Esc', 'close dialogs, leave the search box'],
];

export function HelpOverlay() {
  const session = useSession();
  const open = useConsole('ui', (s) => s.helpOpen);
  if (!open) return null;
  const close = () => session.stores.ui.setState({ helpOpen: false });
  return (
    <div className="overlay" role="presentation" onClick={close}>
      <div className="dialog help" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help-overlay" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title">Keyboard and legend</h2>
        <table className="help-table">
          <tbody>
            {SHORTCUTS.map(([k, v]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>States</h3>
        <p>
          <span className="badge tone-ok">● live</span> exact and verified · <span className="badge tone-info">◌ connecting / buffering / snapshot-pending / syncing</span> building ·{' '}
          <span className="badge tone-warn">▲ resyncing / stale</span> not trusted right now · <span className="badge tone-bad">■ halted</span> given up, needs attention. The glyph and the word carry the meaning; colour only repeats it.
        </p>
        <h3>Trust band</h3>
        <p>
          A book built from a depth-limited REST snapshot is only known complete between the snapshot’s deepest bid and ask. Ladder rows outside that band are hatched and marked <b>?</b>; a line marks the edge. “full book” and “venue window”
          mean every level shown is exact.
        </p>
        <p className="muted">Prices, sizes, cumulative sizes, spreads and mids are exact decimals as the venue sent them; only charts plot approximations.</p>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={close}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
