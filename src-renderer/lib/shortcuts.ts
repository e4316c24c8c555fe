/**
 * Keyboard shortcuts (listed in the help overlay): `/` search, Enter open the ladder, `r`
 * resync the selected book (confirmed), `R` its whole venue (confirmed), arrows or j/k move the
 * selection, 1/2/3 switch the lower panel, `?` help, Esc close. Pure over the session's stores
 * so it is tested without a browser.
 */
import type { ConsoleSession } from '../stores/consoleSession.ts';
import { bookKey, refOfKey } from '../stores/keys.ts';
import { openLadder } from '../stores/uiStore.ts';
import type { LowerTab } from '../stores/uiStore.ts';
import { selectRows } from './symbolRows.ts';

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The focused element is a text field / select. */
  inField: boolean;
  /** The focused field is the symbol search box. */
  inSearch: boolean;
}

export type KeyOutcome = 'handled' | 'blur' | 'ignored';

function rowsOf(session: ConsoleSession) {
  const ui = session.stores.ui.getState();
  return selectRows(session.stores.market.getState().symbols.values(), ui.filters, ui.sort);
}

function moveSelection(session: ConsoleSession, delta: number): void {
  const rows = rowsOf(session);
  if (rows.length === 0) return;
  const sel = session.stores.ui.getState().selected;
  const at = sel === null ? -1 : rows.findIndex((r) => bookKey(r.venue, r.symbol) === sel);
  const next = at < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, at + delta));
  const r = rows[next]!;
  session.stores.ui.setState({ selected: bookKey(r.venue, r.symbol) });
}

/** The selected row if it is still shown, else the first row the filters keep. */
function target(session: ConsoleSession): string | null {
  const rows = rowsOf(session);
  const sel = session.stores.ui.getState().selected;
  if (sel !== null && rows.some((r) => bookKey(r.venue, r.symbol) === sel)) return sel;
  const first = rows[0];
  return first ? bookKey(first.venue, first.symbol) : sel;
}

const TABS: Record<string, LowerTab> = { '1': 'timeline', '2': 'nbbo', '3': 'charts' };

export function handleShortcut(session: ConsoleSession, k: KeyInput): KeyOutcome {
  const ui = session.stores.ui;
  const s = ui.getState();
  if (k.ctrlKey || k.metaKey || k.altKey) return 'ignored';
  if (s.confirm !== null) {
    if (k.key === 'Escape') {
      ui.setState({ confirm: null });
      return 'handled';
    }
    return 'ignored';
  }
  if (s.helpOpen) {
    if (k.key === 'Escape' || k.key === '?') {
      ui.setState({ helpOpen: false });
      return 'handled';
    }
    return 'ignored';
  }
  if (k.inField) {
    if (k.key === 'Escape') return 'blur';
    if (!k.inSearch) return 'ignored';
    if (k.key === 'ArrowDown' || k.key === 'ArrowUp') {
      moveSelection(session, k.key === 'ArrowDown' ? 1 : -1);
      return 'handled';
    }
    if (k.key === 'Enter') {
      openSelected(session);
      return 'blur';
    }
    return 'ignored';
  }
  switch (k.key) {
    case '/':
      ui.setState({ focusSearchTick: s.focusSearchTick + 1 });
      return 'handled';
    case '?':
      ui.setState({ helpOpen: true });
      return 'handled';
    case 'Enter':
      return openSelected(session) ? 'handled' : 'ignored';
    case 'ArrowDown':
    case 'j':
      moveSelection(session, 1);
      return 'handled';
    case 'ArrowUp':
    case 'k':
      moveSelection(session, -1);
      return 'handled';
    case 'r':
    case 'R': {
      // The same book Enter would open: the selection if the filters show it, else the first row.
      const key = target(session);
      const ref = key === null ? undefined : refOfKey(key);
      if (!ref) return 'ignored';
      if (k.key === 'r') {
        ui.setState({ confirm: { title: `Resync ${ref.venue} ${ref.symbol}?`, body: 'The book is dropped and rebuilt from a fresh snapshot; it is marked not live until it is exact again. Other books on the connection are not touched.', confirmLabel: 'Resync this book', scope: { scope: 'symbol', venue: ref.venue, symbol: ref.symbol } } });
      } else {
        let n = 0;
        for (const r of session.stores.market.getState().symbols.values()) if (r.venue === ref.venue) n++;
        ui.setState({ confirm: { title: `Resync every book of ${ref.venue}?`, body: `${n} book(s) will be rebuilt from fresh snapshots, through the venue's REST budget.`, confirmLabel: `Resync ${n} book(s)`, scope: { scope: 'venue', venue: ref.venue } } });
      }
      return 'handled';
    }
    default: {
      const tab = TABS[k.key];
      if (tab) {
        ui.setState({ lowerTab: tab });
        return 'handled';
      }
      return 'ignored';
    }
  }
}

function openSelected(session: ConsoleSession): boolean {
  const key = target(session);
  const ref = key === null ? undefined : refOfKey(key);
  if (!ref) return false;
  openLadder(session.stores.ui, ref);
  return true;
}
