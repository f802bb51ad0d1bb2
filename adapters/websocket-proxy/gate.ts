/**
 * The checks an upgrade request passes before any outbound connection is considered
 * (reliability.md W-01, W-02, W-03, W-14). Pure: request head in, decision out.
 *
 * The target comes only from the operator's table, by exact match of the raw request target:
 * no decoding, no normalisation, no query string. So `/pacs/../x`, `/%2e%2e/`, `/pacs?host=…`,
 * `//evil` and absolute-form targets simply are not in the table (websockify's token lookup,
 * minus the host:port fallbacks that made open proxies of it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ProxyTarget, ResolvedProxyOptions } from './options';

/** The subprotocol websockify clients offer for raw binary frames. */
export const BINARY_SUBPROTOCOL = 'binary';

/** Either the target to bridge to, or the HTTP answer to refuse with. */
export type GateDecision =
  | { readonly ok: true; readonly target: ProxyTarget & { name: string } }
  | { readonly ok: false; readonly status: 400 | 403 | 404; readonly message: string };

/** The Host check alone (W-03); static files pass it too. */
export function checkHost(headers: IncomingHttpHeaders, options: ResolvedProxyOptions): string | undefined {
  if (!options.allowedHosts) return undefined;
  const host = (headers.host ?? '').toLowerCase();
  return options.allowedHosts.has(host) ? undefined : `Host ${JSON.stringify(headers.host ?? '')} is not allowed`;
}

/** Whether the Origin header may open a WebSocket here (W-02). */
export function checkOrigin(headers: IncomingHttpHeaders, options: ResolvedProxyOptions): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return options.allowMissingOrigin ? undefined : 'a missing Origin is not allowed';
  if (options.allowOrigins === '*') return undefined;
  if (options.allowOrigins === 'same-origin') {
    let host: string | undefined;
    try {
      host = origin === 'null' ? undefined : new URL(origin).host.toLowerCase();
    } catch {
      host = undefined;
    }
    return host !== undefined && host === (headers.host ?? '').toLowerCase() ? undefined : `Origin ${origin} is not allowed`;
  }
  return options.allowOrigins.has(origin) ? undefined : `Origin ${origin} is not allowed`;
}

/** Decides on an upgrade request: Host, then target path, then Origin, then subprotocol. */
export function checkUpgrade(url: string | undefined, headers: IncomingHttpHeaders, options: ResolvedProxyOptions): GateDecision {
  const hostProblem = checkHost(headers, options);
  if (hostProblem) return { ok: false, status: 403, message: hostProblem };
  // Own-property lookup in a Map keyed by exact path: nothing in the URL is interpreted.
  const target = url === undefined ? undefined : options.targets.get(url);
  if (!target) return { ok: false, status: 404, message: 'no such target' };
  const originProblem = checkOrigin(headers, options);
  if (originProblem) return { ok: false, status: 403, message: originProblem };
  const offered = headers['sec-websocket-protocol'];
  if (offered !== undefined) {
    const protocols = offered.split(',').map((p) => p.trim());
    if (!protocols.includes(BINARY_SUBPROTOCOL)) {
      return { ok: false, status: 400, message: `subprotocol must be '${BINARY_SUBPROTOCOL}' (raw bytes in binary frames)` };
    }
  }
  return { ok: true, target };
}
