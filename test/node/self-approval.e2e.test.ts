/**
 * A session cannot approve its own decision, by any route. The session starts a task in the background
 * (so that it still runs while its decision waits for the operator), then makes a call the operator must
 * decide. Once the task is handed the decision's id (the strongest case: it knows what to approve), it
 * tries `agency decisions` and `agency approve`, a raw connection to the node's socket as the cockpit
 * (python3), a hook connection with the session's own token from its compiled hook command (a node
 * one-liner), and reading the node's node.env. All fail, and the decision stays open.
 *
 * Sessions run in Claude Code's OS sandbox as the node compiles it (bubblewrap, unix sockets closed,
 * AGENCY_HOME unreadable). The node's own checks are tried from outside the sandbox as well: a session
 * that got out with its token still cannot decide. The real Claude Code CLI in the node's PTY, against the scripted Messages API.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/protocol/connection.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

const ATTACK = `#!/bin/sh
# waits for the id of its session's decision, then tries every way it knows to approve it
i=0
while [ ! -s decision.id ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done
d=$(cat decision.id)
node ${AGENCY_BIN} decisions --json > r-list.txt 2>&1; echo "exit $?" >> r-list.txt
node ${AGENCY_BIN} approve "$d" > r-approve.txt 2>&1; echo "exit $?" >> r-approve.txt
python3 raw.py "$d" > r-raw.txt 2>&1; echo "exit $?" >> r-raw.txt
node hook-role.cjs "$d" > r-hook.txt 2>&1; echo "exit $?" >> r-hook.txt
cat "$AGENCY_HOME/node.env" > r-env.txt 2>&1; echo "exit $?" >> r-env.txt
echo done > attack.done
`;

const RAW = `import json, os, socket, struct, sys
def frame(m):
    b = json.dumps(m).encode()
    return struct.pack('>I', len(b) + 1) + b'\\x01' + b
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(os.path.join(os.environ['AGENCY_HOME'], 'run', 'node.sock'))
    s.sendall(frame({'t': 'hello', 'protocol': ${PROTOCOL_VERSION}, 'agent': 'x', 'role': 'cockpit'})
              + frame({'t': 'req', 'id': 1, 'op': 'decide', 'args': {'decision': sys.argv[1], 'approve': True}}))
    print('answer:', s.recv(65536))
except Exception as e:
    print('refused:', type(e).__name__, e)
    sys.exit(1)
`;

const HOOK_ROLE = `const net = require('net'), fs = require('fs'), path = require('path');
const settings = JSON.parse(fs.readFileSync('.claude/settings.json', 'utf8'));
const cmd = settings.hooks.Stop.map((g) => g.hooks[0].command).find((c) => c.includes('hook.cjs'));
const [, session, token] = /'(s-[0-9a-f]+)' '([0-9a-f]{64})'/.exec(cmd);
const frame = (m) => { const b = Buffer.from(JSON.stringify(m)); const h = Buffer.alloc(5); h.writeUInt32BE(b.length + 1); h[4] = 1; return Buffer.concat([h, b]); };
const s = net.connect(path.join(process.env.AGENCY_HOME, 'run', 'node.sock'));
s.on('connect', () => s.write(Buffer.concat([
  frame({ t: 'hello', protocol: ${PROTOCOL_VERSION}, agent: 'x', role: 'hook', session, token }),
  frame({ t: 'req', id: 1, op: 'decide', args: { decision: process.argv[2], approve: true } }),
])));
s.on('data', (d) => { console.log('answer:', d.toString()); process.exit(0); });
s.on('error', (e) => { console.log('refused:', e.code); process.exit(1); });
setTimeout(() => { console.log('no answer'); process.exit(1); }, 5000);
`;

describe('a session and its own decision', () => {
  it(
    'cannot approve it: not with agency approve, a raw socket, its own hook token, or the node.env',
    { timeout: 180_000 },
    async () => {
      const n = await testNode({
        steps: [
          { tool: 'Bash', input: { command: 'sh attack.sh', description: 'watch', run_in_background: true } },
          { tool: 'WebFetch', input: { url: 'https://example.com/', prompt: 'what does it say?' } },
          { text: 'finished' },
        ],
      });
      defer(() => n.cleanup());
      const secret = `s3cret-${randomBytes(8).toString('hex')}`;
      // beside the key the test node's node.env already holds
      appendFileSync(join(n.agencyHome, 'node.env'), `AGENCY_TEST_SECRET=${secret}\n`);
      const scripts: Record<string, string> = { 'attack.sh': ATTACK, 'raw.py': RAW, 'hook-role.cjs': HOOK_ROLE };
      for (const [file, text] of Object.entries(scripts)) writeFileSync(join(n.repo, file), text);
      const git = (...a: string[]) => execFileSync('git', a, { cwd: n.repo, env: n.env, stdio: 'ignore' });
      git('add', '-A');
      git('commit', '-q', '-m', 'scripts');

      const run = await n.agency(['run', 'read example.com', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session, worktree } = JSON.parse(run.stdout);
      const asked = await n.agency(['wait', session, '--until', 'input', '--timeout', '90']);
      expect(asked.code, asked.stdout + asked.stderr).toBe(3);
      const open = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions;
      expect(open).toMatchObject([{ session, tool: 'WebFetch', state: 'open' }]);
      const decision: string = open[0].id;

      writeFileSync(join(worktree, 'decision.id'), `${decision}\n`);
      const log = () => readFileSync(join(n.agencyHome, 'node.log'), 'utf8');
      await until('the session to try everything', () => existsSync(join(worktree, 'attack.done')), 90_000, log);
      const result = (name: string) => readFileSync(join(worktree, `r-${name}.txt`), 'utf8');
      const results = ['list', 'approve', 'raw', 'hook', 'env'].map((r) => `${r}: ${result(r)}`).join('\n');
      expect(result('list'), results).not.toContain(decision);
      expect(result('approve'), results).toMatch(/exit [1-9]/);
      expect(result('approve'), results).not.toContain('approved');
      // the sandbox closes unix sockets: the socket cannot even be made
      expect(result('raw'), results).toMatch(/^refused: PermissionError/);
      expect(result('hook'), results).toMatch(/^refused: EPERM/);
      expect(result('env'), results).toMatch(/No such file or directory|Permission denied/);
      expect(results).not.toContain(secret);

      // a session that got out of the sandbox with its own token fares no better at the node
      const settings = readFileSync(join(worktree, '.claude', 'settings.json'), 'utf8');
      const [, id, token] = /'(s-[0-9a-f]+)' '([0-9a-f]{64})'/.exec(settings)!;
      expect(id).toBe(session);
      const hook = new Connection(connect(join(n.agencyHome, 'run', 'node.sock')), {
        role: 'hook',
        agent: 'escaped',
        session,
        token: token!,
      });
      defer(() => hook.close());
      await hook.ready;
      await expect(hook.request('decide', { decision, approve: true })).rejects.toThrow(
        `the hook connection of session ${session} may not ask this node for decide; only the operator's cockpit may`,
      );
      await expect(hook.request('status', {})).rejects.toThrow(/may not ask this node for status/);

      const after = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions;
      expect(after).toMatchObject([{ id: decision, state: 'open' }]);
      expect(JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].state).toBe('needs-input');

      // the operator's answer is the one that counts
      expect((await n.agency(['deny', decision, '--reason', 'not now'])).code).toBe(0);
      const done = await n.agency(['wait', session, '--timeout', '60']);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect(n.api.toolResults().at(-1)?.content).toMatch(/The operator denied this: not now/);
    },
  );
});
