/**
 * Imported first by n-services-tcp.test.ts: switches the DIMSE-N scenarios of that test file's
 * module graph (vitest isolates each test file) from memory pipes to TCP on 127.0.0.1.
 */
import { tcpLink, useLink } from './n-helpers';

useLink('TCP on 127.0.0.1', tcpLink);
