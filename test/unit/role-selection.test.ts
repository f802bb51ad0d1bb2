/**
 * SCP/SCU role selection end to end (PS3.7 D.3.3.4, Table D.3-11): a role the acceptor's policy
 * leaves unset keeps its default, so proposing the SCP role never costs the requestor its SCU role.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { RoleOptions } from '../../src/ae';
import type { Association } from '../../src/association';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

async function negotiate(proposed: RoleOptions, accepted: RoleOptions) {
  const [a, b] = createMemoryPair();
  const stored: string[] = [];
  let acceptorSide!: Association;
  const served = new ApplicationEntity({ aeTitle: 'SCP' })
    .addSupportedContext(CT, [EXPLICIT], accepted)
    .handle(b, { cStore: async (rq) => (await rq.bytes(), stored.push(rq.sopInstanceUid), 0) }, {}, (x) => (acceptorSide = x));
  const assoc = await new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [EXPLICIT], proposed).associate(a, { calledAeTitle: 'SCP' });
  return { assoc, acceptorSide, served, stored };
}

describe('role selection with a role left unset', () => {
  const cases: [string, RoleOptions, RoleOptions][] = [
    ['requestor { scpRole: true }, acceptor { scpRole: true }', { scpRole: true }, { scpRole: true }],
    ['requestor SCU+SCP (as DCMTK proposes), acceptor { scpRole: true }', { scuRole: true, scpRole: true }, { scpRole: true }],
  ];
  for (const [name, proposed, accepted] of cases) {
    it(`${name}: the requestor is SCU and SCP, and its own C-STOREs are served`, async () => {
      const { assoc, acceptorSide, served, stored } = await negotiate(proposed, accepted);
      const ct = assoc.findContext(CT);
      expect([ct.requestorIsScu, ct.requestorIsScp]).toEqual([true, true]);
      expect(acceptorSide.contexts.map((c) => [c.requestorIsScu, c.requestorIsScp])).toEqual([[true, true]]);
      expect(assoc.accept.userInformation.roleSelections).toEqual([{ sopClassUid: CT, scuRole: true, scpRole: true }]);
      const rsp = await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data: new Uint8Array(64) });
      expect(rsp.status).toBe(0);
      expect(stored).toEqual(['1.2.3']);
      await assoc.release();
      await served;
    });
  }

  it('an acceptor setting only scuRole does not grant the SCP role', async () => {
    const { assoc, served } = await negotiate({ scuRole: true, scpRole: true }, { scuRole: true });
    const ct = assoc.findContext(CT);
    expect([ct.requestorIsScu, ct.requestorIsScp]).toEqual([true, false]);
    await assoc.release();
    await served;
  });
});
