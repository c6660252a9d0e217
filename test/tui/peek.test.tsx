import { it } from 'vitest';
import { decision, decisionEvent, fleetEvents, session, sessionEvent } from '../cockpit/fixtures.js';
import { cockpit, KEY } from './harness.js';
it('peek', async () => {
  const c = await cockpit({ events: [...fleetEvents(16, 8), sessionEvent(session('studio-07', 's-7001', { state: 'needs-input', updatedAt: '2026-01-01T00:01:00.000Z' })), decisionEvent(decision('studio-07', 'd-1', 's-7001'))] });
  console.log(c.lines().join('\n'));
  await c.press('l', 'l', KEY.enter);
  console.log(c.lines().join('\n'));
  c.unmount();
});
