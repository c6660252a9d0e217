/**
 * What Claude Code's sandbox needs on a Linux node (macOS needs nothing: Seatbelt is part of the system):
 * checked by the node when it starts and by `agency push` before it installs.
 */
export const SANDBOX_PROGRAMS = ['bwrap', 'socat'] as const;

/** How an operator installs them on Debian and Ubuntu. */
export const SANDBOX_INSTALL = 'sudo apt-get install -y bubblewrap socat';

/** How an operator opts a node out of the sandbox (its sessions then run without it, and the cockpit says so). */
export const SANDBOX_OPT_OUT = 'AGENCY_SANDBOX=off in ~/.agency/node.env';
