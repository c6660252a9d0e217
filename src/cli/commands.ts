/**
 * The command table. Each command's module is imported only when that command runs, so that
 * `agency classify` does not load the template engine and `agency --help` loads almost nothing.
 */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  const registry = program.command('registry').description('work with agent registries');
  registry
    .command('check [dir]')
    .description('validate a registry (default: the one agency ships); errors name file and line')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, opts: { json?: boolean }) =>
      (await import('./registry-check.js')).registryCheck(dir, opts),
    );

  const org = program.command('org').description("an organisation's VPs on the nodes");
  org
    .command('apply <dir>')
    .description('give each node its VPs from DIR/orgs/<org> (nodes that are down get them with the next push)')
    .option('--node <name>', 'send it only to this node (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts) => (await import('./org-command.js')).orgApply(dir, opts));

  program
    .command('tui')
    .description('the cockpit: one tile per node, drill into sessions, answer decisions (? lists the keys)')
    .option('--node <name>', 'only this node (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--theme <name>', 'default, light, high-contrast, or a theme file (default: the config key theme)')
    .option('--bell', 'ring the terminal bell when something needs you (default: the config key notify.bell, or bell)')
    .option('--repo <path>', 'the repository new tasks work on, on their node (default: the current folder)')
    .option('--fps <n>', 'most frames drawn per second', '30')
    .option(
      '--refresh <seconds>',
      'how often tiles and lists are redrawn; decisions show at once (default: the config key refresh, or 1)',
    )
    .action(async (opts) => (await import('./tui-command.js')).tui(opts));

  program
    .command('classify <task>')
    .description(
      "rank the registry's disciplines for a task, with scores (with an organisation configured: its VPs' disciplines, and the VP)",
    )
    .option('--registry <dir>', 'registry folder (default: the one agency ships)')
    .option('--json', 'print the ranking as JSON')
    .action(async (task: string, opts) => (await import('./classify.js')).classify(task, opts));

  program
    .command('compile')
    .description('write CLAUDE.md, subagents, settings, MCP servers and a memory bank for a task into DIR')
    .requiredOption('--task <text>', 'what the session is to do')
    .requiredOption('--dir <dir>', 'the git worktree or checkout to compile into')
    .option('--discipline <id>', 'the discipline (default: the best match for the task)')
    .option('--registry <dir>', 'registry folder (default: the one agency ships)')
    .option('--force', 'replace files agency did not write instead of keeping them')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => (await import('./compile.js')).compile(opts));

  program
    .command('genesis <description>')
    .description('generate an organisation (VPs, disciplines, subagents) as a registry overlay in DIR/orgs/<org>/')
    .option('--out <dir>', 'the folder to write orgs/<org>/ in (default: the current folder)')
    .option('--backend <name>', 'claude (claude -p with your Claude Code login) or api (ANTHROPIC_API_KEY)', 'claude')
    .option('--vps <n>', 'how many VPs, 1 to 16 (default: the model chooses 3 to 8)')
    .option('--org-id <id>', "the organisation's id (default: the model's choice)")
    .option('--parallel <n>', 'calls to the model at once (default: AGENCY_GENESIS_PARALLEL, else 6)')
    .option('--model <model>', 'sonnet, opus, haiku or a full claude-… model id', 'sonnet')
    .option('--replace', "let the organisation's ids replace the shipped registry's")
    .option('--yes', 'write without asking (needed where there is no terminal to ask in)')
    .option('--json', 'print the result as JSON')
    .action(async (description: string, opts) => (await import('./genesis-command.js')).genesis(description, opts));

  program
    .command('run <task>')
    .description('start a session for a task: a worktree, a compiled context, and claude in it; prints the session id')
    .option('--discipline <id>', 'the discipline (default: the best match for the task)')
    .option(
      '--node <name>',
      "the node to run it on (default: with an organisation configured, its VP's least loaded node; else the reachable node with the fewest live sessions)",
    )
    .option('--split', 'let the node split a task that spans disciplines into sessions, one per discipline')
    .option(
      '--repo <path|url>',
      'the repository: a path here (sent to a remote node over its link), a URL the node clones, or a path on the node (default: the current folder)',
    )
    .option('--model <model>', "the model for the session (default: the discipline's)")
    .option(
      '--budget <amount>',
      "the session's budget, its workers counted in: $0.50 or 200k (tokens); paused when spent (default: its discipline's, else the config's budgets.session)",
    )
    .option('--registry <dir>', 'registry folder (default: the one agency ships)')
    .option('--json', 'print the result as JSON')
    .action(async (task: string, opts) => (await import('./session-commands.js')).run(task, opts));

  program
    .command('fetch <session>')
    .description(
      "bring a session's branch into your repository here, as agency/<session> (from a remote node over its link)",
    )
    .option('--repo <path>', 'your clone to fetch into (default: the repository of the current folder)')
    .option('--json', 'print the result as JSON')
    .action(async (session: string, opts) => (await import('./fetch-command.js')).fetchSession(session, opts));

  program
    .command('status')
    .description('one snapshot: nodes, sessions, decisions, cost')
    .option('--json', 'print the snapshot as JSON')
    .action(async (opts) => (await import('./session-commands.js')).status(opts));

  program
    .command('cost')
    .description('what the fleet spent, turn by turn as its nodes recorded it: tokens and dollars per key, and a total')
    .option('--by <key>', 'session, vp, node, discipline or model', 'session')
    .option('--since <when>', 'today, a span back from now (30m, 2h, 3d, 1w), or an ISO date or time (UTC)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => (await import('./cost-command.js')).cost(opts));

  program
    .command('watch')
    .description('stream state changes until interrupted (NDJSON with --json)')
    .option('--json', 'one JSON object per line')
    .action(async (opts) => (await import('./session-commands.js')).watch(opts));

  program
    .command('notify')
    .description(
      'tell the operator of decisions, budgets, failures and lost nodes by OS notification and the notify command, while no agency tui does',
    )
    .option('--node <name>', 'only this node (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .action(async (opts) => (await import('./notify-command.js')).notify(opts));

  program
    .command('workers <session>')
    .description(
      "a session's workers: state, model, tries, tokens, cost, age, task; running first, then queued, then ended",
    )
    .option('--json', 'print them as JSON')
    .action(async (session: string, opts) => (await import('./worker-commands.js')).workers(session, opts));

  program
    .command('wait <session>')
    .description('wait for a session: exit 0 done, 3 needs input, 4 timeout, 1 failed')
    .option(
      '--until <what>',
      'done: until it is done or failed, waiting on while it needs input; input: exit 3 as soon as it needs input',
      'done',
    )
    .option('--timeout <seconds>', 'give up after this long (exit 4)')
    .option('--json', 'print the outcome as JSON')
    .action(async (session: string, opts) => (await import('./wait.js')).wait(session, opts));

  program
    .command('screen <session>')
    .description("print a session's terminal screen as text (drawn from the headless screen, never raw bytes)")
    .option('--json', 'print the screen as JSON')
    .action(async (session: string, opts) => (await import('./session-commands.js')).screen(session, opts));

  program
    .command('send <session> <text>')
    .description('type a line into a session')
    .option('--json', 'print the session as JSON')
    .action(async (session: string, text: string, opts) =>
      (await import('./session-commands.js')).send(session, text, opts),
    );

  program
    .command('interrupt <session>')
    .description("interrupt a session's current turn (as Esc does); the session waits for input after it")
    .option('--json', 'print the session as JSON')
    .action(async (session: string, opts) => (await import('./session-commands.js')).interrupt(session, opts));

  for (const [op, what] of [
    ['pause', 'pause a session (its whole process tree)'],
    ['resume', 'resume a paused session'],
    ['stop', 'stop a session'],
  ] as const) {
    program
      .command(`${op} [session]`)
      .description(what)
      .option('--all', 'every session of the node')
      .option('--json', 'print the result as JSON')
      .action(async (session: string | undefined, opts) =>
        (await import('./session-commands.js')).control(op, session, opts),
      );
  }

  const audit = program
    .command('audit')
    .description("the nodes' audit trails, merged by time: runs, decisions and who answered, guard blocks, stops")
    .option('--node <name>', 'only this node (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--session <id>', "only this session's entries (node/id where ids repeat)")
    .option('--since <when>', 'from this time: an ISO date or time, today, or a span such as 2h or 7d')
    .option('--json', 'print the entries as JSON')
    .action(async (opts) => (await import('./audit-command.js')).audit(opts));
  audit
    .command('verify')
    .description(
      "check each node's chain of entries; names the first broken one (exit 1 if any, or a node is unreachable)",
    )
    .option('--node <name>', 'only this node (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--json', 'print the result as JSON')
    // `audit verify --json`: commander gives options the parent also has to the parent
    .action(async (_opts, cmd: Command) => (await import('./audit-command.js')).auditVerify(cmd.optsWithGlobals()));

  program
    .command('decisions')
    .description('open decisions: prompts the sessions put to the operator')
    .option('--all', 'answered ones too')
    .option('--json', 'print them as JSON')
    .action(async (opts) => (await import('./decision-commands.js')).decisions(opts));

  for (const [op, approve] of [
    ['approve', true],
    ['deny', false],
  ] as const) {
    const cmd = program
      .command(`${op} <decision>`)
      .description(`${op} an open decision`)
      .option('--reason <text>', 'told to Claude along with the answer');
    if (approve)
      cmd.option(
        '--amount <amount>',
        'a budget decision: how much to extend the budget by ($1, 200k for tokens; default: its first preset)',
      );
    cmd
      .option('--json', 'print the decision as JSON')
      .action(async (decision: string, opts) =>
        (await import('./decision-commands.js')).decide(approve, decision, opts),
      );
  }

  const intake = program.command('intake').description('take tasks from outside the terminal');
  intake
    .command('slack')
    .description(
      'take tasks from a Slack channel, mentions and a slash command, and answer decisions there (Socket Mode; tokens from SLACK_APP_TOKEN and SLACK_BOT_TOKEN)',
    )
    .option('--repo <path|url>', 'the repository tasks work on (default: the current folder)')
    .option('--all', "also post other sessions' open decisions, failures and budget notices in the channel")
    .option('--debug', "log what Slack's SDK does (tokens are never logged)")
    .action(async (opts) => (await import('./intake-command.js')).intakeSlack(opts));

  registerLandingCommands(program);

  const node = program.command('node').description('the node daemon');
  node
    .command('serve')
    .description('run the node daemon in the foreground (started by agency itself when needed)')
    .option('--ready-fd <fd>', 'write "ready" to this file descriptor once serving')
    .action(async (opts: { readyFd?: string }) => {
      const { serveNode } = await import('../node/daemon.js');
      const { version } = await import('./version.js');
      await serveNode({ agentVersion: version(), ...(opts.readyFd ? { readyFd: Number(opts.readyFd) } : {}) });
    });
  node
    .command('start')
    .description('start the node daemon in the background, unless one is running, and wait until it serves')
    .action(async () => (await import('./node-commands.js')).startNode());
  node
    .command('connect')
    .description("pipe standard input and output to the node's socket (how a cockpit reaches a node over ssh exec)")
    .action(async () => (await import('./node-commands.js')).connectNode());
  node
    .command('build')
    .description('print the build of the node daemon running here (exit 1 if none is)')
    .action(async () => (await import('./node-commands.js')).nodeBuild());
  node
    .command('stop')
    .description('stop the local node daemon (its live sessions are resumed when it starts again)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => (await import('./node-commands.js')).stopNode(opts));

  // `nodes --json` lists; `nodes add … --json` is add's own option, not the list's
  program.enablePositionalOptions();
  const nodes = program
    .command('nodes')
    .description('the configured nodes: reachability and agent version (add, remove)')
    .enablePositionalOptions();
  nodes
    .option('--json', 'print them as JSON')
    .action(async (opts) => (await import('./fleet-commands.js')).listNodes(opts));
  nodes
    .command('add <name>')
    .description(
      'configure a node: --host (with --user, --port, --identity, --known-hosts, --jump), --ssh ALIAS of ~/.ssh/config, or --local',
    )
    .option('--host <host>', 'host name or address')
    .option('--ssh <alias>', 'an alias of ~/.ssh/config')
    .option('--local', 'this machine, without ssh')
    .option('--user <user>', 'the user to log in as')
    .option('--port <port>', 'the ssh port')
    .option('--identity <file>', 'a private key file (ssh-agent is used too)')
    .option('--known-hosts <file>', 'the known_hosts file to check its host key against (default ~/.ssh/known_hosts)')
    .option(
      '--jump <hops>',
      "jump hosts to reach it through, first hop first, as ssh's ProxyJump: [user@]host[:port], ~/.ssh/config aliases or node names, comma-separated",
    )
    .option('--json', 'print the node as JSON')
    .action(async (name: string, opts) => (await import('./fleet-commands.js')).addNode(name, opts));
  nodes
    .command('remove <name>')
    .description('remove a node from the configuration (nothing on the node is touched)')
    .option('--json', 'print what was removed as JSON')
    .action(async (name: string, opts) => (await import('./fleet-commands.js')).removeNodeCommand(name, opts));

  program
    .command('doctor')
    .description('check the set-up: claude, a key or login, git, the sandbox, every node; what to do for each problem')
    .option('--json', 'print the checks as JSON')
    .action(async (opts) => (await import('./doctor.js')).doctor(opts));

  program
    .command('init')
    .description('write a first configuration and ~/.agency/node.env, after asking; existing files are kept')
    .option('--yes', 'write without asking (needed where there is no terminal to ask in)')
    .option('--json', 'print what was done as JSON')
    .action(async (opts) => (await import('./init.js')).init(opts));

  program
    .command('push')
    .description('install or upgrade the node agent on every node (or those named) and start it')
    .option('--node <name>', 'only this node (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--service', 'also install the daemon as a systemd user service (Linux) or launchd agent (macOS)')
    .option('--json', 'print the results as JSON')
    .action(async (opts) => (await import('./fleet-commands.js')).push(opts));
}

/** Getting a session's work back: see it, land it, clean up after it. */
function registerLandingCommands(program: Command): void {
  const landing = () => import('./landing-commands.js');
  program
    .command('diff <session>')
    .description("a session's work: the files its branch changed since it started, then the patch")
    .option('--stat', 'only the files, not the patch')
    .option('--json', 'print the diff as JSON')
    .action(async (session: string, opts) => (await landing()).diff(session, opts));
  program
    .command('log <session>')
    .description("the commits of a session's branch")
    .option('--json', 'print them as JSON')
    .action(async (session: string, opts) => (await landing()).log(session, opts));
  program
    .command('open <session>')
    .description("a shell in a session's worktree ($EDITOR with --editor); on a remote node, its path and ssh command")
    .option('--editor', 'open the worktree in $EDITOR instead of a shell')
    .option('--json', 'print the path and the command as JSON instead')
    .action(async (session: string, opts) => (await landing()).open(session, opts));
  program
    .command('merge <session>')
    .description("merge a session's branch into the branch it started from, in its repository")
    .option('--into <branch>', 'merge into this branch instead')
    .option('--json', 'print the result as JSON')
    .action(async (session: string, opts) => (await landing()).merge(session, opts));
  program
    .command('pr <session>')
    .description("push a session's branch and open a pull request (with gh), or print where to open one")
    .option('--json', 'print the result as JSON')
    .action(async (session: string, opts) => (await landing()).pr(session, opts));
  program
    .command('rm <session>')
    .description('remove an ended session: its worktree, branch and record; refuses if work would be lost')
    .option('--force', 'remove it anyway, keeping its unmerged work under refs/agency/recovered/<session>')
    .option('--json', 'print the result as JSON')
    .action(async (session: string, opts) => (await landing()).rm(session, opts));
  program
    .command('gc')
    .description('remove every ended session whose work is merged or kept elsewhere')
    .option('--force', 'remove the others too, keeping their unmerged work under refs/agency/recovered/')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => (await landing()).gc(opts));
}
