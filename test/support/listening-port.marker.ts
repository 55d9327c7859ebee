/** The line a spawned service prints on stdout once it listens (see announce-listening-port.ts). */
export const LISTENING_MARKER = '[rc-test] listening';
