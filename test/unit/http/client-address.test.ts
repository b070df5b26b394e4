import { describe, expect, it } from 'vitest';
import { clientAddressBucket, clientAddressKey, compileTrustProxy } from '../../../src/http/client-address.js';

describe('clientAddressBucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::ffff', '2001:db8:1:2::/64'],
    ['::1', '::/64'],
  ])('buckets %s as %s', (address, bucket) => {
    expect(clientAddressBucket(address)).toBe(bucket);
  });

  it.each(['', 'unknown', '1', '0x7f.1', '203.0.113.7:8080', '2001:db8::1::2', '999.1.1.1'])('puts the unreadable %j in one shared bucket', (address) => {
    expect(clientAddressBucket(address)).toBe('unreadable');
  });
});

describe('clientAddressKey', () => {
  const headers = { 'x-forwarded-for': 'spoofed, 198.51.100.1, 203.0.113.7' };

  it('uses the connection\'s address when no proxy is trusted', () => {
    expect(clientAddressKey('192.0.2.1', headers, compileTrustProxy(0))).toBe('192.0.2.1');
  });

  it('walks back as many hops as trusted, and no further', () => {
    expect(clientAddressKey('192.0.2.1', headers, compileTrustProxy(1))).toBe('203.0.113.7');
    expect(clientAddressKey('192.0.2.1', headers, compileTrustProxy(2))).toBe('198.51.100.1');
    // Every hop trusted: the client's own first entry is what is left, and it reads as no address.
    expect(clientAddressKey('192.0.2.1', headers, compileTrustProxy(10))).toBe('unreadable');
  });

  it('walks back through listed proxies only', () => {
    expect(clientAddressKey('192.0.2.1', headers, compileTrustProxy(['192.0.2.0/24']))).toBe('203.0.113.7');
    expect(clientAddressKey('192.0.2.1', headers, compileTrustProxy(['192.0.2.0/24', '203.0.113.7']))).toBe('198.51.100.1');
    expect(clientAddressKey('198.51.100.99', headers, compileTrustProxy(['192.0.2.0/24']))).toBe('198.51.100.99');
  });

  it('counts a request without a connection address in the shared bucket', () => {
    expect(clientAddressKey(undefined, headers, compileTrustProxy(1))).toBe('unreadable');
  });
});
