/**
 * Service-specific status meanings of the service modules that src/dimse/status.ts does not
 * list (PS3.4 P, DD, KK): each module exports its own table; this reads one.
 */
import { describeStatus } from '../dimse/status';

/** Status code → meaning, for the codes a service class defines beyond PS3.7 Annex C. */
export type StatusMeanings = Readonly<Record<number, string>>;

/**
 * A readable meaning for `status`: the service's own table first, then the general PS3.7
 * meanings of `describeStatus`. e.g. `describeServiceStatus(0xC227, RT_MACHINE_VERIFICATION_STATUS_MEANINGS)`.
 */
export function describeServiceStatus(status: number, meanings: StatusMeanings): string {
  return meanings[status] ?? describeStatus(status);
}
