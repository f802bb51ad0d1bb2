/** UID generation (PS3.5 §9 and Annex B.2: UUID-derived UIDs under the 2.25 root). */

/**
 * A new UID: `root` followed by the decimal form of 128 random bits, e.g. "2.25.3218...".
 * With the default root this is a UUID-derived UID (PS3.5 B.2). Uses crypto.getRandomValues,
 * available in browsers and Node 20+. The result is at most 64 characters (PS3.5 §9.1).
 */
export function generateUid(root = '2.25'): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  const uid = `${root}.${n.toString()}`;
  if (uid.length > 64) throw new RangeError(`UID root "${root}" too long: ${uid.length} > 64 characters`);
  return uid;
}
