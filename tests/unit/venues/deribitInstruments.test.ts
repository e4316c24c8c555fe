/**
 * Deribit get_instruments listing ("symbols": "all") read from the response example Deribit
 * publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseDeribitInstruments } from '../../../src-main/engine/venues/deribit/deribitInstruments.ts';

// Documentation example: https://docs.deribit.com/api-reference/market-data/public-get_instruments
// (response to currency=BTC, kind=future: the dated future BTC-29SEP23 and BTC-PERPETUAL).
const EXAMPLE = `{
  "jsonrpc": "2.0",
  "id": 1,
  "result": [
    {
      "tick_size": 2.5,
      "tick_size_steps": [],
      "taker_commission": 0.0005,
      "settlement_period": "month",
      "settlement_currency": "BTC",
      "quote_currency": "USD",
      "price_index": "btc_usd",
      "min_trade_amount": 10,
      "max_liquidation_commission": 0.0075,
      "max_leverage": 50,
      "maker_commission": 0,
      "kind": "future",
      "is_active": true,
      "instrument_name": "BTC-29SEP23",
      "instrument_id": 138583,
      "instrument_type": "reversed",
      "expiration_timestamp": 1695974400000,
      "creation_timestamp": 1664524802000,
      "counter_currency": "USD",
      "contract_size": 10,
      "block_trade_tick_size": 0.01,
      "block_trade_min_trade_amount": 200000,
      "block_trade_commission": 0.00025,
      "base_currency": "BTC",
      "state": "open"
    },
    {
      "tick_size": 0.5,
      "tick_size_steps": [],
      "taker_commission": 0.0005,
      "settlement_period": "perpetual",
      "settlement_currency": "BTC",
      "quote_currency": "USD",
      "price_index": "btc_usd",
      "min_trade_amount": 10,
      "max_liquidation_commission": 0.0075,
      "max_leverage": 50,
      "maker_commission": 0,
      "kind": "future",
      "is_active": true,
      "instrument_name": "BTC-PERPETUAL",
      "instrument_id": 124972,
      "instrument_type": "reversed",
      "expiration_timestamp": 32503708800000,
      "creation_timestamp": 1534167754000,
      "counter_currency": "USD",
      "contract_size": 10,
      "block_trade_tick_size": 0.01,
      "block_trade_min_trade_amount": 200000,
      "block_trade_commission": 0.00025,
      "base_currency": "BTC",
      "state": "open"
    }
  ]
}`;

describe('Deribit get_instruments listing', () => {
  it('lists the documented active future and perpetual with tick size and minimum amount', () => {
    expect(parseDeribitInstruments(EXAMPLE)).toEqual({
      ok: true,
      instruments: [
        { venueSymbol: 'BTC-29SEP23', tickSize: '2.5', lotSize: '10' },
        { venueSymbol: 'BTC-PERPETUAL', tickSize: '0.5', lotSize: '10' },
      ],
    });
  });

  it('leaves out inactive instruments, closed books and combinations', () => {
    expect(parseDeribitInstruments(EXAMPLE.replace('"is_active": true,\n      "instrument_name": "BTC-29SEP23"', '"is_active": false,\n      "instrument_name": "BTC-29SEP23"'))).toMatchObject({ ok: true, instruments: [{ venueSymbol: 'BTC-PERPETUAL' }] });
    expect(parseDeribitInstruments(EXAMPLE.replace('"kind": "future",\n      "is_active": true,\n      "instrument_name": "BTC-PERPETUAL"', '"kind": "future_combo",\n      "is_active": true,\n      "instrument_name": "BTC-PERPETUAL"'))).toMatchObject({ ok: true, instruments: [{ venueSymbol: 'BTC-29SEP23' }] });
    const closed = EXAMPLE.split('"state": "open"').join('"state": "closed"');
    expect(parseDeribitInstruments(closed)).toEqual({ ok: true, instruments: [] });
  });

  it('reports a JSON-RPC error', () => {
    // Deribit's JSON-RPC error object (code, message).
    expect(parseDeribitInstruments('{"jsonrpc":"2.0","id":1,"error":{"code":10028,"message":"too_many_requests"}}')).toEqual({ ok: false, error: 'deribit get_instruments: error 10028 too_many_requests' });
  });
});
