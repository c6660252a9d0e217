/** The rule lives in paths/ (the dispatcher's check runner needs it too); re-exported for node/ and cli/. */
export { findProgram } from '../paths/find-program.js';
