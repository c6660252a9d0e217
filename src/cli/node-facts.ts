/** How `agency nodes` and `agency doctor` put a node's runtime and service in words. */
import type { NodeRuntime, NodeService } from '../protocol/messages.js';

/** `under systemd`, `systemd installed, not under it`, `no service`; empty when the node did not say. */
export function serviceWords(s: NodeService | undefined): string {
  if (!s) return '';
  if (s.running) return `under ${s.kind}`;
  return s.installed ? `${s.kind} installed, not under it` : 'no service';
}

/** `Node 22.11.0 (agency's), glibc 2.36`; empty when the node did not say. */
export function runtimeWords(r: NodeRuntime | undefined): string {
  if (!r) return '';
  return `Node ${r.node} (${r.bundled ? "agency's" : "the node's own"})${r.libc ? `, ${r.libc}` : ''}`;
}
