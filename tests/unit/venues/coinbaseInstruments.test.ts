/**
 * Coinbase product listings ("symbols": "all") read from the response example Coinbase publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseCoinbaseExchangeProducts, parseCoinbaseProducts } from '../../../src-main/engine/venues/coinbase/coinbaseInstruments.ts';

// Documentation example: https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/list-public-products
// ("200" response of GET /api/v3/brokerage/market/products). Its values are the page's
// placeholders: every flag set, status "<string>", product_type UNKNOWN_PRODUCT_TYPE.
const AT_EXAMPLE = `{
  "products": [
    {
      "product_id": "BTC-USD",
      "price": "140.21",
      "price_percentage_change_24h": "9.43%",
      "volume_24h": "1908432",
      "volume_percentage_change_24h": "9.43%",
      "base_increment": "0.00000001",
      "quote_increment": "0.00000001",
      "quote_min_size": "0.00000001",
      "quote_max_size": "1000",
      "base_min_size": "0.00000001",
      "base_max_size": "1000",
      "base_name": "Bitcoin",
      "quote_name": "US Dollar",
      "watched": true,
      "is_disabled": false,
      "new": true,
      "status": "<string>",
      "cancel_only": true,
      "limit_only": true,
      "post_only": true,
      "trading_disabled": false,
      "auction_mode": true,
      "base_display_symbol": "BTC",
      "quote_display_symbol": "USD",
      "product_type": "UNKNOWN_PRODUCT_TYPE",
      "quote_currency_id": "USD",
      "base_currency_id": "BTC",
      "fcm_trading_session_details": {
        "is_session_open": true,
        "open_time": "<string>",
        "close_time": "<string>",
        "session_state": "FCM_TRADING_SESSION_STATE_UNDEFINED",
        "after_hours_order_entry_disabled": true,
        "closed_reason": "FCM_TRADING_SESSION_CLOSED_REASON_UNDEFINED",
        "maintenance": {
          "start_time": "<string>",
          "end_time": "<string>"
        }
      },
      "mid_market_price": "140.22",
      "alias": "BTC-USD",
      "alias_to": [
        "BTC-USDC"
      ],
      "view_only": true,
      "price_increment": "0.00000001",
      "display_name": "BTC PERP",
      "product_venue": "neptune",
      "approximate_quote_24h_volume": "1908432",
      "new_at": "2021-07-01T00:00:00.000Z",
      "market_cap": "1500000000000",
      "icon_color": "red",
      "icon_url": "https://metadata.cbhq.net/equity_icons/123456789.png",
      "display_name_overwrite": "Bitcoin Perpetual",
      "is_alpha_testing": false,
      "about_description": "nano Crude Oil Futures is a monthly cash-settled contract that allows participants to manage risk, trade on margin, or speculate on the price of oil.",
      "future_product_details": {
        "venue": "<string>",
        "contract_code": "<string>",
        "contract_expiry": "<string>",
        "contract_size": "<string>",
        "contract_root_unit": "<string>",
        "group_description": "<string>",
        "contract_expiry_timezone": "<string>",
        "group_short_description": "<string>",
        "risk_managed_by": "UNKNOWN_RISK_MANAGEMENT_TYPE",
        "contract_expiry_type": "UNKNOWN_CONTRACT_EXPIRY_TYPE",
        "perpetual_details": {
          "open_interest": "<string>",
          "funding_rate": "<string>",
          "funding_time": "<string>",
          "max_leverage": "<string>",
          "base_asset_uuid": "<string>",
          "underlying_type": "<string>"
        },
        "contract_display_name": "<string>",
        "time_to_expiry_ms": "<string>",
        "non_crypto": true,
        "contract_expiry_name": "<string>",
        "twenty_four_by_seven": true,
        "funding_interval": "<string>",
        "open_interest": "<string>",
        "funding_rate": "<string>",
        "funding_time": "<string>",
        "display_name": "<string>",
        "region_enabled": {},
        "intraday_margin_rate": {
          "long_margin_rate": "0.5",
          "short_margin_rate": "0.5"
        },
        "overnight_margin_rate": {
          "long_margin_rate": "0.5",
          "short_margin_rate": "0.5"
        },
        "settlement_price": "<string>"
      }
    }
  ],
  "num_products": 100,
  "pagination": {
    "prev_cursor": "<string>",
    "next_cursor": "<string>",
    "has_next": true,
    "has_prev": true
  }
}`;

/** The example with one documented field changed (the rest as published). */
function withField(field: string, from: string, to: string): string {
  const before = `"${field}": ${from}`;
  if (!AT_EXAMPLE.includes(before)) throw new Error(`the example has no ${before}`);
  return AT_EXAMPLE.replace(before, `"${field}": ${to}`);
}

