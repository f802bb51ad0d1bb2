/**
 * Chromium flags for every headless run here (the bench's browser variants and the browser test
 * suite): no GPU, no background traffic, and loopback only: every name but 127.0.0.1 resolves to
 * nothing.
 */
export const LOOPBACK_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
