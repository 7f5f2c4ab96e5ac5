import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipRanges } from './ip-ranges';

/** A small seeded generator, so a failure names a reproducible case. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const hex = (r: (n: number) => number) => r(0x10000).toString(16);

describe('ipRanges', () => {
  it('answers like node:net BlockList (the oracle) for random CIDRs and addresses of both families', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      // Addresses drawn near each other, so ranges overlap, touch and nest, and probes land on their edges.
      const v4 = () => `10.${r(4)}.${r(256)}.${r(256)}`;
      const v6 = () => `2001:db8:${r(3)}:${hex(r)}::${hex(r)}:${hex(r)}`;
      const cidrs: string[] = [];
      const oracle = new BlockList();
      for (let i = 0; i < 1 + r(30); i++) {
        if (r(2)) {
          const [a, bits] = [v4(), 8 + r(25)];
          cidrs.push(`${a}/${bits}`);
          oracle.addSubnet(a, bits, 'ipv4');
        } else {
          const [a, bits] = [v6(), 32 + r(97)];
          cidrs.push(`${a}/${bits}`);
          oracle.addSubnet(a, bits, 'ipv6');
        }
      }
      const set = ipRanges(cidrs);
      for (let i = 0; i < 400; i++) {
        const ip = r(2) ? v4() : v6();
        expect(set.has(ip), `seed ${seed}: ${ip} in ${cidrs.join(' ')}`).toBe(oracle.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4'));
      }
    }
  });

  it('reads every IPv6 spelling: compressed, expanded, a trailing dotted quad, a zone', () => {
    const set = ipRanges(['2001:db8::/120', '::/128', '64:ff9b::c000:221/128']);
    expect(set.has('2001:db8::ff')).toBe(true);
    expect(set.has('2001:0db8:0000:0000:0000:0000:0000:00ff')).toBe(true);
    expect(set.has('2001:db8::100')).toBe(false);
    expect(set.has('::')).toBe(true);
    expect(set.has('::1')).toBe(false);
    expect(set.has('64:ff9b::192.0.2.33')).toBe(true); // c000:0221
    expect(set.has('64:ff9b::192.0.2.34')).toBe(false);
    expect(set.has('2001:db8::1%eth0')).toBe(true);
  });

  it('checks an IPv4-mapped IPv6 address against the IPv4 ranges', () => {
    const set = ipRanges(['192.0.2.0/24']);
    expect(set.has('::ffff:192.0.2.7')).toBe(true);
    expect(set.has('::FFFF:192.0.2.7')).toBe(true);
    expect(set.has('::ffff:198.51.100.7')).toBe(false);
  });

  it('masks host bits and joins overlapping and touching ranges', () => {
    const set = ipRanges(['10.1.2.3/8', '11.0.0.0/8', '10.5.0.0/16', '0.0.0.0/32']);
    expect(set.size.v4).toBe(2); // 10/8 + 11/8 joined; 10.5/16 inside; 0.0.0.0 alone
    expect(set.has('10.0.0.0')).toBe(true);
    expect(set.has('11.255.255.255')).toBe(true);
    expect(set.has('12.0.0.0')).toBe(false);
    expect(set.has('0.0.0.0')).toBe(true);
    expect(set.has('0.0.0.1')).toBe(false);
    expect(ipRanges(['0.0.0.0/0']).has('255.255.255.255')).toBe(true);
    expect(ipRanges(['::/0']).has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
  });

  it('answers no for what is not an address, and for an empty set', () => {
    const set = ipRanges(['0.0.0.0/0', '::/0']);
    for (const bad of ['', 'not-an-ip', '10.0.0', '010.0.0.1', '1.2.3.4/8', '::ffff:1.2.3']) expect(set.has(bad), bad).toBe(false);
    expect(ipRanges([]).has('10.0.0.1')).toBe(false);
  });

  it('refuses what is not a CIDR', () => {
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/x', '10.0.0.0/']) {
      expect(() => ipRanges([bad]), bad).toThrow(/not a CIDR/);
    }
  });
});
