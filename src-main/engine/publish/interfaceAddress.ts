/**
 * Which local IPv4 address names the interface a multicast socket joins or sends on.
 *
 * Multicast must always name its interface (design ../shared/docs/multicast.md 3.3): desks are
 * multi-homed (VPN adapters, Hyper-V and WSL vEthernet, Docker, Wi-Fi beside Ethernet) and the
 * operating system's default choice is often the wrong one. Sockets take the interface's IPv4
 * address; people know the adapter's name ("Ethernet 2", "eth0") or the desk's subnet. This
 * accepts all three, against the host's own list (os.networkInterfaces()):
 * - `10.1.2.3`: that address, if the host has it;
 * - `10.1.0.0/16`: the host's IPv4 address inside that subnet (exactly one must match);
 * - `Ethernet 2`: the adapter's IPv4 address (exactly one).
 */
import { ipv4ToInt } from './channelAddressing.ts';

/** The shape of os.networkInterfaces() this needs. */
export type InterfaceTable = Record<string, readonly { address: string; family: string | number; internal: boolean }[] | undefined>;

export type InterfaceResult = { ok: true; address: string; name: string } | { ok: false; detail: string };

function ipv4Of(table: InterfaceTable): { name: string; address: string }[] {
  const out: { name: string; address: string }[] = [];
  for (const [name, addrs] of Object.entries(table)) {
    // Node reports the family as 'IPv4' (18.4+ again) or 4 (18.0 - 18.3).
    for (const a of addrs ?? []) if (a.family === 'IPv4' || a.family === 4) out.push({ name, address: a.address });
  }
  return out;
}

function listing(all: { name: string; address: string }[]): string {
  return all.length === 0 ? 'this host has no IPv4 interface' : `this host has ${all.map((a) => `${a.name} ${a.address}`).join(', ')}`;
}

/** Resolve an address, subnet or adapter name to one local IPv4 address. */
export function resolveInterface(spec: string, table: InterfaceTable): InterfaceResult {
  const all = ipv4Of(table);
  const wanted = spec.trim();
  if (!Number.isNaN(ipv4ToInt(wanted))) {
    const hit = all.find((a) => a.address === wanted);
    return hit ? { ok: true, address: hit.address, name: hit.name } : { ok: false, detail: `${wanted} is not an address of this host (${listing(all)})` };
  }
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(wanted);
  if (cidr) {
    const net = ipv4ToInt(cidr[1]!);
    const bits = Number(cidr[2]);
    if (Number.isNaN(net) || bits > 32) return { ok: false, detail: `${wanted} is not an IPv4 subnet` };
    // 2^(32 - bits) addresses per block; arithmetic on numbers, since >>> cannot shift by 32.
    const block = 2 ** (32 - bits);
    const inside = all.filter((a) => Math.floor(ipv4ToInt(a.address) / block) === Math.floor(net / block));
    if (inside.length === 1) return { ok: true, address: inside[0]!.address, name: inside[0]!.name };
    return { ok: false, detail: `${inside.length === 0 ? 'no' : inside.length} IPv4 address(es) of this host in ${wanted}; name one (${listing(all)})` };
  }
  const named = all.filter((a) => a.name === wanted);
  if (named.length === 1) return { ok: true, address: named[0]!.address, name: wanted };
  if (named.length > 1) return { ok: false, detail: `${wanted} has ${named.length} IPv4 addresses (${named.map((a) => a.address).join(', ')}); give the address` };
  return { ok: false, detail: `no interface named "${wanted}" with an IPv4 address (${listing(all)})` };
}
