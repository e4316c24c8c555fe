/** Several depth ladders side by side (same symbol across venues, or different symbols). */
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { bookKey } from '../stores/keys.ts';
import { LADDER_DEPTHS } from '../stores/uiStore.ts';
import { DepthLadder } from './DepthLadder.tsx';

export function LadderBoard() {
  const session = useSession();
  const ladders = useConsole('ui', (s) => s.ladders);
  const depth = useConsole('ui', (s) => s.ladderDepth);
  const problem = useConsole('connection', (s) => s.problem);
  return (
    <section className="panel ladders" aria-label="depth ladders" data-testid="ladder-board">
      <div className="toolbar">
        <span className="panel-title">Depth ladders</span>
        <label className="muted">
          levels{' '}
          <select aria-label="ladder depth" value={depth} onChange={(e) => session.stores.ui.setState({ ladderDepth: Number(e.target.value) })}>
            {LADDER_DEPTHS.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        {ladders.length > 0 ? (
          <button type="button" className="btn btn-small" onClick={() => session.stores.ui.setState({ ladders: [] })}>
            Close all
          </button>
        ) : null}
        {problem?.startsWith('Ladders:') ? <span className="text-bad">{problem}</span> : null}
      </div>
      {ladders.length === 0 ? (
        <div className="empty">
          No ladder open. Select a symbol and press <kbd>Enter</kbd>, or use its <b>Ladder</b> button.
        </div>
      ) : (
        <div className="ladder-row">
          {ladders.map((l) => (
            <DepthLadder key={bookKey(l.venue, l.symbol)} book={l} />
          ))}
        </div>
      )}
    </section>
  );
}
