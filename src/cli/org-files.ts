/**
 * An organisation's overlay as `agency org apply` sends it: org.yaml and the files of the registry's five
 * folders, by their paths inside the org folder. Anything else in the folder stays at home (a genesis
 * cache, notes); a link is refused rather than followed, so that nothing outside the folder is sent.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FOLDERS, ORG_FILE } from '../registry/index.js';
import { MAX_ORG_BYTES, MAX_ORG_FILES, mib, ORG_FILE_PATH, orgFilesBytes, type OrgFile } from '../protocol/org.js';
import { UserError } from './output.js';

export function readOrgFiles(dir: string): OrgFile[] {
  const files: OrgFile[] = [];
  const take = (rel: string) => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    if (st.isSymbolicLink())
      throw new UserError(
        `${path} is a link: an organisation's files are sent as they are, not followed; replace it with the file`,
      );
    if (!st.isFile()) throw new UserError(`${path} is not a file`);
    if (!ORG_FILE_PATH.test(rel)) return;
    files.push({ path: rel, text: readFileSync(path, 'utf8') });
  };
  take(ORG_FILE);
  for (const folder of Object.keys(FOLDERS)) {
    let names: string[];
    try {
      const st = lstatSync(join(dir, folder));
      if (!st.isDirectory())
        throw new UserError(
          `${join(dir, folder)} is not a folder${st.isSymbolicLink() ? ' (a link is not followed)' : ''}`,
        );
      names = readdirSync(join(dir, folder)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const name of names) if (name.endsWith(FOLDERS[folder as keyof typeof FOLDERS])) take(`${folder}/${name}`);
  }
  if (files.length > MAX_ORG_FILES)
    throw new UserError(`${dir} holds ${files.length} files; an organisation may send at most ${MAX_ORG_FILES}`);
  // measured as the request carries them: a character may take several bytes, an escape several characters
  const bytes = orgFilesBytes(files);
  if (bytes > MAX_ORG_BYTES)
    throw new UserError(
      `the organisation's files in ${dir} are ${mib(bytes)} as sent (JSON, UTF-8), over the ${mib(MAX_ORG_BYTES)} an organisation may send; move large texts out of its charters and agents`,
    );
  return files;
}
