/**
 * Dialogs on Claude Code's screen that no hook can answer (folder trust, API key, MCP approval,
 * external imports, Settings Error, bypass warning, onboarding) and permission prompts left on screen
 * when a hook failed: recognised by rules kept as data (rules.json), answered by label.
 */
export { detectDialog } from './detect.js';
export { KEY_BYTES, keysFor, keysForOption, keysToSelectByArrows, keysToSetChecklist, splitKeys } from './keys.js';
export { DEFAULT_RULES, parseRules, RulesError } from './rules.js';
export { cleanLine, fold, normaliseText, parseOptionLine, unwrap } from './normalise.js';
export { coreLabel, pickOption } from './choose.js';
export type { Action, Detection, Details, DialogOption, KeyName, Rule, RuleSet, Structure } from './types.js';
