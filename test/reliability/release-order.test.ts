/**
 * An A-RELEASE-RQ that arrives while the SCP still performs requests is answered after their
 * responses (PS3.8: in Sta8 the acceptor may still send P-DATA, AR-7), not before them, which
 * would drop the responses. Checked for a C-FIND (no window-1 input hold applies to it) and for
 * operations running at once within an asynchronous window.
 */
import { describe, expect, it } from 'vitest';
import { decodeCommand } from '../../src/dimse/command-set';
import { concat, pdata, REL_RQ, RELEASE_RP, startScp } from './helpers/scp';
import { associate, echoRq, findRq, PC, rqFull } from './helpers/session';
import { hex, TcpPeer, toHex } from './helpers/tcp-peer';

/** A (0008,0052) "STUDY " identifier, Implicit VR LE. */
const STUDY = hex('08 00 52 00 06 00 00 00 53 54 55 44 59 20');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The PDUs that arrive until the connection closes: 'P' + status for each response, 'RP' for the release. */
async function answers(peer: TcpPeer, withinMs = 5000): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const pdu = await peer.nextPdu(withinMs);
    if (!pdu) return out;
    if (pdu.type === 0x04) {
      if ((pdu.bytes[11]! & 1) === 0) continue; // a data set PDV on its own
      // The command PDV first: item length (4), context, header, then the command set.
      const command = decodeCommand(pdu.bytes.subarray(12, 6 + new DataView(pdu.bytes.buffer, pdu.bytes.byteOffset).getUint32(6) + 4));
      out.push(`P${command.Status!.toString(16)}`);
    } else if (toHex(pdu.bytes) === RELEASE_RP) {
      out.push('RP');
    } else {
      out.push(toHex(pdu.bytes.subarray(0, 2)));
    }
    if (out.at(-1) === 'RP') return out;
  }
}

describe('A-RELEASE-RQ behind running operations', () => {
  it('a C-FIND still producing matches answers them all, then the A-RELEASE-RP', async () => {
    const scp = await startScp({}, {
      async *cFind() {
        for (let i = 0; i < 3; i++) {
          await sleep(100);
          yield { PatientName: `DOE^${i}` };
        }
      },
    });
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull());
    peer.send(concat(pdata([PC.find, 0x03, findRq(1)], [PC.find, 0x02, STUDY]), REL_RQ));
    expect(await answers(peer)).toEqual(['Pff00', 'Pff00', 'Pff00', 'P0', 'RP']);
    peer.destroy();
  });

  it('several operations at once (window 4): every response, then the A-RELEASE-RP', async () => {
    const scp = await startScp({ asyncOps: { maxInvoked: 4, maxPerformed: 4 } }, {
      async cEcho() {
        await sleep(150);
        return 0;
      },
    });
    const peer = await TcpPeer.connect(scp.port);
    await associate(peer, rqFull({ asyncOps: { maxInvoked: 4, maxPerformed: 4 } }));
    peer.send(concat(pdata([PC.echo, 0x03, echoRq(1)]), pdata([PC.echo, 0x03, echoRq(2)]), pdata([PC.echo, 0x03, echoRq(3)]), REL_RQ));
    expect(await answers(peer)).toEqual(['P0', 'P0', 'P0', 'RP']);
    peer.destroy();
  });
});
