/**
 * Venue documentation examples as the tests quote them. Several venues write their response
 * examples as JavaScript with `//` comments (Binance's exchangeInfo, OKX's field notes); the tests
 * quote them as published and strip the comments to get the JSON the venue would send. Where a
 * test shortens a long example (fee tiers, margin tables), it says so in a comment at that place.
 */

/** Remove `//` comments outside JSON strings, and the commas they leave dangling before } or ]. */
export function stripJsComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}
