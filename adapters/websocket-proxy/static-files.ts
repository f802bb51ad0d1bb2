/**
 * A small static file server for the demo page on the proxy's port. GET/HEAD only; the path is
 * decoded once, must stay inside one of the roots after resolving symlinks, and dot-files and
 * directories other than the root's index.html are never served.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Finds the file for a URL path in `roots`, or undefined (never a path outside a root). */
export function resolveStatic(roots: readonly string[], urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return undefined; // "..", ".git", ".env"
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = realpathSync(root);
      const real = realpathSync(path.join(realRoot, relative));
      if (!real.startsWith(realRoot + path.sep)) continue;
      if (statSync(real).isFile()) return real;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Answers one HTTP request from `roots` (404 when nothing matches). */
export function serveStatic(roots: readonly string[], req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const file = resolveStatic(roots, req.url ?? '/');
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
