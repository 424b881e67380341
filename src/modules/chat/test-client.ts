/** @deprecated Moved to test/helpers/socket-client.ts (test helpers live under test/); import it from there. */
export { SocketClient, type AnyFrame } from '../../../test/helpers/socket-client.js';
