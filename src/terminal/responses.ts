/**
 * Which of the replies xterm.js generates may go back into the session's PTY. Programs such as Claude Code's
 * ink UI ask the terminal where the cursor is or what it is, and may wait for the answer; but some replies
 * echo data the stream itself chose (a window title report, DECRQSS's `DCS $ r … ST` with the current SGR,
 * OSC 52 clipboard or OSC 4/10/11 colour reports), and feeding those back as input would let a program's
 * output type commands into its own input. Only purely numeric, fixed-shape replies pass:
 *
 * - CPR `CSI r ; c R` and DECXCPR `CSI ? r ; c R` (cursor position, for `CSI 6 n` / `CSI ? 6 n`)
 * - DA1 `CSI ? … c` and DA2 `CSI > … c` (device attributes)
 * - DSR `CSI 0 n` (status: OK)
 * - DECRPM `CSI ? mode ; state $ y` (mode report, for `CSI ? mode $ p`: how programs probe for
 *   synchronized output, mode 2026; the reply is a mode number and a digit 0-4, nothing else)
 */
const ALLOWED = [
  /^\x1b\[\d{1,5};\d{1,5}R$/,
  /^\x1b\[\?\d{1,5};\d{1,5}(;\d{1,5})?R$/,
  /^\x1b\[\?\d{1,4}(;\d{1,4}){0,15}c$/,
  /^\x1b\[>\d{1,4}(;\d{1,4}){0,15}c$/,
  /^\x1b\[0n$/,
  /^\x1b\[\??\d{1,5};[0-4]\$y$/,
];

export function isAllowedResponse(data: string): boolean {
  if (data.length > 80) return false;
  for (const re of ALLOWED) if (re.test(data)) return true;
  return false;
}