describe('Coinbase Advanced Trade product listings', () => {
  it('follows the documented example\'s cursor and leaves its product out: placeholder status, cancel-only, view-only, not SPOT', () => {
    expect(parseCoinbaseProducts(AT_EXAMPLE)).toEqual({ ok: true, instruments: [], nextCursor: '<string>' });
  });

  it('lists the example product once it is an online spot product with no stopping flag, with price_increment and base_increment', () => {
    let trading = withField('status', '"<string>"', '"online"');
    trading = trading.replace('"cancel_only": true', '"cancel_only": false').replace('"view_only": true', '"view_only": false').replace('"product_type": "UNKNOWN_PRODUCT_TYPE"', '"product_type": "SPOT"');
    expect(parseCoinbaseProducts(trading)).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC-USD', tickSize: '0.00000001', lotSize: '0.00000001' }], nextCursor: '<string>' });
    // Each documented stop on its own keeps it out.
    for (const f of ['is_disabled', 'trading_disabled']) {
      expect(parseCoinbaseProducts(trading.replace(`"${f}": false`, `"${f}": true`))).toEqual({ ok: true, instruments: [], nextCursor: '<string>' });
    }
    const last = trading.replace('"has_next": true', '"has_next": false');
    expect(parseCoinbaseProducts(last)).toMatchObject({ ok: true, nextCursor: '' });
  });

  it('reports the documented error body', () => {
    // The "Default" error response of the same page.
    const err = '{"error": "string", "code": 123, "message": "string", "details": [{"type_url": "string", "value": "aSDinaTvuI8gbWludGxpZnk="}]}';
    expect(parseCoinbaseProducts(err)).toEqual({ ok: false, error: 'coinbase market/products: error string' });
  });

  it('Exchange /products: online products without trading_disabled or cancel_only, by the fields its page documents', () => {
    // https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproducts documents the
    // fields and the status values (online, offline, internal, delisted) but gives no example
    // body; these are those fields for the product of the Advanced Trade example above.
    const product = (status: string, flags: Record<string, boolean>) => ({ id: 'BTC-USD', base_currency: 'BTC', quote_currency: 'USD', quote_increment: '0.01', base_increment: '0.00000001', display_name: 'BTC/USD', min_market_funds: '1', margin_enabled: false, post_only: false, limit_only: false, cancel_only: false, status, status_message: '', auction_mode: false, trading_disabled: false, ...flags });
    expect(parseCoinbaseExchangeProducts(JSON.stringify([product('online', {})]))).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC-USD', tickSize: '0.01', lotSize: '0.00000001' }] });
    expect(parseCoinbaseExchangeProducts(JSON.stringify([product('online', { post_only: true })]))).toMatchObject({ ok: true, instruments: [{ venueSymbol: 'BTC-USD' }] });
    for (const p of [product('offline', {}), product('delisted', {}), product('internal', {}), product('online', { cancel_only: true }), product('online', { trading_disabled: true })]) {
      expect(parseCoinbaseExchangeProducts(JSON.stringify([p]))).toEqual({ ok: true, instruments: [] });
    }
    expect(parseCoinbaseExchangeProducts('{"message":"NotFound"}')).toEqual({ ok: false, error: 'coinbase-exchange products: error NotFound' });
  });
});
