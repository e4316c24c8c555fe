/**
 * Venue URLs the specs share: where a connection goes when the engine runs with a base URL
 * override, and whether a recorded URL belongs to a venue (`VenueSpec.recognizes`).
 */

/**
 * The WebSocket URL of a connection: the venue's own, or an override. An override that is a bare
 * origin (a local replay server, "ws://127.0.0.1:PORT") gets the venue's path appended, as the
 * engine's venue config documents (venues told apart by path alone, Bybit spot and linear, stay
 * apart); an override with a path is used as given (a testnet URL).
 */
export function connectionUrl(override: string | undefined, venueUrl: string): string {
  if (override === undefined) return venueUrl;
  const u = URL.parse(override);
  if (u === null) return override;
  if (u.pathname !== '/' && u.pathname !== '') return override;
  const path = new URL(venueUrl).pathname;
  return `${u.protocol}//${u.host}${path}${u.search}`;
}

/** The URL parses, its host is one of `hosts` and its path starts with `pathPrefix`. */
export function hostIn(url: string, hosts: ReadonlySet<string>, pathPrefix = ''): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return hosts.has(u.hostname) && u.pathname.startsWith(pathPrefix);
}
