/**
 * SOP Class Extended Negotiation (PS3.7 D.3.3.5) end to end over memory pairs: the requestor
 * proposes service-class-application-information per SOP class, the acceptor's `associate` hook
 * answers it, the A-ASSOCIATE-AC carries the answers, and both sides read what was agreed with
 * `association.extendedNegotiation(uid)`. An acceptor that answers nothing says "not supported".
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { formatNegotiation } from '../../src/acse/explain';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { decodePdu } from '../../src/pdu/decode';
import { encodePdu } from '../../src/pdu/encode';
import type { ScpHandlers } from '../../src/scp/types';

const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const PATIENT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';

/** An acceptor serving `handlers` on one end of a memory pair, and what it saw as an association. */
function acceptor(handlers: ScpHandlers) {
  const [a, b] = createMemoryPair();
  const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(STUDY_FIND).addSupportedContext(PATIENT_FIND).addSupportedContext(CT);
  let accepted: Association | undefined;
  const served = scp.handle(b, { ...handlers, accepted: (assoc) => (accepted = assoc) });
  return { transport: a, served, acceptorSide: () => accepted! };
}

const scu = () => new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND).addRequestedContext(PATIENT_FIND).addRequestedContext(CT);

describe('SOP Class Extended Negotiation (PS3.7 D.3.3.5)', () => {
  it('the acceptor answers what it supports; both sides read the agreed information', async () => {
    const { transport, acceptorSide } = acceptor({
      associate: (rq) => ({
        accept: true,
        // Relational queries (byte 1) refused, combined date-time matching (byte 2) accepted; C-FIND only.
        extendedNegotiations: (rq.userInformation.extendedNegotiations ?? []).filter((e) => e.sopClassUid === STUDY_FIND).map((e) => ({ sopClassUid: e.sopClassUid, info: Uint8Array.of(0, e.info[1] ?? 0) })),
      }),
    });
    const assoc = await scu().associate(transport, {
      calledAeTitle: 'SCP',
      extendedNegotiations: [
        { sopClassUid: STUDY_FIND, info: Uint8Array.of(1, 1) },
        { sopClassUid: PATIENT_FIND, info: Uint8Array.of(1, 1) },
      ],
    });
    expect(assoc.accept.userInformation.extendedNegotiations).toEqual([{ sopClassUid: STUDY_FIND, info: Uint8Array.of(0, 1) }]);
    expect(assoc.extendedNegotiation(STUDY_FIND)).toEqual(Uint8Array.of(0, 1));
    expect(assoc.extendedNegotiation(PATIENT_FIND)).toBeUndefined(); // no answer: not supported
    expect(acceptorSide().extendedNegotiation(STUDY_FIND)).toEqual(Uint8Array.of(0, 1));
    expect(acceptorSide().extendedNegotiation(PATIENT_FIND)).toBeUndefined();
    // The negotiation report says the same, item by item.
    expect(assoc.explain().extendedNegotiations).toEqual([
      { sopClassUid: STUDY_FIND, proposed: Uint8Array.of(1, 1), answered: Uint8Array.of(0, 1) },
      { sopClassUid: PATIENT_FIND, proposed: Uint8Array.of(1, 1), answered: null },
    ]);
    expect(formatNegotiation(acceptorSide().explain())).toMatch(/extended negotiation Study Root .*: proposed \[01 01\], answered \[00 01\]\n.*Patient Root .*: proposed \[01 01\], not answered/);
    await assoc.release();
  });

  it('answers nothing when the hook gives nothing, and drops answers for SOP classes not proposed', async () => {
    const logged: string[] = [];
    const [a, b] = createMemoryPair();
    const scp = new ApplicationEntity({ aeTitle: 'SCP', logger: { debug() {}, info() {}, warn: (m: string) => logged.push(m), error() {} } }).addSupportedContext(STUDY_FIND).addSupportedContext(CT);
    scp.handle(b, {
      associate: () => ({
        accept: true,
        extendedNegotiations: [
          { sopClassUid: CT, info: Uint8Array.of(2) }, // not proposed
          { sopClassUid: STUDY_FIND, info: Uint8Array.of(1) },
          { sopClassUid: STUDY_FIND, info: Uint8Array.of(0) }, // a second answer for one SOP class
        ],
      }),
    });
    const assoc = await new ApplicationEntity({ aeTitle: 'SCU' }).addRequestedContext(STUDY_FIND).addRequestedContext(CT).associate(a, { calledAeTitle: 'SCP', extendedNegotiations: [{ sopClassUid: STUDY_FIND, info: Uint8Array.of(1) }] });
    expect(assoc.accept.userInformation.extendedNegotiations).toEqual([{ sopClassUid: STUDY_FIND, info: Uint8Array.of(1) }]);
    expect(assoc.extendedNegotiation(CT)).toBeUndefined();
    expect(logged.some((m) => m.includes(CT))).toBe(true);
    await assoc.release();

    // Without a hook (or answers) the A-ASSOCIATE-AC has no extended negotiation item at all.
    const plain = acceptor({});
    const other = await scu().associate(plain.transport, { calledAeTitle: 'SCP', extendedNegotiations: [{ sopClassUid: STUDY_FIND, info: Uint8Array.of(1) }] });
    expect(other.accept.userInformation.extendedNegotiations ?? []).toEqual([]);
    expect(other.extendedNegotiation(STUDY_FIND)).toBeUndefined();
    await other.release();
  });

  it('puts the answers in the A-ASSOCIATE-AC bytes (item type 56H)', async () => {
    const [a, b] = createMemoryPair();
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(STUDY_FIND);
    scp.handle(b, { associate: (rq) => ({ accept: true, extendedNegotiations: rq.userInformation.extendedNegotiations }) });
    // A raw requestor: the A-ASSOCIATE-RQ written by hand, the A-ASSOCIATE-AC read as bytes.
    const reader = a.readable.getReader();
    const writer = a.writable.getWriter();
    await writer.write(
      encodePdu({
        type: 'A-ASSOCIATE-RQ',
        protocolVersion: 1,
        calledAeTitle: 'SCP',
        callingAeTitle: 'RAW',
        applicationContextName: '1.2.840.10008.3.1.1.1',
        presentationContexts: [{ id: 1, abstractSyntax: STUDY_FIND, transferSyntaxes: ['1.2.840.10008.1.2'] }],
        userInformation: { maxLength: 16384, implementationClassUid: '1.2.3', extendedNegotiations: [{ sopClassUid: STUDY_FIND, info: Uint8Array.of(1, 1, 0) }] },
      }),
    );
    let bytes = new Uint8Array(0);
    while (bytes.length < 6 || bytes.length < 6 + new DataView(bytes.buffer).getUint32(2)) {
      const { value } = await reader.read();
      const next = new Uint8Array(bytes.length + value!.length);
      next.set(bytes);
      next.set(value!, bytes.length);
      bytes = next;
    }
    const ac = decodePdu(bytes);
    expect(ac.type).toBe('A-ASSOCIATE-AC');
    expect(ac.type === 'A-ASSOCIATE-AC' && ac.userInformation.extendedNegotiations).toEqual([{ sopClassUid: STUDY_FIND, info: Uint8Array.of(1, 1, 0) }]);
    // The item itself: 56H, reserved, length, UID length, UID, the information.
    const uid = new TextEncoder().encode(STUDY_FIND);
    const item = [0x56, 0, 0, 2 + uid.length + 3, 0, uid.length, ...uid, 1, 1, 0];
    expect(Buffer.from(bytes).includes(Buffer.from(item))).toBe(true);
    await writer.abort();
  });
});
