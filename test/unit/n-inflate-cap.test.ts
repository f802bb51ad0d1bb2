/**
 * D-13 for DIMSE-N: a deflated N-SET modification list that inflates past maxDatasetLength is
 * refused (0x0212) quickly instead of being inflated whole.
 */
import { expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { deflateRaw } from '../../src/dataset/deflate';
import { CommandField } from '../../src/dimse/types';

const MPPS = '1.2.840.10008.3.1.2.3.3';
const DEFLATED = '1.2.840.10008.1.2.1.99';

it('a deflate bomb in an N-SET data set gets 0x0212 and never reaches the handler', async () => {
  let handled = false;
  const scp = new ApplicationEntity({ aeTitle: 'SCP', maxDatasetLength: 1024 * 1024 }).addSupportedContext(MPPS, [DEFLATED]);
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(MPPS, [DEFLATED]);
  const [a, b] = createMemoryPair();
  void scp.handle(b, { nSet: () => ((handled = true), { status: 0 }) });
  const assoc = await scu.associate(a, { calledAeTitle: 'SCP' });
  const context = assoc.findContext(MPPS);
  // 64 MiB of zeros deflate to ~64 KiB: small on the wire, far over the 1 MiB cap inflated.
  const bomb = deflateRaw(new Uint8Array(64 * 1024 * 1024));
  expect(bomb.byteLength).toBeLessThan(1024 * 1024);
  const t0 = performance.now();
  await assoc.dimse.sendMsg(
    { CommandField: CommandField['N-SET-RQ'], MessageID: 5, RequestedSOPClassUID: MPPS, RequestedSOPInstanceUID: '1.2.3', CommandDataSetType: 0x0001 },
    context.id,
    bomb,
  );
  const reply = await assoc.dimse.getMsg({ timeoutMs: 10_000 });
  expect(reply!.command.Status).toBe(0x0212);
  // Inflating the whole bomb and handing it to dcmjs takes seconds; refusing at the cap takes milliseconds.
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(handled).toBe(false);
  await assoc.release();
});
