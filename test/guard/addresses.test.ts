/** Host normalisation, checked against Node's WHATWG URL parser as an independent reader of the same spellings. */
import { describe, expect, it } from 'vitest';
import { isMetadata, normaliseHost } from '../../src/guard/addresses.js';

const viaUrl = (h: string) => new URL(`http://${h}/`).hostname.replace(/^\[|\]$/g, '');

describe('normaliseHost', () => {
  it('reads every IPv4 spelling as the URL parser does', () => {
    for (const h of [
      '169.254.169.254',
      '0xa9fea9fe',
      '0XA9FEA9FE',
      '2852039166',
      '0251.0376.0251.0376',
      '0xa9.0xfe.0xa9.0xfe',
      '169.254.43518',
      '169.16689662',
      '0xa9.0376.43518',
      '127.1',
      '0x7f.1',
      '017700000001',
      '10.0.0.1',
    ])
      expect(normaliseHost(h), h).toBe(viaUrl(h));
  });
  it('leaves names and out-of-range numbers as names', () => {
    expect(normaliseHost('Metadata.Google.Internal.')).toBe('metadata.google.internal');
    expect(normaliseHost('256.1.1.1')).toBe('256.1.1.1');
    expect(normaliseHost('1.2.3.4.5')).toBe('1.2.3.4.5');
    expect(normaliseHost('0x1g')).toBe('0x1g');
  });
  it('reads IPv4 carried in IPv6 as the IPv4, and compresses other IPv6 as the URL parser does', () => {
    expect(normaliseHost('[::ffff:169.254.169.254]')).toBe('169.254.169.254');
    expect(normaliseHost('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(normaliseHost('0:0:0:0:0:ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(normaliseHost('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(normaliseHost('::169.254.169.254')).toBe('169.254.169.254');
    for (const h of ['fd00:ec2:0:0:0:0:0:254', 'FD00:EC2::254', '2001:db8:0:0:1:0:0:1', '::1', 'fe80::1'])
      expect(normaliseHost(`[${h}]`), h).toBe(viaUrl(`[${h}]`));
  });
  it('knows the metadata and link-local addresses', () => {
    for (const h of [
      '169.254.169.254',
      '0xa9fea9fe',
      '[fd00:ec2::254]',
      'metadata.google.internal',
      '100.100.100.200',
      'fe80::1',
    ])
      expect(isMetadata(normaliseHost(h)), h).toBe(true);
    for (const h of ['127.0.0.1', '10.0.0.1', 'github.com', '::1']) expect(isMetadata(normaliseHost(h)), h).toBe(false);
  });
});
