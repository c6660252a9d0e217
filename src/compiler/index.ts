export { buildClassifier, type Classifier, type Ranked } from './classify.js';
export {
  planCompile,
  UnknownDisciplineError,
  POLICY_FILE,
  MEMORY_BANK,
  type CompileRequest,
  type PlannedFile,
  type VpContext,
} from './plan.js';
export {
  compileInto,
  CompileError,
  MANIFEST_FILE,
  type CompileResult,
  type CompileOptions,
  type FileAction,
} from './write.js';
export { charterProblem, renderCharter } from './templates.js';
export { guardCommand, type HookPrograms, type SandboxOptions } from './settings.js';
export { guardSocketOf } from './guard-hook.js';
export { UnsafePathError } from './safe-fs.js';
