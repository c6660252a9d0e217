/**
 * Colour themes: the three that ship in themes/ (bundled into the build), or a JSON file the operator names
 * by path. Every colour is checked: an unknown name or a malformed value falls back to the default
 * theme's colour for that slot, so a theme file can never put anything but a colour into the frame.
 */
import { readFileSync } from 'node:fs';
import type { LinkState, SessionState } from '../cockpit/types.js';
import defaultTheme from '../../themes/default.json' with { type: 'json' };
import highContrast from '../../themes/high-contrast.json' with { type: 'json' };
import light from '../../themes/light.json' with { type: 'json' };

/** An ink colour (a name or #rrggbb), or undefined for the terminal's own. */
export type Colour = string | undefined;

export interface Theme {
  name: string;
  header: { fg: Colour; bg: Colour; accent: Colour };
  text: { fg: Colour; dim: Colour };
  focus: { border: Colour; fg: Colour };
  tile: { border: Colour };
  decision: { fg: Colour; border: Colour };
  error: Colour;
  states: Record<SessionState, Colour>;
  links: Record<LinkState, Colour>;
}

export const BUILT_IN: Record<string, unknown> = { default: defaultTheme, light, 'high-contrast': highContrast };

const NAMES = new Set([
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'gray',
  'grey',
  'blackBright',
  'redBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'magentaBright',
  'cyanBright',
  'whiteBright',
]);
const HEX = /^#[0-9a-fA-F]{6}$/;

function colour(v: unknown, fallback: Colour): Colour {
  if (v === 'default') return undefined;
  if (typeof v === 'string' && (HEX.test(v) || NAMES.has(v))) return v;
  return fallback;
}

/** A theme from parsed JSON, each slot checked against the fallback theme. */
export function parseTheme(raw: unknown, fallback: Theme): Theme {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const group = <T extends Record<string, Colour>>(name: string, base: T): T => {
    const g = (r[name] && typeof r[name] === 'object' ? r[name] : {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, colour(g[k], v)])) as T;
  };
  return {
    name: typeof r.name === 'string' ? r.name.replace(/[^\w .-]/g, '').slice(0, 40) : fallback.name,
    header: group('header', fallback.header),
    text: group('text', fallback.text),
    focus: group('focus', fallback.focus),
    tile: group('tile', fallback.tile),
    decision: group('decision', fallback.decision),
    error: colour(r.error, fallback.error),
    states: group('states', fallback.states),
    links: group('links', fallback.links),
  };
}

const SAFE_DEFAULT: Theme = {
  name: 'default',
  header: { fg: 'whiteBright', bg: 'blue', accent: 'yellowBright' },
  text: { fg: undefined, dim: 'gray' },
  focus: { border: 'cyanBright', fg: 'cyanBright' },
  tile: { border: 'gray' },
  decision: { fg: 'yellowBright', border: 'yellowBright' },
  error: 'redBright',
  states: {
    queued: 'blue',
    starting: 'cyan',
    working: 'green',
    'needs-input': 'yellowBright',
    idle: 'gray',
    paused: 'magenta',
    exited: 'gray',
    failed: 'red',
  },
  links: { connecting: 'yellow', up: 'green', down: 'red', refused: 'red', 'no-agent': 'red', incompatible: 'red' },
};

export const DEFAULT_THEME: Theme = parseTheme(defaultTheme, SAFE_DEFAULT);

/** The theme named by the operator's config: a built-in name, or a path to a JSON file. */
export function loadTheme(name: string | undefined): { theme: Theme; problem: string | null } {
  if (!name || name === 'default') return { theme: DEFAULT_THEME, problem: null };
  const built = BUILT_IN[name];
  if (built) return { theme: parseTheme(built, DEFAULT_THEME), problem: null };
  if (name.includes('/') || name.endsWith('.json')) {
    try {
      return { theme: parseTheme(JSON.parse(readFileSync(name, 'utf8')), DEFAULT_THEME), problem: null };
    } catch (e) {
      return {
        theme: DEFAULT_THEME,
        problem: `theme file ${name} cannot be used (${(e as Error).message}); using the default theme`,
      };
    }
  }
  return {
    theme: DEFAULT_THEME,
    problem: `unknown theme ${JSON.stringify(name)}: use ${Object.keys(BUILT_IN).join(', ')}, or a path to a JSON file; using the default theme`,
  };
}
