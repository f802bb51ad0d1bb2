/**
 * At most one A-ABORT per connection (reliability.md §2.4), found by the Z-08 soak: a malformed
 * C-ECHO-RQ (aborted (0,0) by the DIMSE layer) followed in the same write by a PDU header too short
 * for its type. The PDUs before a framing error are handled first (Z-02), so the A-ABORT for the
 * command goes out, the association enters Sta13, and the framing error then meets AA-7, which must
 * not send a second A-ABORT: the peer has ours already.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RQ_OK, startScp, type TestScp } from './helpers/scp';
import { hex, TcpPeer } from './helpers/tcp-peer';

let scp: TestScp;
beforeAll(async () => {
  scp = await startScp();
});
afterAll(async () => {
  await scp.close();
});

/** The soak's input: a P-DATA-TF whose command set repeats (0000,0002), then `01 02 00 00 00 30` and 21 bytes. */
const INPUT = hex(
  '04000000004a0000004601030000000004000000380000000000020012000000312e322e3834302e31303030382e313800000000000200120000' +
    '00312e322e3834302e31303030382e312e3100000000010200000030000000100102000000010000000008020000000101',
);

it('a malformed command and a bad PDU header in one write: one A-ABORT, not two', async () => {
  const peer = await TcpPeer.connect(scp.port);
  peer.send(RQ_OK);
  await peer.expectPdu(0x02, undefined, 2000);
  peer.send(INPUT);
  await peer.expectClosed(1500).catch(() => undefined);
  const aborts = peer.history.filter((p) => p.type === 0x07);
  expect(aborts).toHaveLength(1);
});
