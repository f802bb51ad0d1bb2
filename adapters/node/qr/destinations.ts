/**
 * The C-MOVE destination table: AE title → host, port, TLS. An AE title is only ever looked up
 * here (PS3.4 C.4.3.1.3: the SCP must know the destination); it is never resolved as a host name.
 */
import { readFileSync } from 'node:fs';
import type { MoveDestinationEntry } from './handlers';

/** Parses `AET=HOST:PORT` (IPv6 as `[::1]:104`). Throws with a reason on a malformed entry. */
export function parseDestination(text: string): [string, MoveDestinationEntry] {
  const m = /^([^=]{1,16})=(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[4]) : 0;
  if (!m || port < 1 || port > 65535) throw new Error(`bad move destination '${text}': expected AET=HOST:PORT`);
  return [m[1]!.trim(), { host: (m[2] ?? m[3])!, port }];
}

/** Parses every `AET=HOST:PORT` entry into a table. */
export function parseDestinations(entries: readonly string[]): Map<string, MoveDestinationEntry> {
  return new Map(entries.map(parseDestination));
}

/**
 * Reads a JSON destination file: `{ "AET": { "host": "127.0.0.1", "port": 11113, "tls": false }, ... }`
 * or `{ "AET": "HOST:PORT" }`.
 */
export function loadDestinations(file: string): Map<string, MoveDestinationEntry> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const table = new Map<string, MoveDestinationEntry>();
  for (const [aet, value] of Object.entries(json)) {
    if (typeof value === 'string') table.set(...parseDestination(`${aet}=${value}`));
    else if (value && typeof value === 'object') {
      const v = value as { host?: unknown; port?: unknown; tls?: unknown };
      if (typeof v.host !== 'string' || typeof v.port !== 'number') throw new Error(`${file}: destination ${aet} needs host and port`);
      table.set(aet.trim(), { host: v.host, port: v.port, tls: v.tls === true });
    } else throw new Error(`${file}: destination ${aet} is neither "HOST:PORT" nor { host, port }`);
  }
  return table;
}
