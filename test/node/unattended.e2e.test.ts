/**
 * Sessions that run unattended: the real Claude Code CLI, interactively in a PTY owned by a real node
 * daemon, against the scripted Messages API. No keystroke comes from the test.
 */
import { createServer, type Server } from 'node:https';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';
import { testTls, type TestTls } from '../helpers/tls.js';

const defer = deferAfterEach();

async function node(...args: Parameters<typeof testNode>): Promise<TestNode> {
  const n = await testNode(...args);
  defer(() => n.cleanup());
  return n;
}

/** A web page over TLS (WebFetch upgrades http to https, even on loopback), signed by a test CA. */
function page(tls: TestTls): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  return new Promise((resolve) => {
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      hits.push(req.url ?? '');
      res.setHeader('content-type', 'text/html');
      res.end('<html><body><h1>Release notes</h1><p>Version 2 adds invoices.</p></body></html>');
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ url: `https://127.0.0.1:${port}/notes`, server, hits });
    });
  });
}

async function runTask(n: TestNode, task = 'do the task'): Promise<string> {
  const r = await n.agency(['run', task, '--discipline', 'backend', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).session as string;
}

describe('an unattended session on the local node', () => {
  it(
    'runs Bash, Write, Edit and WebFetch to the end; policy denies what it forbids and the guard blocks what is destructive',
    { timeout: 120_000 },
    async () => {
      const tls = testTls();
      defer(tls.remove);
      const web = await page(tls);
      defer(() => new Promise((r) => web.server.close(r)));
      const victim = tempDir('agency-victim-');
      defer(victim.remove);
      writeFileSync(join(victim.path, 'keep.txt'), 'keep\n');
      const n = await node(
        {
          steps: [
            { tool: 'Bash', input: { command: 'touch made.txt', description: 'make a file' } },
            ({ cwd }) => ({ tool: 'Write', input: { file_path: `${cwd}/notes.md`, content: 'first line\n' } }),
            ({ cwd }) => ({
              tool: 'Edit',
              input: { file_path: `${cwd}/notes.md`, old_string: 'first line', new_string: 'edited line' },
            }),
            { tool: 'WebFetch', input: { url: web.url, prompt: 'what does version 2 add?' } },
            { tool: 'Bash', input: { command: 'curl -s http://127.0.0.1:9/x', description: 'download' } },
            { tool: 'Bash', input: { command: `rm -rf ${victim.path}`, description: 'clean up' } },
            { text: 'all done' },
          ],
        },
        { env: { NODE_EXTRA_CA_CERTS: tls.caFile } },
      );
      const id = await runTask(n);
      const w = await n.agency(['wait', id, '--timeout', '90']);
      if (w.code !== 0 || process.env.DEBUG_AGENCY) {
        console.log(JSON.stringify(JSON.parse((await n.agency(['status', '--json'])).stdout).decisions, null, 1));
        console.log(JSON.stringify(n.api.toolResults(), null, 1));
        console.log(readFileSync(join(n.agencyHome, 'node.log'), 'utf8'));
        console.log((await n.agency(['screen', id])).stdout);
      }
      expect(w.code, `${w.stdout}${w.stderr}`).toBe(0);
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      const s = status.sessions.find((x: { id: string }) => x.id === id);
      expect(s.state).toBe('idle');
      // tokens and dollars from Claude Code's transcript (the scripted API reports usage for every reply)
      expect(s.usage.outputTokens).toBeGreaterThan(0);
      expect(s.usage.inputTokens).toBeGreaterThan(0);
      expect(s.usage.costUsd).toBeGreaterThan(0);
      expect((await n.agency(['status'])).stdout).toMatch(new RegExp(`${id} +idle .* \\$\\d+\\.\\d\\d`));
      expect(existsSync(join(s.worktree, 'made.txt'))).toBe(true);
      expect(readFileSync(join(s.worktree, 'notes.md'), 'utf8')).toBe('edited line\n');
      const results = n.api.toolResults().map((r) => r.content);
      expect(web.hits).toContain('/notes');
      expect(n.api.toolResults()[3]?.isError).toBe(false);
      expect(results[4]).toMatch(/agency policy denies this \(Bash\(curl \*\)\): downloads are not allowed/);
      expect(results[5]).toMatch(/agency guard blocked this call: may not delete/);
      expect(readFileSync(join(victim.path, 'keep.txt'), 'utf8')).toBe('keep\n');
      expect(status.decisions).toEqual([]);
    },
  );
});
