/**
 * Gate spot currency_pairs and USDT futures contracts listings ("symbols": "all") read from the
 * response examples Gate publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseGateContracts, parseGateCurrencyPairs } from '../../../src-main/engine/venues/gate/gateInstruments.ts';

// Documentation example: https://www.gate.io/docs/developers/apiv4/en/#list-all-currency-pairs-supported
// (200 response of GET /spot/currency_pairs).
const PAIRS_EXAMPLE = `[
  {
    "id": "ETH_USDT",
    "base": "ETH",
    "base_name": "Ethereum",
    "quote": "USDT",
    "quote_name": "Tether",
    "fee": "0.2",
    "min_base_amount": "0.001",
    "min_quote_amount": "1.0",
    "max_base_amount": "10000",
    "max_quote_amount": "10000000",
    "amount_precision": 3,
    "precision": 6,
    "trade_status": "tradable",
    "sell_start": 1516378650,
    "buy_start": 1516378650,
    "delisting_time": 0,
    "trade_url": "https://www.gate.io/trade/ETH_USDT",
    "st_tag": false
  }
]`;

// Documentation example: https://www.gate.io/docs/developers/apiv4/en/#list-all-futures-contracts
// (200 response of GET /futures/{settle}/contracts).
const CONTRACTS_EXAMPLE = `[
  {
    "name": "BTC_USDT",
    "type": "direct",
    "quanto_multiplier": "0.0001",
    "ref_discount_rate": "0",
    "order_price_deviate": "0.5",
    "maintenance_rate": "0.005",
    "mark_type": "index",
    "last_price": "38026",
    "mark_price": "37985.6",
    "index_price": "37954.92",
    "funding_rate_indicative": "0.000219",
    "mark_price_round": "0.01",
    "funding_offset": 0,
    "in_delisting": false,
    "risk_limit_base": "1000000",
    "interest_rate": "0.0003",
    "order_price_round": "0.1",
    "order_size_min": 1,
    "ref_rebate_rate": "0.2",
    "funding_interval": 28800,
    "risk_limit_step": "1000000",
    "leverage_min": "1",
    "leverage_max": "100",
    "risk_limit_max": "8000000",
    "maker_fee_rate": "-0.00025",
    "taker_fee_rate": "0.00075",
    "funding_rate": "0.002053",
    "order_size_max": 1000000,
    "funding_next_apply": 1610035200,
    "short_users": 977,
    "config_change_time": 1609899548,
    "trade_size": 28530850594,
    "position_size": 5223816,
    "long_users": 455,
    "funding_impact_value": "60000",
    "orders_limit": 50,
    "trade_id": 10851092,
    "orderbook_id": 2129638396,
    "enable_bonus": true,
    "enable_credit": true,
    "create_time": 1669688556,
    "funding_cap_ratio": "0.75",
    "status": "trading",
    "launch_time": 1609899548,
    "delisting_time": 1609899548,
    "delisted_time": 1609899548
  }
]`;

describe('Gate listings', () => {
  it('lists the documented tradable spot pair, tick and lot from its precisions', () => {
    expect(parseGateCurrencyPairs(PAIRS_EXAMPLE)).toEqual({ ok: true, instruments: [{ venueSymbol: 'ETH_USDT', tickSize: '0.000001', lotSize: '0.001' }] });
    for (const status of ['untradable', 'buyable', 'sellable']) {
      expect(parseGateCurrencyPairs(PAIRS_EXAMPLE.replace('"trade_status": "tradable"', `"trade_status": "${status}"`))).toEqual({ ok: true, instruments: [] });
    }
  });

  it('lists the documented USDT contract under its settle prefix, tick from order_price_round, whole contracts', () => {
    expect(parseGateContracts(CONTRACTS_EXAMPLE)).toEqual({ ok: true, instruments: [{ venueSymbol: 'usdt/BTC_USDT', tickSize: '0.1', lotSize: '1' }] });
    expect(parseGateContracts(CONTRACTS_EXAMPLE.replace('"in_delisting": false', '"in_delisting": true'))).toEqual({ ok: true, instruments: [] });
    expect(parseGateContracts(CONTRACTS_EXAMPLE.replace('"status": "trading"', '"status": "delisting"'))).toEqual({ ok: true, instruments: [] });
  });

  it('reports Gate error bodies', () => {
    // Gate's documented error format: label and message.
    expect(parseGateContracts('{"label":"INVALID_PARAM_VALUE","message":"invalid settle"}')).toEqual({ ok: false, error: 'gate futures/usdt/contracts: error INVALID_PARAM_VALUE invalid settle' });
  });
});
