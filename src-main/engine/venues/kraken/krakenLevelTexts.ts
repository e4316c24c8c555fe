/**
 * Book levels as Kraken's JSON APIs write them, `[{"price": ..., "qty": ...}]` (Spot WebSocket v2
 * book: https://docs.kraken.com/api/docs/websocket-v2/book; Futures v1 book_snapshot:
 * https://docs.kraken.com/api/docs/futures-api/websocket/book), read from exact JSON so that the
 * numbers keep their source text.
 */
import { asArray, asObject, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson } from '../../../../src-shared/model/jsonExact.ts';

/** The entries of one side as [price, qty] texts: [] when absent, undefined when malformed. */
export function krakenLevelTexts(v: ExactJson | undefined): [string, string][] | undefined {
  if (v === undefined) return [];
  const arr = asArray(v);
  if (arr === undefined) return undefined;
  const out: [string, string][] = [];
  for (const e of arr) {
    const o = asObject(e);
    const price = o === undefined ? undefined : asText(o['price']);
    const qty = o === undefined ? undefined : asText(o['qty']);
    if (price === undefined || qty === undefined) return undefined;
    out.push([price, qty]);
  }
  return out;
}
