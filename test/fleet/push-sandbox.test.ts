/** What `agency push` makes of a node's answer about the sandbox's programs. */
import { describe, expect, it } from 'vitest';
import { missingSandbox } from '../../src/fleet/push.js';

describe('push: the sandbox a Linux node needs', () => {
  it('names what a Linux node lacks', () => {
    expect(missingSandbox('linux-x64', { sandbox: 'bwrap socat ', sandboxSetting: '' })).toBe('bwrap and socat');
    expect(missingSandbox('linux-x64', { sandbox: 'socat ' })).toBe('socat');
    expect(missingSandbox('linux-x64', { sandbox: '' })).toBeNull();
  });

  it('asks nothing of macOS, nor of a node its operator opted out', () => {
    expect(missingSandbox('darwin-arm64', { sandbox: 'bwrap socat ' })).toBeNull();
    for (const setting of ['off', '"off"', "'off'", ' OFF '])
      expect(missingSandbox('linux-x64', { sandbox: 'bwrap ', sandboxSetting: setting }), setting).toBeNull();
    expect(missingSandbox('linux-x64', { sandbox: 'bwrap ', sandboxSetting: 'on' })).toBe('bwrap');
  });
});
