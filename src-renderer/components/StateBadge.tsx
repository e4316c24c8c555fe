/** A sync state as colour AND words (and a glyph), never colour alone. */
import type { SyncState } from '../../src-shared/model/market.ts';
import { stateTone, toneGlyph } from '../lib/format.ts';
import type { Tone } from '../lib/format.ts';

export function StateBadge(props: { state: SyncState; title?: string }) {
  const tone = stateTone(props.state);
  return (
    <span className={`badge tone-${tone}`} title={props.title} data-state={props.state}>
      <span aria-hidden="true">{toneGlyph(tone)}</span> {props.state}
    </span>
  );
}

/** Any labelled status pill (connection, outcome, market condition). */
export function Pill(props: { tone: Tone; text: string; title?: string; testId?: string }) {
  return (
    <span className={`badge tone-${props.tone}`} title={props.title} data-testid={props.testId}>
      <span aria-hidden="true">{toneGlyph(props.tone)}</span> {props.text}
    </span>
  );
}
