/**
 * Installs WHATWG streams from web-streams-polyfill, but only where the platform has none.
 * Imported first by the browser entry so it runs before any core module; src/ never sees it.
 */
import * as streams from 'web-streams-polyfill';

const g = globalThis as Record<string, unknown>;
if (typeof g.ReadableStream === 'undefined') {
  for (const [name, value] of Object.entries(streams)) {
    if (typeof g[name] === 'undefined') g[name] = value;
  }
}
