/**
 * What the wire says about an organisation (registry/org.ts has org.yaml's schema): the VPs a node carries,
 * and the overlay's files as `agency org apply` sends them to a node, which validates them before use.
 */
import { z } from 'zod';

/** A VP as a node reports it: its tile shows the name and the mandate. */
export interface VpInfo {
  id: string;
  name: string;
  mandate: string;
  /** the disciplines it owns */
  disciplines: string[];
}

/** The organisation a node was given, and the VPs of it that the node carries (one or more). */
export interface NodeOrg {
  id: string;
  name: string;
  vps: VpInfo[];
}

/** One file of an organisation's overlay, by its path inside the org folder. */
export interface OrgFile {
  path: string;
  text: string;
}

/** The paths an overlay may hold: org.yaml, and `<folder>/<id><ext>` of the registry's five folders. */
export const ORG_FILE_PATH =
  /^(?:org\.yaml|disciplines\/[a-z][a-z0-9-]{0,63}\.yaml|charters\/[a-z][a-z0-9-]{0,63}\.md\.hbs|agents\/[a-z][a-z0-9-]{0,63}\.md|(?:tools|hooks)\/[a-z][a-z0-9-]{0,63}\.json)$/;
export const MAX_ORG_FILES = 4000;
/**
 * All of an overlay's files together, as the request carries them (JSON-encoded, in UTF-8 bytes): well
 * under the largest frame (frames.ts MAX_FRAME), leaving room for the rest of the request.
 */
export const MAX_ORG_BYTES = 12 * 1024 * 1024;

/** The size of the files in a request: their paths and texts, JSON-encoded, in UTF-8 bytes. */
export function orgFilesBytes(files: readonly OrgFile[]): number {
  let n = 0;
  for (const f of files) n += Buffer.byteLength(JSON.stringify(f.path)) + Buffer.byteLength(JSON.stringify(f.text));
  return n;
}

/** A size in MiB, for messages. */
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** a VP's id, as every registry id: a safe path segment */
export const VP_ID = /^[a-z][a-z0-9-]{0,63}$/;

export const orgApplySchema = z
  .strictObject({
    files: z
      .array(
        z.strictObject({
          path: z
            .string()
            .regex(ORG_FILE_PATH, 'not a file of an organisation overlay (org.yaml, disciplines/<id>.yaml, …)'),
          text: z.string(),
        }),
      )
      .min(1)
      .max(MAX_ORG_FILES),
    /** the ids of the VPs this node carries */
    vps: z.array(z.string().regex(VP_ID, 'not a VP id')).min(1).max(64),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    for (const f of a.files) {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files'], message: `${f.path} is sent twice` });
      seen.add(f.path);
    }
    if (!seen.has('org.yaml')) ctx.addIssue({ code: 'custom', path: ['files'], message: 'org.yaml is missing' });
    const bytes = orgFilesBytes(a.files);
    if (bytes > MAX_ORG_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: ['files'],
        message: `the overlay's files are ${mib(bytes)}, over the ${mib(MAX_ORG_BYTES)} an organisation may send`,
      });
  });
