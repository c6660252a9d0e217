/** An operator and a scripted model for `agency genesis` tests: own HOME, cache and config, the CLI run as a user would. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startScriptedApi, type Scenario, type ScriptedApi } from '../fixtures/messages-api.js';
import { CLAUDE_BIN, FAKE_API_KEY } from '../helpers/claude.js';
import { agencyAsync, operatorEnv, type Run } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';

export interface GenesisWorld {
  api: ScriptedApi;
  env: NodeJS.ProcessEnv;
  /** the --out folder (not created) */
  out: string;
  home: string;
  run(args: string[], backend?: 'api' | 'claude'): Promise<Run>;
  /** /v1/messages requests so far */
  calls(): number;
  /** every file and folder under out, relative */
  listing(): string[];
  close(): Promise<void>;
}

export async function genesisWorld(scenario: Scenario, nodes: string[] = []): Promise<GenesisWorld> {
  const api = await startScriptedApi(scenario);
  const dir = tempDir('ag-genesis-');
  const home = join(dir.path, 'home');
  const env = operatorEnv(home, {
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: FAKE_API_KEY,
    AGENCY_CLAUDE_BIN: CLAUDE_BIN,
    XDG_CACHE_HOME: join(home, '.cache'),
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  });
  mkdirSync(join(home, '.claude'), { recursive: true });
  writeFileSync(join(home, '.claude', '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
  if (nodes.length > 0) {
    mkdirSync(dirname(env.AGENCY_CONFIG!), { recursive: true });
    const config = { nodes: nodes.map((name, i) => ({ name, host: `10.0.0.${i + 1}` })) };
    writeFileSync(env.AGENCY_CONFIG!, JSON.stringify(config));
  }
  const out = join(dir.path, 'out');
  const listing = (): string[] => {
    const walk = (d: string, rel: string): string[] => {
      let names: string[];
      try {
        names = readdirSync(d, { withFileTypes: true }).map((e) => e.name);
      } catch {
        return [];
      }
      return names.flatMap((n) => [`${rel}${n}`, ...walk(join(d, n), `${rel}${n}/`)]);
    };
    return walk(out, '').sort();
  };
  return {
    api,
    env,
    out,
    home,
    run: (args, backend = 'api') =>
      agencyAsync(
        ['genesis', ...args, '--out', out, ...(args.includes('--backend') ? [] : ['--backend', backend])],
        env,
        dir.path,
        120_000,
      ),
    calls: () =>
      api.requests.filter(
        (r) => r.method === 'POST' && r.path.startsWith('/v1/messages') && !r.path.includes('count_tokens'),
      ).length,
    listing,
    close: async () => {
      await api.close();
      dir.remove();
    },
  };
}
