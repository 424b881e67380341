/** @deprecated Moved to test/helpers/files.ts (test helpers live under test/); import it from there. */
export * from '../../../test/helpers/files.js';
