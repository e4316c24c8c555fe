/**
 * The console's own state towards the engine: the bridge's phase (shown in the header, in words),
 * problems while seeding or subscribing, and the diagnostics export in progress.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { DiagnosticsResult } from '../../src-shared/contracts/engineApi.ts';
import type { BridgeStatus } from '../bridge/bridge.ts';

export type DiagnosticsState =
  | { phase: 'idle' }
  /** `progress`: the engine's latest diagnostics.progress event for this export. */
  | { phase: 'running'; startedAtMs: number; progress?: { step: string; done: number; total: number; bytes: number } }
  | { phase: 'done'; result: DiagnosticsResult; tookMs: number }
  | { phase: 'not-available'; message: string }
  | { phase: 'error'; message: string };

export interface ConnectionState {
  status: BridgeStatus;
  transport: { kind: string; display: string };
  /** Last problem talking to the engine outside a user action (seed, subscribe), or null. */
  problem: string | null;
  /** Books the engine streams to the ladders (answer of view.subscribe). */
  subscribedBooks: number;
  diagnostics: DiagnosticsState;
}

export type ConnectionStore = StoreApi<ConnectionState>;

export function createConnectionStore(transport: { kind: string; display: string }, status: BridgeStatus): ConnectionStore {
  return createStore<ConnectionState>(() => ({ status, transport, problem: null, subscribedBooks: 0, diagnostics: { phase: 'idle' } }));
}
