/**
 * Top-N books and recent trades of the (venue, symbol)s the ladders subscribed to
 * (`view.subscribe`), from `book.frame` events. Each applied book remembers which levels differ
 * from the book painted before it, so the ladder can highlight what just changed.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { BookView, LevelText, TradeView } from '../../src-shared/contracts/engineApi.ts';
import { bookKey } from './keys.ts';

export interface LadderBook {
  view: BookView;
  /** "b:<price>" / "a:<price>" of levels that are new or changed size since the previous paint. */
  changed: ReadonlySet<string>;
  /** Page time the newest frame of this book arrived (update-to-paint measurements). */
  arrivedAtMs: number;
  /** Frames of this book applied so far. */
  updates: number;
}

export interface BooksState {
  books: Readonly<Record<string, LadderBook>>;
  /** Newest first, at most TRADES_KEPT per book. */
  trades: Readonly<Record<string, readonly TradeView[]>>;
}

export type BooksStore = StoreApi<BooksState>;

export const TRADES_KEPT = 80;

export function createBooksStore(): BooksStore {
  return createStore<BooksState>(() => ({ books: {}, trades: {} }));
}

function sideChanges(prefix: 'b' | 'a', prev: readonly LevelText[], next: readonly LevelText[], out: Set<string>): void {
  const before = new Map<string, string>();
  for (const l of prev) before.set(l.price, l.size);
  for (const l of next) if (before.get(l.price) !== l.size) out.add(`${prefix}:${l.price}`);
}

/** Levels of `next` that are new or resized compared with `prev` (prices compared as canonical strings). */
export function changedLevels(prev: BookView | undefined, next: BookView): Set<string> {
  const out = new Set<string>();
  if (prev === undefined) return out;
  sideChanges('b', prev.bids, next.bids, out);
  sideChanges('a', prev.asks, next.asks, out);
  return out;
}

export interface PendingBook {
  view: BookView;
  arrivedAtMs: number;
}

/** Apply the newest view per book and the trades that arrived since the last animation frame. */
export function applyBookFrames(store: BooksStore, books: ReadonlyMap<string, PendingBook>, trades: readonly TradeView[]): void {
  if (books.size === 0 && trades.length === 0) return;
  store.setState((prev) => {
    let nextBooks = prev.books;
    if (books.size > 0) {
      const copy: Record<string, LadderBook> = { ...prev.books };
      for (const [key, p] of books) {
        const old = prev.books[key];
        copy[key] = { view: p.view, changed: changedLevels(old?.view, p.view), arrivedAtMs: p.arrivedAtMs, updates: (old?.updates ?? 0) + 1 };
      }
      nextBooks = copy;
    }
    let nextTrades = prev.trades;
    if (trades.length > 0) {
      const copy: Record<string, readonly TradeView[]> = { ...prev.trades };
      const grouped = new Map<string, TradeView[]>();
      for (const t of trades) {
        const k = bookKey(t.venue, t.symbol);
        let g = grouped.get(k);
        if (!g) grouped.set(k, (g = []));
        g.push(t);
      }
      for (const [k, g] of grouped) {
        g.reverse();
        copy[k] = [...g, ...(prev.trades[k] ?? [])].slice(0, TRADES_KEPT);
      }
      nextTrades = copy;
    }
    return { books: nextBooks, trades: nextTrades };
  });
}

/** Forget books no ladder shows any more. */
export function retainBooks(store: BooksStore, keys: ReadonlySet<string>): void {
  store.setState((prev) => {
    const books: Record<string, LadderBook> = {};
    const trades: Record<string, readonly TradeView[]> = {};
    for (const k of keys) {
      const b = prev.books[k];
      if (b) books[k] = b;
      const t = prev.trades[k];
      if (t) trades[k] = t;
    }
    return { books, trades };
  });
}
