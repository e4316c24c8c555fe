/**
 * The IPC channels between the Electron main process and the preload: only these two, both with
 * the app's prefix (VS Code's `vscode:` rule), both validated on each side. The page itself never
 * sees IPC: it gets `window.depthdesk` (src-shared/contracts/preloadApi.ts).
 */

/** preload -> main: `send(CHANNEL_PORT_REQUEST, nonce)`, asking for a fresh engine port. */
export const CHANNEL_PORT_REQUEST = 'depthdesk:engine-port-request';

/** main -> preload: `postMessage(CHANNEL_PORT, { nonce }, [port])`, the port for that nonce. */
export const CHANNEL_PORT = 'depthdesk:engine-port';

/** `webPreferences.additionalArguments` entry carrying the build id to the sandboxed preload. */
export const BUILD_ARG = '--depthdesk-build=';

/** Nonces are 24 URL-safe characters (144 random bits); anything else is refused. */
export const NONCE_RE = /^[A-Za-z0-9_-]{24}$/;
