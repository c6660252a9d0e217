/**
 * A real node server and manager over a temporary home, on a real Unix socket, that never starts a session
 * (so no claude is needed): for tests of what the node's edge takes and refuses.
 */
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NodeLanding } from '../../src/node/landing.js';
import { NodeOrgStore } from '../../src/node/org-store.js';
import { createEconomics, type NodeEconomics } from '../../src/node/economics.js';
import { NodeSettingsStore } from '../../src/node/settings-store.js';
import { NodeManager } from '../../src/node/manager.js';
import { createNodeServer } from '../../src/node/server.js';
import { SessionTokens } from '../../src/node/session-tokens.js';
import { ensureDirs, nodePaths, type NodePaths } from '../../src/paths/node-home.js';
import { PROTOCOL_VERSION, type NodeInfo } from '../../src/protocol/messages.js';
import { tempDir } from './tmp.js';
import { nodeDispatcher } from '../../src/node/worker-host.js';
import type { Dispatcher } from '../../src/dispatch/dispatcher.js';

export interface OfflineNode {
  dir: { path: string; remove(): void };
  paths: NodePaths;
  info: NodeInfo;
  tokens: SessionTokens;
  manager: NodeManager;
  landing: NodeLanding;
  /** the node's dispatcher, as its server serves it */
  workers: Dispatcher;
  /** its settings, spend ledger and audit trail, as its ops reach them */
  economics: NodeEconomics;
  server: Server;
  /** starts serving on the node's socket */
  listen(): Promise<void>;
  close(): Promise<void>;
}

export function offlineNode(
  prefix: string,
  o: { state?: (home: string) => unknown; onShutdown?: () => void; env?: NodeJS.ProcessEnv } = {},
): OfflineNode {
  const dir = tempDir(prefix);
  const paths = nodePaths(dir.path);
  const info: NodeInfo = {
    name: 'edge',
    agentVersion: 'test',
    build: 'dev',
    protocol: PROTOCOL_VERSION,
    host: 'localhost',
    platform: `${process.platform}-${process.arch}`,
    pid: process.pid,
    startedAt: new Date(0).toISOString(),
  };
  const tokens = SessionTokens.fromSecret(Buffer.alloc(32, 7));
  ensureDirs(paths);
  // what the node finds on disk when it starts, given where its home is
  if (o.state) writeFileSync(paths.state, JSON.stringify(o.state(dir.path)));
  const manager = new NodeManager({
    paths,
    info,
    tokens,
    // never started: nothing here runs a session
    claudeBin: '/nonexistent/claude',
    registryDir: fileURLToPath(new URL('../fixtures/registry-min', import.meta.url)),
    programs: {
      node: process.execPath,
      guard: '/nonexistent/guard.cjs',
      lifecycle: '/nonexistent/hook.cjs',
      mcp: '/nonexistent/mcp.cjs',
    },
  });
  // the node's environment for landing: where it finds gh, and whose ~/.claude.json it cleans up
  const landing = new NodeLanding({ manager, paths, env: o.env ?? { ...process.env, CLAUDE_CONFIG_DIR: dir.path } });
  const workers = offlineDispatcher(manager, paths, info);
  const economics = createEconomics({
    home: paths.home,
    node: info.name,
    settings: new NodeSettingsStore({ home: paths.home, info }),
  });
  const server = createNodeServer({
    manager,
    landing,
    workers,
    org: new NodeOrgStore({
      home: paths.home,
      base: fileURLToPath(new URL('../fixtures/registry-min', import.meta.url)),
      info,
      // as the daemon wires it: watchers hear of the node's new organisation
      onChange: () => manager.relay({ kind: 'node-info', info: { ...info } }),
    }),
    economics,
    info,
    tokens,
    onShutdown: o.onShutdown ?? (() => undefined),
  });
  return {
    dir,
    paths,
    info,
    tokens,
    manager,
    landing,
    workers,
    economics,
    server,
    listen: () => new Promise<void>((r) => server.listen(paths.socket, r)),
    async close() {
      await new Promise((r) => server.close(r));
      await manager.shutdown();
      dir.remove();
    },
  };
}

/** The dispatcher of a node that never starts a process: for tests of ops and views, not of workers running. */
export function offlineDispatcher(manager: NodeManager, paths: NodePaths, info: NodeInfo): Dispatcher {
  return nodeDispatcher({
    manager,
    paths,
    info,
    env: process.env,
    claudeBin: '/nonexistent/claude',
    registryDir: fileURLToPath(new URL('../fixtures/registry-min', import.meta.url)),
    programs: { node: process.execPath, guard: '/nonexistent/guard.cjs' },
  });
}
