/**
 * Entry of the console page: pick the transport (Electron MessagePort or the headless host's
 * WebSocket), start the session, render. A page that cannot reach any engine says why.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createBridgeFor } from './bridge/connectBridge.ts';
import { ConsoleProvider } from './ConsoleContext.tsx';
import { pageNowMs, perf, resetPerf, startFrameSampling } from './lib/perfProbe.ts';
import { ConsoleSession } from './stores/consoleSession.ts';
import { animationFrameScheduler } from './stores/frameScheduler.ts';
import './styles.css';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    // Storage can be disabled by policy: the console then simply forgets its layout.
    return null;
  }
}

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
const choice = createBridgeFor(window);
if (!choice.ok) {
  createRoot(root).render(
    <div className="fatal" role="alert" data-testid="fatal">
      <h1>Depthdesk console</h1>
      <p>{choice.reason}</p>
    </div>,
  );
} else {
  const session = new ConsoleSession(
    {
      get status() {
        return choice.bridge.status;
      },
      transport: choice.bridge.transport,
      start: () => choice.bridge.start(),
      close: (r) => choice.bridge.close(r),
      onStatus: (fn) => choice.bridge.onStatus(fn),
      onOpen: (fn) => choice.bridge.onOpen(() => fn()),
      on: (topic, fn) => choice.bridge.on(topic, fn),
      call: (method, params) => choice.bridge.call(method, params),
    },
    { scheduler: animationFrameScheduler(), storage: storage(), now: pageNowMs },
  );
  session.start();
  window.addEventListener('pagehide', () => session.dispose());
  if (new URLSearchParams(location.search).has('perf')) {
    // The renderer benchmark reads these through the page (tests/bench/renderer.bench.ts).
    startFrameSampling();
    Object.assign(window, { __depthdeskPerf: { perf, session: session.perf, reset: resetPerf } });
  }
  createRoot(root).render(
    <StrictMode>
      <ConsoleProvider session={session}>
        <App />
      </ConsoleProvider>
    </StrictMode>,
  );
}
