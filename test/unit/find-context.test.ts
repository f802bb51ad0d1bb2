/**
 * Association.findContext: only accepted contexts, the asked transfer syntax, and a role we may act
 * in (PS3.7 D.3.3.4); a NegotiationError when none fits.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryListener } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { NegotiationError } from '../../src/errors';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

describe('findContext', () => {
  it('skips a rejected context, filters by transfer syntax, and refuses a role not negotiated', async () => {
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, [EXPLICIT, IMPLICIT]);
    const scu = new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(CT, [IMPLICIT]).addRequestedContext(CT, [EXPLICIT]).addRequestedContext(MR, [IMPLICIT]);
    const ml = createMemoryListener();
    const server = scp.serve(ml.listener, {});
    const assoc = await scu.associate(ml.connect(), { calledAeTitle: 'SCP' });
    // CT accepted twice (implicit on 1, explicit on 3); MR rejected: abstract syntax not supported (3).
    expect(assoc.contexts.map((c) => [c.id, c.result, c.transferSyntax])).toEqual([[1, 0, IMPLICIT], [3, 0, EXPLICIT], [5, 3, expect.anything()]]);
    expect(assoc.findContext(CT).id).toBe(1);
    expect(assoc.findContext(CT, { transferSyntax: EXPLICIT }).id).toBe(3);
    expect(() => assoc.findContext(MR)).toThrow(/no accepted presentation context for 1\.2\.840\.10008\.5\.1\.4\.1\.1\.4 where we act as SCU/);
    expect(() => assoc.findContext(CT, { as: 'scp' })).toThrow(NegotiationError);
    await assoc.release();
    await server.close();
  });
});
