/**
 * Interface selection for multicast sockets: by address, adapter name or subnet, against the
 * host's interface table. The table below has the shape os.networkInterfaces() returns on a
 * multi-homed Windows desk (Ethernet, Wi-Fi, a VPN adapter, WSL's vEthernet, loopback): exactly
 * the situation where the operating system's default interface is the wrong one.
 */
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveInterface, type InterfaceTable } from '../../../src-main/engine/publish/interfaceAddress.ts';

const DESK: InterfaceTable = {
  'Ethernet 2': [
    { address: 'fe80::1c2d:3e4f:5a6b:7c8d', family: 'IPv6', internal: false },
    { address: '10.20.30.41', family: 'IPv4', internal: false },
  ],
  'Wi-Fi': [{ address: '192.168.1.23', family: 'IPv4', internal: false }],
  'Cisco AnyConnect': [{ address: '10.250.4.7', family: 'IPv4', internal: false }],
  'vEthernet (WSL)': [{ address: '172.27.160.1', family: 'IPv4', internal: false }],
  'Loopback Pseudo-Interface 1': [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
  'Team (two addresses)': [
    { address: '10.20.31.5', family: 'IPv4', internal: false },
    { address: '10.20.31.6', family: 4, internal: false },
  ],
};

describe('resolveInterface', () => {
  it('takes an address the host has, and names its adapter', () => {
    expect(resolveInterface('10.20.30.41', DESK)).toEqual({ ok: true, address: '10.20.30.41', name: 'Ethernet 2' });
    expect(resolveInterface(' 127.0.0.1 ', DESK)).toEqual({ ok: true, address: '127.0.0.1', name: 'Loopback Pseudo-Interface 1' });
  });

  it('refuses an address the host does not have, listing what it has', () => {
    const r = resolveInterface('10.20.30.99', DESK);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toContain('10.20.30.99 is not an address of this host (this host has Ethernet 2 10.20.30.41, Wi-Fi 192.168.1.23');
  });

  it('takes an adapter name with spaces and parentheses, IPv4 only (also the numeric family of Node 18.0-18.3)', () => {
    expect(resolveInterface('Ethernet 2', DESK)).toEqual({ ok: true, address: '10.20.30.41', name: 'Ethernet 2' });
    expect(resolveInterface('vEthernet (WSL)', DESK)).toEqual({ ok: true, address: '172.27.160.1', name: 'vEthernet (WSL)' });
    const r = resolveInterface('Team (two addresses)', DESK);
    expect(r).toEqual({ ok: false, detail: 'Team (two addresses) has 2 IPv4 addresses (10.20.31.5, 10.20.31.6); give the address' });
    expect(resolveInterface('Ethernet 3', DESK).ok).toBe(false);
  });

  it('takes the desk subnet when exactly one address of the host is in it', () => {
    expect(resolveInterface('10.20.30.0/24', DESK)).toEqual({ ok: true, address: '10.20.30.41', name: 'Ethernet 2' });
    expect(resolveInterface('192.168.0.0/16', DESK)).toEqual({ ok: true, address: '192.168.1.23', name: 'Wi-Fi' });
    expect(resolveInterface('127.0.0.1/32', DESK)).toEqual({ ok: true, address: '127.0.0.1', name: 'Loopback Pseudo-Interface 1' });
    // 10.0.0.0/8 holds the Ethernet, VPN and team addresses: ambiguous, so refused.
    const wide = resolveInterface('10.0.0.0/8', DESK);
    expect(wide.ok).toBe(false);
    if (!wide.ok) expect(wide.detail).toMatch(/^4 IPv4 address\(es\) of this host in 10\.0\.0\.0\/8; name one/);
    expect(resolveInterface('172.16.0.0/16', DESK).ok).toBe(false);
    expect(resolveInterface('0.0.0.0/0', { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] })).toEqual({ ok: true, address: '127.0.0.1', name: 'lo' });
    expect(resolveInterface('10.0.0.0/33', DESK)).toEqual({ ok: false, detail: '10.0.0.0/33 is not an IPv4 subnet' });
  });

  it('works on this host: the loopback address resolves to itself', () => {
    const r = resolveInterface('127.0.0.1', networkInterfaces());
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.address).toBe('127.0.0.1');
  });
});
