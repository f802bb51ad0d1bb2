/**
 * Replays the peer side of a trace recorded on a netdicom SCP (e.g. DCMTK's PDUs) against a fresh
 * netdicom SCP: the scripted peer plays the recorded 'received' PDUs, the live SCP answers.
 * Shared by the interop recorder and the unit test that replays the committed fixtures.
 */
import { ApplicationEntity } from '../../src/ae';
import { replayTransport, type Trace } from '../../src/record';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, IMPLICIT_LE } from './ct-instance';

/** The SOP Instance UID of the instance in the recorded C-STORE. */
export const TRACE_INSTANCE_UID = '1.2.826.0.1.3680043.9.7433.10.1';

const VERIFICATION = '1.2.840.10008.1.1';

/** What the live SCP did while the script played. */
export interface ScpReplay {
  readonly mismatches: readonly string[];
  /** How the SCP's association ended. */
  readonly reason: string;
  /** SOP Instance UIDs the SCP stored, with the data set sizes. */
  readonly stored: readonly string[];
  readonly storedBytes: readonly number[];
  /** PDUs the SCP sent (hex). */
  readonly sent: readonly string[];
}

/** Plays the recorded peer against a new SCP supporting Verification and CT Image Storage (as recorded). */
export async function replayAgainstScp(trace: Trace): Promise<ScpReplay> {
  const replay = replayTransport(trace, { play: 'received' });
  const stored: string[] = [];
  const storedBytes: number[] = [];
  const ae = new ApplicationEntity({ aeTitle: 'NETDICOM' }).addSupportedContext(VERIFICATION).addSupportedContext(CT_IMAGE_STORAGE, [EXPLICIT_LE, IMPLICIT_LE]);
  const served = ae.handle(replay.transport, {
    cStore: async (req) => {
      storedBytes.push((await req.bytes()).length);
      stored.push(req.sopInstanceUid);
      return 0;
    },
  });
  const result = await replay.done;
  const closed = await served;
  return { mismatches: result.mismatches, reason: closed.reason, stored, storedBytes, sent: result.received };
}
