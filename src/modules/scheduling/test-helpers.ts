/** @deprecated Moved to test/helpers/scheduling.ts (test helpers live under test/); import it from there. */
export * from '../../../test/helpers/scheduling.js';
