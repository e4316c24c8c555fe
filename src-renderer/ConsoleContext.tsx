/**
 * Gives components the console session and typed store hooks. Selectors must return stored
 * references (or primitives): derived lists are computed with useMemo in the component, never
 * inside a selector, so a render never loops on a fresh array.
 */
import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ConsoleSession, ConsoleStores } from './stores/consoleSession.ts';

const SessionContext = createContext<ConsoleSession | null>(null);

export function ConsoleProvider(props: { session: ConsoleSession; children: ReactNode }) {
  return <SessionContext.Provider value={props.session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): ConsoleSession {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside <ConsoleProvider>');
  return s;
}

type StateOf<K extends keyof ConsoleStores> = ReturnType<ConsoleStores[K]['getState']>;

export function useConsole<K extends keyof ConsoleStores, T>(name: K, selector: (s: StateOf<K>) => T): T {
  const store = useSession().stores[name] as unknown as Parameters<typeof useStore>[0];
  return useStore(store, selector as (s: unknown) => T);
}
