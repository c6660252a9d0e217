/**
 * `agency init`: a first configuration and this machine's `node.env`, written only after asking (y/n in a
 * terminal; `--yes` where there is none). A file that is there is kept as it is, or added to where that is
 * safe (a key line appended to a node.env that has none); nothing is replaced. What was done is printed.
 * The key is offered from this shell's environment and never shown: only its variable's name is.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { configPath, LOCAL_NODE, loadConfig } from '../config/config.js';
import { hasKey, KEY_VARIABLES, keyFilePath } from '../node/session-env.js';
import { lstatOrNull } from '../paths/fs-facts.js';
import { nodeEnvPath, readNodeEnv } from '../paths/node-env.js';
import { agencyHome, nodePaths } from '../paths/node-home.js';
import { EXIT, printJson, say, UserError, warn } from './output.js';

type Action = 'created' | 'merged' | 'kept' | 'declined';

interface Step {
  path: string;
  /** what is there now, and why it is kept (steps with nothing to ask) */
  kept?: string;
  /** the question; answered yes, `write` runs and the step is `done` */
  ask?: string;
  done?: Exclude<Action, 'kept' | 'declined'>;
  detail?: string;
  write?: () => void;
  /** the file is there but cannot be used: init keeps it, and ends with exit 1 */
  broken?: boolean;
}

export interface InitResult {
  path: string;
  action: Action;
  detail: string;
}

const FIRST_CONFIG = { nodes: [{ name: LOCAL_NODE, local: true }] };

function configStep(): Step {
  const path = configPath();
  if (!lstatOrNull(path))
    return {
      path,
      ask: `Write ${path} with this machine as the fleet's one node ("${LOCAL_NODE}")?`,
      done: 'created',
      detail: `this machine as the fleet's one node ("${LOCAL_NODE}"); agency nodes add adds more, and keeps it`,
      write: () => {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileSync(path, `${JSON.stringify(FIRST_CONFIG, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      },
    };
  try {
    const nodes = loadConfig(path).nodes;
    return {
      path,
      kept:
        nodes.length === 0
          ? 'it lists no nodes, so this machine is the one node'
          : `it lists ${nodes.map((n) => n.name).join(', ')}${nodes.some((n) => n.local) ? '' : `; this machine is not one of them (agency nodes add ${LOCAL_NODE} --local adds it)`}`,
    };
  } catch (e) {
    return { path, kept: `${(e as Error).message}; fix it by hand (init never replaces it)`, broken: true };
  }
}

/** The key variable of this shell that a node would use, if any. */
function shellKey(): { name: string; value: string } | null {
  if (!hasKey(process.env)) return null;
  const name = KEY_VARIABLES.find((k) => (process.env[k] ?? '').trim() !== '')!;
  return { name, value: process.env[name]!.trim() };
}

const NODE_ENV_HEAD = [
  "# What this machine's agency node reads when it starts (KEY=VALUE lines): the key its sessions use,",
  '# a proxy, the claude to run. Keep it readable by you only. After a change: agency node stop.',
];

function nodeEnvStep(): Step {
  const home = agencyHome();
  const path = nodeEnvPath(home);
  const key = shellKey();
  const st = lstatOrNull(path);
  if (!st) {
    const lines = [
      ...NODE_ENV_HEAD,
      key ? `${key.name}=${key.value}` : '# ANTHROPIC_API_KEY=sk-ant-…',
      '# AGENCY_CLAUDE_BIN=/path/to/claude',
      '',
    ];
    return {
      path,
      ask: key
        ? `Write ${path} (readable by you only) with ${key.name} from this shell?`
        : `Write ${path} (readable by you only), with a line for your key to fill in?`,
      done: 'created',
      detail: key
        ? `with ${key.name} from this shell, readable by you only`
        : 'with commented lines to fill in (ANTHROPIC_API_KEY); readable by you only',
      write: () => {
        mkdirSync(home, { recursive: true, mode: 0o700 });
        writeFileSync(path, lines.join('\n'), { flag: 'wx', mode: 0o600 });
      },
    };
  }
  if (!st.isFile()) return { path, kept: 'it is not a file; fix it by hand', broken: true };
  const env = readNodeEnv(home)!;
  const open = (st.mode & 0o077) !== 0;
  const warnOpen = open ? `; it is readable by others: chmod 600 ${path}` : '';
  if (hasKey(env.vars))
    return { path, kept: `it has ${KEY_VARIABLES.find((k) => env.vars[k])} already${warnOpen}`, broken: open };
  if (!key)
    return {
      path,
      kept: `it has no ANTHROPIC_API_KEY and this shell has none to add: add the line by hand, or log in with claude${warnOpen}`,
      broken: open,
    };
  return {
    path,
    ask: `Add ${key.name} from this shell to ${path}${open ? ', and make it readable by you only' : ''}? (its other lines stay)`,
    done: 'merged',
    detail: `${key.name} from this shell added at the end${open ? '; made readable by you only' : ''}; its other lines kept`,
    write: () => {
      // readable by the user alone before a key goes in
      chmodSync(path, statSync(path).mode & 0o700);
      const text = readFileSync(path, 'utf8');
      appendFileSync(path, `${text === '' || text.endsWith('\n') ? '' : '\n'}${key.name}=${key.value}\n`);
    },
  };
}

function nodeAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(nodePaths().socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function askAll(questions: string[]): Promise<boolean[]> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answers: boolean[] = [];
    for (const q of questions) answers.push(/^y(es)?$/i.test((await rl.question(`${q} [y/N] `)).trim()));
    return answers;
  } finally {
    rl.close();
  }
}

export async function init(o: { yes?: boolean; json?: boolean }): Promise<void> {
  const steps = [configStep(), nodeEnvStep()];
  const asking = steps.filter((s) => s.ask);
  let yes: boolean[] = asking.map(() => true);
  if (asking.length > 0 && !o.yes) {
    if (!process.stdin.isTTY)
      throw new UserError(
        `agency init asks before it writes, and there is no terminal to ask in: run it in one, or pass --yes (it would write ${asking.map((s) => s.path).join(' and ')})`,
        EXIT.usage,
      );
    yes = await askAll(asking.map((s) => s.ask!));
  }
  const results: InitResult[] = steps.map((s) => {
    if (!s.ask) return { path: s.path, action: 'kept', detail: s.kept! };
    if (!yes[asking.indexOf(s)]) return { path: s.path, action: 'declined', detail: 'left as it was' };
    s.write!();
    return { path: s.path, action: s.done!, detail: s.detail! };
  });
  const keyAdded = results[1]!.action !== 'kept' && results[1]!.action !== 'declined' && shellKey() !== null;
  // a node already running read its node.env when it started: without the key, unless it had one then
  const restart = keyAdded && !existsSync(keyFilePath(nodePaths())) && (await nodeAnswers());
  if (o.json) printJson({ files: results, restartNode: restart });
  else {
    for (const r of results) say(`${r.action} ${r.path}: ${r.detail}`);
    if (restart) say('the local node is running without this key: restart it with agency node stop');
    say('next: agency doctor checks the rest of the set-up');
  }
  if (steps.some((s) => s.broken)) {
    if (!o.json) warn('agency init: a file that is there cannot be used as it is; see above');
    process.exitCode = EXIT.failure;
  }
}
