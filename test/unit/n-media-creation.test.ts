/**
 * Media Creation Management (PS3.4 Annex S) over a memory pair.
 */
import { describe, expect, it } from 'vitest';
import { MEDIA_CREATION_SOP_CLASS as MCM, mediaCreationScp } from '../../src/services/media-creation';
import { ae, pair, problemsIn, via } from './n-helpers';

const request = { ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3' }], LabelText: 'CD 1' };

describe(`media creation (${via()})`, () => {
  it('create, initiate, status DONE; initiate twice 0xA510; cancel DONE 0xC201; missing references 0x0120', async () => {
    let finish!: () => void;
    const written = new Promise<void>((r) => (finish = r));
    const mcm = mediaCreationScp({ create: () => written });
    const p = await pair(ae('BURNER').addSupportedContext(MCM), mcm, ae('SCU').addRequestedContext(MCM));
    const created = await p.scu.nCreate(MCM, undefined, request);
    expect(created.status).toBe(0);
    expect(created.dataset).toMatchObject({ ExecutionStatus: 'IDLE' });
    const uid = created.sopInstanceUid!;
    expect((await p.scu.nAction(MCM, uid, 1, { RequestPriority: 'HIGH' })).status).toBe(0);
    expect((await p.scu.nAction(MCM, uid, 1, null)).status).toBe(0xa510);
    expect((await p.scu.nGet(MCM, uid, [0x21000020])).dataset).toMatchObject({ ExecutionStatus: 'CREATING' });
    expect((await p.scu.nAction(MCM, uid, 2, null)).status).toBe(0xc202);
    finish();
    await new Promise((r) => setTimeout(r, 20));
    expect((await p.scu.nGet(MCM, uid, [])).dataset).toMatchObject({ ExecutionStatus: 'DONE', LabelText: 'CD 1' });
    expect((await p.scu.nAction(MCM, uid, 2, null)).status).toBe(0xc201);
    const bad = await p.scu.nCreate(MCM, undefined, { LabelText: 'x' });
    expect(bad.status).toBe(0x0120);
    // A request not yet initiated may be cancelled.
    const other = await p.scu.nCreate(MCM, '1.2.77', request);
    expect((await p.scu.nAction(MCM, other.sopInstanceUid!, 2, null)).status).toBe(0);
    expect((await p.scu.nGet(MCM, '1.2.77')).status).toBe(0x0112);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });
});
