export { checkRegistry, loadRegistry, FOLDERS, type Registry, type Agent, type Charter, type Located } from './load.js';
export { type Problem, RegistryError, formatProblem } from './problems.js';
export { isValidId, idProblem, ID_PATTERN } from './ids.js';
export * from './schemas.js';
export * from './claude-schema.js';
export * from './org.js';
export { checkRegistryAt, loadRegistryAt, isOrgDir, overlayPrivileges, type OverlayPrivilege } from './overlay.js';
