/** Bash's `$'…'` strings: the escapes they decode. */
const SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes from `start` (just after `$'`) to the closing quote; null if there is none. */
export function dollarSingle(src: string, start: number): { value: string; end: number } | null {
  let out = '';
  let i = start;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "'") return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const n = src[i + 1];
    if (n === undefined) return null;
    let m: RegExpExecArray | null;
    if (n in SIMPLE) {
      out += SIMPLE[n];
      i += 2;
    } else if ((m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4)))) {
      out += String.fromCharCode(parseInt(m[0], 8) & 0xff);
      i += 1 + m[0].length;
    } else if ((m = /^x([0-9a-fA-F]{1,2})/.exec(src.slice(i + 1, i + 4)))) {
      out += String.fromCharCode(parseInt(m[1] as string, 16));
      i += 1 + m[0].length;
    } else if ((m = /^(?:u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8}))/.exec(src.slice(i + 1, i + 10)))) {
      const cp = parseInt((m[1] ?? m[2]) as string, 16);
      out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      i += 1 + m[0].length;
    } else if (n === 'c' && src[i + 2] !== undefined) {
      out += String.fromCharCode((src.charCodeAt(i + 2) & 0x1f) >>> 0);
      i += 3;
    } else {
      out += `\\${n}`;
      i += 2;
    }
  }
  return null;
}
