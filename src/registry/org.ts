/**
 * An organisation (`orgs/<org>/org.yaml`): its VPs, each a persona with a mandate, the disciplines it owns and
 * the nodes it runs on. Written by `agency genesis`, edited by the operator, given to nodes by `agency org apply`.
 * The folder that holds org.yaml is a registry overlay: its disciplines, charters, agents, tools and hooks are
 * laid over the shipped registry (see overlay.ts).
 */
import { z } from 'zod';
import { hasUnsafe } from '../protocol/safe-text.js';
import { ID_PATTERN, idProblem } from './ids.js';

export const ORG_FILE = 'org.yaml';
export const ORG_SCHEMA_VERSION = 1;
/** at most this many VPs in one organisation */
export const MAX_VPS = 64;

/** the same rule as the operator config's node names */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const id = (kind: string) =>
  z.string().superRefine((v, ctx) => {
    if (!ID_PATTERN.test(v)) ctx.addIssue({ code: 'custom', message: idProblem(kind, v) });
  });
const shown = (max: number, oneLine: boolean) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((v, ctx) => {
      // shown on the operator's screen: no control characters, no bidirectional overrides
      if (hasUnsafe(v, oneLine ? 'nothing' : 'newlines'))
        ctx.addIssue({
          code: 'custom',
          message: oneLine ? 'one line of plain text (no control characters)' : 'plain text (no control characters)',
        });
    });

export const vpSchema = z.strictObject({
  id: id('vp'),
  /** shown on the VP's tile: "Quant Strategy" */
  name: shown(60, true),
  /** who the VP is, in a few sentences: compiled into its sessions' CLAUDE.md */
  persona: shown(2000, false),
  /** what the VP is answerable for, in one sentence: shown on its tile */
  mandate: shown(200, true),
  /** the disciplines the VP owns (ids of the overlay or of the shipped registry); a discipline has one VP */
  disciplines: z.array(id('discipline')).min(1, 'a VP needs at least one discipline'),
  /** the nodes that carry the VP; empty: `org apply` gives it nodes */
  nodes: z.array(z.string().regex(NODE_NAME, 'not a node name')).default([]),
});
export type Vp = z.infer<typeof vpSchema>;

export const orgSchema = z.strictObject({
  schema: z.literal(ORG_SCHEMA_VERSION, `schema must be ${ORG_SCHEMA_VERSION}`),
  id: id('org'),
  name: shown(80, true),
  /** the sentence the organisation was generated from */
  description: shown(4000, false),
  /** the overlay's files may replace the shipped registry's files of the same id (genesis --replace) */
  replace: z.boolean().default(false),
  vps: z.array(vpSchema).min(1, 'an organisation needs at least one VP').max(MAX_VPS),
});
export type Org = z.infer<typeof orgSchema>;
