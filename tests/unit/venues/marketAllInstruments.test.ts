/**
 * Upbit and Bithumb /v1/market/all listings ("symbols": "all") read from the response example
 * Upbit publishes (Bithumb's current API answers the same route in the same shape).
 */
import { describe, expect, it } from 'vitest';
import { marketAllAnswer, parseMarketAll } from '../../../src-main/engine/venues/upbit/upbitInstruments.ts';
import { stripJsComments } from '../../support/docExample.ts';

// Documentation example: https://docs.upbit.com/kr/reference/list-trading-pairs ("마켓 코드 조회"
// response example; the page ends the list with "...").
const EXAMPLE = `[
	{
		"market": "KRW-BTC",
		"korean_name": "비트코인",
		"english_name": "Bitcoin"
	},
	{
		"market": "KRW-ETH",
		"korean_name": "이더리움",
		"english_name": "Ethereum"
	},
	{
		"market": "BTC-ETH",
		"korean_name": "이더리움",
		"english_name": "Ethereum"
	},
	{
		"market": "BTC-LTC",
		"korean_name": "라이트코인",
		"english_name": "Litecoin"
	},
	{
		"market": "BTC-XRP",
		"korean_name": "리플",
		"english_name": "Ripple"
    }
    // ...
]`;

describe('/v1/market/all listings', () => {
  it('lists every documented market code for Upbit and for Bithumb', () => {
    const markets = ['KRW-BTC', 'KRW-ETH', 'BTC-ETH', 'BTC-LTC', 'BTC-XRP'].map((venueSymbol) => ({ venueSymbol }));
    expect(parseMarketAll(stripJsComments(EXAMPLE), 'upbit')).toEqual({ ok: true, instruments: markets });
    expect(parseMarketAll(stripJsComments(EXAMPLE), 'bithumb')).toEqual({ ok: true, instruments: markets });
  });

  it('reports Upbit\'s error body', () => {
    // Upbit's documented error format: {"error": {"name", "message"}}.
    expect(parseMarketAll('{"error":{"name":"too_many_requests","message":"Too many API requests."}}', 'upbit')).toEqual({ ok: false, error: 'upbit market/all: error too_many_requests Too many API requests.' });
  });

  it('the replay lists QUOTE-BASE codes only: Bithumb\'s legacy BASE_QUOTE trade symbols are not markets of this route', () => {
    const ask = (q: string, symbols: string[]) => marketAllAnswer({ url: new URL(`http://127.0.0.1/v1/market/all${q}`), method: 'GET', body: '' }, symbols)!;
    expect(JSON.parse(ask('', ['KRW-BTC', 'BTC_KRW']).body)).toEqual([{ market: 'KRW-BTC' }]);
    expect(JSON.parse(ask('?isDetails=true', ['KRW-BTC']).body)).toEqual([{ market: 'KRW-BTC', market_warning: 'NONE' }]);
  });
});
