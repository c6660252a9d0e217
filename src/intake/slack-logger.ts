/**
 * The logger given to Slack's SDK (bolt, its Socket Mode client and its Web API client): one line per
 * message on the intake's log, with every Slack token taken out, whatever the SDK puts in a message (a
 * request's headers at debug level, an error that quotes a URL), and the ticket of the WebSocket's URL. Debug lines are dropped unless asked for.
 */

/** The SDK's log levels, as strings (they are the values of its LogLevel enum). */
type Level = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Anything shaped like a Slack token: bot, user, app-level, configuration and refresh tokens. */
const TOKEN_SHAPE = /\b(?:xox[a-z]|xapp|xoxe(?:\.xox[a-z])?)-[A-Za-z0-9-]+/g;

/** The ticket of a Socket Mode URL (`wss://…/link/?ticket=…`): whoever has it can open the app's connection. */
const TICKET = /([?&;]ticket=)[^&\s"'<>]+/gi;

/**
 * `text` with the given secrets, anything shaped like a Slack token, and a Socket Mode URL's ticket replaced
 * by `[redacted]`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('[redacted]');
  return out.replace(TOKEN_SHAPE, '[redacted]').replace(TICKET, '$1[redacted]');
}

function show(part: unknown): string {
  if (part instanceof Error) return part.message;
  if (typeof part === 'string') return part;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}

export interface SdkLogger {
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
  setLevel(level: Level): void;
  getLevel(): Level;
  setName(name: string): void;
}

/** A logger for the SDK that writes through `write`, redacted, at `level` and above. */
export function redactingLogger(
  secrets: readonly string[],
  write: (line: string) => void,
  level: Level = 'info',
): SdkLogger {
  let current: Level = level;
  let name = 'slack';
  const at =
    (l: Level) =>
    (...msg: unknown[]) => {
      if (ORDER[l] > ORDER[current]) return;
      write(redact(`${name} ${l}: ${msg.map(show).join(' ')}`, secrets).replace(/[\r\n]+/g, ' '));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    // the SDK sets the level it was given; the intake's own choice stands
    setLevel: (l: Level) => {
      if (l in ORDER && ORDER[l] < ORDER[current]) current = l;
    },
    getLevel: () => current,
    setName: (n: string) => {
      name = n;
    },
  };
}
