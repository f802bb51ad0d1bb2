/**
 * StoreRequest.dataset() inflates a deflated C-STORE data set only up to the association's
 * maxDatasetLength (not the codec's 512 MiB default): a deflate bomb fails fast in the handler.
 */
import { expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { deflateRaw } from '../../src/dataset/deflate';
import { CommandField } from '../../src/dimse/types';
import type { ScpHandlers } from '../../src/scp/types';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';

async function connect(handlers: ScpHandlers) {
  const scp = new ApplicationEntity({ aeTitle: 'SCP', maxDatasetLength: 1024 * 1024 }).addSupportedContext(CT, [DEFLATED]);
  const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [DEFLATED]);
  const [a, b] = createMemoryPair();
  void scp.handle(b, handlers);
  return scu.associate(a, { calledAeTitle: 'SCP' });
}

it('a deflate bomb makes dataset() throw at maxDatasetLength, quickly; the store fails with 0xA700', async () => {
  let thrown: Error | undefined;
  const assoc = await connect({
    async cStore(request) {
      try {
        await request.dataset();
      } catch (error) {
        thrown = error as Error;
        throw error;
      }
      return 0;
    },
  });
  const context = assoc.findContext(CT);
  // 8 MiB of zeros deflate to ~8 KiB: small on the wire, far over the 1 MiB cap inflated
  // (and far under the codec's 512 MiB default, which would have inflated it whole).
  const bomb = deflateRaw(new Uint8Array(8 * 1024 * 1024));
  const t0 = performance.now();
  await assoc.dimse.sendMsg(
    {
      CommandField: CommandField['C-STORE-RQ'],
      MessageID: 3,
      AffectedSOPClassUID: CT,
      AffectedSOPInstanceUID: '1.2.3.4',
      Priority: 0,
      CommandDataSetType: 0x0001,
    },
    context.id,
    bomb,
  );
  const reply = await assoc.dimse.getMsg({ timeoutMs: 10_000 });
  expect(reply!.command.Status).toBe(0xa700);
  expect(thrown?.message).toContain(`${1024 * 1024} bytes`);
  expect(performance.now() - t0).toBeLessThan(2000);
  await assoc.release();
});

it('a deflated data set under the cap still decodes', async () => {
  let name: unknown;
  const assoc = await connect({
    async cStore(request) {
      name = (await request.dataset()).PatientName;
      return 0;
    },
  });
  const rsp = await assoc.cStore({ dataset: { SOPClassUID: CT, SOPInstanceUID: '1.2.3.5', PatientName: 'DOE^JANE', Modality: 'CT' } });
  expect(rsp.status).toBe(0);
  expect(name).toEqual([{ Alphabetic: 'DOE^JANE' }]);
  await assoc.release();
});
