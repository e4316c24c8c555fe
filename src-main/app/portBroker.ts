/**
 * Hands the console page its engine port. The preload asks with a nonce
 * (`CHANNEL_PORT_REQUEST`); if the sender is trusted (security.ts), main creates a
 * `MessageChannelMain`, connects one end to the supervisor as a console view, and posts the other
 * end back to the requesting frame with the nonce. Each request gets a fresh channel, so a reloaded
 * page or a reconnecting bridge simply asks again; the previous view is detached when its port
 * closes.
 */
import { ipcMain, MessageChannelMain } from 'electron';
import type { IpcMainEvent, MessagePortMain } from 'electron';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { channelPort, isEnvelope } from '../../src-shared/contracts/transports.ts';
import { CHANNEL_PORT, CHANNEL_PORT_REQUEST, NONCE_RE } from './ipcChannels.ts';
import type { IpcSender } from './security.ts';

/** Main's end of a channel to the page, as the engine's port interface (structured clone, no JSON). */
export function messagePortMainPort(p: MessagePortMain): Port {
  const ends = channelPort(
    (msg) => p.postMessage(msg),
    () => p.close(),
  );
  p.on('message', (e) => {
    if (isEnvelope(e.data)) ends.deliver(e.data);
    else ends.port.close('bad message from the page: not an engine envelope');
  });
  p.on('close', () => ends.end('the page closed its port'));
  p.start();
  return ends.port;
}

export interface PortBrokerOptions {
  isTrustedSender(event: IpcSender): boolean;
  /** Connect main's end (a console view of the supervisor). */
  connect(port: Port): void;
  log?: (msg: string) => void;
}

/** Start answering port requests; returns the function that stops it. */
export function registerPortBroker(o: PortBrokerOptions): () => void {
  const onRequest = (event: IpcMainEvent, nonce: unknown): void => {
    if (!o.isTrustedSender(event)) {
      o.log?.(`refused an engine port request from ${event.senderFrame?.url ?? 'a frame that is gone'}`);
      return;
    }
    if (typeof nonce !== 'string' || !NONCE_RE.test(nonce)) {
      o.log?.('refused an engine port request without a well-formed nonce');
      return;
    }
    const { port1, port2 } = new MessageChannelMain();
    o.connect(messagePortMainPort(port1));
    // Back to the frame that asked (validated above), not to whatever the contents show now.
    event.senderFrame!.postMessage(CHANNEL_PORT, { nonce }, [port2]);
  };
  ipcMain.on(CHANNEL_PORT_REQUEST, onRequest);
  return () => ipcMain.off(CHANNEL_PORT_REQUEST, onRequest);
}
