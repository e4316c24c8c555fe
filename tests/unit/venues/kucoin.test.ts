/**
 * KuCoin rules and handshake on the documentation's statements and layouts:
 * - calibration (https://www.kucoin.com/docs-new/3470068w0, "Orderbook - Increment"):
 *   apply while sequenceStart(new) <= sequenceEnd(old) + 1 and sequenceEnd(new) > sequenceEnd(old);
 *   the doc's worked example ignores entries whose own sequence is not newer than the snapshot's 16;
 * - bullet-public response layout (https://www.kucoin.com/docs/websocket/basic-info/apply-connect-token/public-token-no-authentication-required-).
 * The recording is verified in tests/replay/kucoinVerify.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { KUCOIN_RULES } from '../../../src-main/engine/venues/kucoin/kucoinSession.ts';
import { kucoinBulletFromBody } from '../../../src-main/engine/venues/kucoin/kucoinBullet.ts';
import { kucoin, kucoinInstrument } from '../../../src-main/engine/venues/kucoin/kucoinSpec.ts';
import { venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const ids = (first: number, last: number) => ({ first, last, prev: -1 });

describe('KUCOIN_RULES', () => {
  it('drops what the snapshot holds and bridges it from the doc example (snapshot sequence 16)', () => {
    expect(KUCOIN_RULES.contained(ids(15, 16), 16)).toBe(true);
    expect(KUCOIN_RULES.contained(ids(15, 17), 16)).toBe(false);
    expect(KUCOIN_RULES.bridges(ids(15, 19), 16)).toBe(true);
    expect(KUCOIN_RULES.bridges(ids(17, 17), 16)).toBe(true);
    expect(KUCOIN_RULES.bridges(ids(18, 19), 16)).toBe(false);
    expect(KUCOIN_RULES.tooOld(16, ids(18, 19))).toBe(true);
    expect(KUCOIN_RULES.tooOld(16, ids(17, 19))).toBe(false);
  });

  it('continues while start <= prevEnd + 1 and end > prevEnd; a repeat is a duplicate, a hole a gap', () => {
    expect(KUCOIN_RULES.continues(ids(20, 20), 19)).toBe('ok');
    expect(KUCOIN_RULES.continues(ids(18, 25), 19)).toBe('ok');
    expect(KUCOIN_RULES.continues(ids(18, 19), 19)).toBe('duplicate');
    expect(KUCOIN_RULES.continues(ids(21, 22), 19)).toBe('gap');
    expect(KUCOIN_RULES.expected(19)).toBe('sequenceStart <= 20');
  });
});

describe('KuCoin handshake and subscriptions', () => {
  // The token is the example of the docs' connection page.
  const body = JSON.stringify({
    code: '200000',
    data: {
      token: '2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU64mdzUOPusi34M_wGoSf7iNyEWJ2gZJLp3fgqGGvpzdfennGL3R06_0gIS-diYB9J6i9GjsxUuhPw3Blq6rhZlGykT3Vp1phUafnulOOpts-MEmEF-3bpfetLOAjzQ04YZ_8fRJBvJHl5Vs9Y=.28mIdGU',
      instanceServers: [{ endpoint: 'wss://ws-api-spot.kucoin.com/', encrypt: true, protocol: 'websocket', pingInterval: 18000, pingTimeout: 10000 }],
    },
  });

  it('builds the socket URL from a bullet-public answer', () => {
    const b = kucoinBulletFromBody(body, 'c1');
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    const u = new URL(b.url);
    expect(u.origin + u.pathname).toBe('wss://ws-api-spot.kucoin.com/');
    expect(u.searchParams.get('connectId')).toBe('c1');
    expect(u.searchParams.get('token')).toMatch(/^2neAiuYv/);
    expect([b.pingIntervalMs, b.pingTimeoutMs]).toEqual([18000, 10000]);
  });

  it('reports venue errors and malformed bodies as typed results', () => {
    expect(kucoinBulletFromBody('{"code":"429000","msg":"Too Many Requests"}', 'c')).toEqual({ ok: false, code: 'venue', message: 'bullet-public code 429000: Too Many Requests' });
    expect(kucoinBulletFromBody('<html>', 'c')).toMatchObject({ ok: false, code: 'body' });
    expect(kucoinBulletFromBody('{"code":"200000","data":{"instanceServers":[]}}', 'c')).toMatchObject({ ok: false, code: 'body' });
  });

  it('subscribes level2 and match for up to 50 symbols per connection and pings with an id', () => {
    const syms = Array.from({ length: 51 }, (_, i) => `A${i}-USDT`);
    expect(kucoin.plan(syms).map((p) => p.venueSymbols.length)).toEqual([50, 1]);
    const h = sessionHarness(kucoin, ['BTC-USDT', 'ETH-USDT']);
    h.session.onOpen();
    expect(h.sent.map((f) => JSON.parse(f) as unknown)).toEqual([
      { id: '1', type: 'subscribe', topic: '/market/level2:BTC-USDT,ETH-USDT', privateChannel: false, response: true },
      { id: '2', type: 'subscribe', topic: '/market/match:BTC-USDT,ETH-USDT', privateChannel: false, response: true },
    ]);
    expect(JSON.parse(h.session.keepalive!.frame())).toEqual({ id: '3', type: 'ping' });
    expect(kucoinInstrument('BCHSV-USDT')).toMatchObject({ symbol: 'BCHSV-USDT', base: 'BCHSV', quote: 'USDT', kind: 'spot' });
    expect(venueForUrl('wss://push-private.kucoin.com/endpoint?token=TOKEN')?.id).toBe('kucoin');
    expect(venueForUrl('https://api.kucoin.com/api/v3/market/orderbook/level2?symbol=EQZ-BTC')?.id).toBe('kucoin');
    expect(kucoin.snapshotSymbol!('https://api.kucoin.com/api/v1/market/orderbook/level2_100?symbol=btc-usdt')).toBe('BTC-USDT');
  });
});
