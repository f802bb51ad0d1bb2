/**
 * Media Creation Management (PS3.4 Annex S) over a memory pair.
 */
import { describe, expect, it } from 'vitest';
import { ApplicationEntity } from '../../src/ae';
import { MEDIA_CREATION_SOP_CLASS as MCM, mediaCreationScp } from '../../src/services/media-creation';
import { ae, pair, problemsIn, via } from './n-helpers';

const request = { ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3' }], LabelText: 'CD 1' };

describe(`media creation (${via()})`, () => {
  it('create, initiate, status DONE; initiate twice 0xA510; cancel DONE 0xC201; missing references 0x0120, an empty sequence 0x0121', async () => {
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
    // PS3.7 C.5.13: Referenced SOP Sequence named in the Attribute Identifier List and in Offending Element.
    expect([bad.status, bad.command.AttributeIdentifierList, bad.command.OffendingElement]).toEqual([0x0120, [0x00081199], [0x00081199]]);
    // Present without an item: Missing Attribute Value (C.5.14).
    const empty = await p.scu.nCreate(MCM, undefined, { LabelText: 'x', ReferencedSOPSequence: [] });
    expect([empty.status, empty.command.AttributeIdentifierList]).toEqual([0x0121, [0x00081199]]);
    // A request not yet initiated may be cancelled.
    const other = await p.scu.nCreate(MCM, '1.2.77', request);
    expect((await p.scu.nAction(MCM, other.sopInstanceUid!, 2, null)).status).toBe(0);
    expect((await p.scu.nGet(MCM, '1.2.77')).status).toBe(0x0112);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('a failed create: Execution Status Info is a Defined Term (PROC_FAILURE, or the error\'s executionStatusInfo), the message is logged', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void logged.push(m) };
    const failures = [new Error('disc tray jammed on drive 2'), Object.assign(new Error('no blank DVDs left'), { executionStatusInfo: 'OUT_OF_SUPPLIES' })];
    const mcm = mediaCreationScp({ create: () => Promise.reject(failures.shift()) });
    const p = await pair(new ApplicationEntity({ aeTitle: 'BURNER', logger }).addSupportedContext(MCM), mcm, ae('SCU').addRequestedContext(MCM));
    const cases: Array<[uid: string, info: string]> = [['1.2.81', 'PROC_FAILURE'], ['1.2.82', 'OUT_OF_SUPPLIES']];
    for (const [uid, info] of cases) {
      expect((await p.scu.nCreate(MCM, uid, request)).status).toBe(0);
      expect((await p.scu.nAction(MCM, uid, 1, null)).status).toBe(0);
      await new Promise((r) => setTimeout(r, 20));
      expect((await p.scu.nGet(MCM, uid, [0x21000020, 0x21000030])).dataset).toMatchObject({ ExecutionStatus: 'FAILURE', ExecutionStatusInfo: info });
    }
    expect(logged).toEqual([expect.stringContaining('disc tray jammed on drive 2'), expect.stringContaining('no blank DVDs left')]);
    await p.scu.release();
  });

  it('N-ACTION names the Media Creation Management class like N-CREATE and N-GET: another class is 0x0118 and the request is not touched', async () => {
    const OTHER = '1.2.840.10008.5.1.1.1'; // Basic Film Session: negotiated here only to carry the wrong class
    const created: string[] = [];
    const mcm = mediaCreationScp({ create: async (r) => void created.push(String(r.SOPInstanceUID)) });
    const p = await pair(ae('BURNER').addSupportedContext(MCM).addSupportedContext(OTHER), mcm, ae('SCU').addRequestedContext(MCM).addRequestedContext(OTHER));
    expect((await p.scu.nCreate(MCM, '1.2.84', request)).status).toBe(0);
    expect((await p.scu.nAction(OTHER, '1.2.84', 1, null)).status).toBe(0x0118);
    expect((await p.scu.nAction(OTHER, '1.2.84', 2, null)).status).toBe(0x0118);
    expect(mcm.store.get('1.2.84')).toMatchObject({ ExecutionStatus: 'IDLE' });
    // The same request through its own class is initiated.
    expect((await p.scu.nAction(MCM, '1.2.84', 1, null)).status).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(created).toEqual(['1.2.84']);
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('SOP Class/Instance UIDs in the initiate Action Information do not rename the request', async () => {
    const mcm = mediaCreationScp({ create: async () => undefined });
    const p = await pair(ae('BURNER').addSupportedContext(MCM), mcm, ae('SCU').addRequestedContext(MCM));
    expect((await p.scu.nCreate(MCM, '1.2.83', request)).status).toBe(0);
    expect((await p.scu.nAction(MCM, '1.2.83', 1, { SOPInstanceUID: '9.9', SOPClassUID: '1.2.3', RequestPriority: 'LOW' })).status).toBe(0);
    expect(mcm.store.get('1.2.83')).toMatchObject({ SOPClassUID: MCM, SOPInstanceUID: '1.2.83', RequestPriority: 'LOW' });
    await p.scu.release();
  });
});
