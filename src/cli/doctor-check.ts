/** One line of `agency doctor`: what was checked, whether it holds, what was found, and what to do. */
export interface Check {
  name: string;
  ok: boolean;
  /** what was found, or what is wrong */
  detail: string;
  /** what to do about it; null when there is nothing to do */
  fix: string | null;
}

export const pass = (name: string, detail: string): Check => ({ name, ok: true, detail, fix: null });
export const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });
