import { describe, expect, it } from 'vitest';
import { ContextResult } from '../../src/acse/contexts';
import { answerAsyncOps, answerContexts, contextsFromAc, proposeContexts } from '../../src/acse/negotiate';
import type { AssociateAcPdu, AssociateRqPdu } from '../../src/pdu/types';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const US = '1.2.840.10008.5.1.4.1.1.6.1';
const ECHO = '1.2.840.10008.1.1';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG = '1.2.840.10008.1.2.4.50';

function rqWith(requested: Parameters<typeof proposeContexts>[0]): AssociateRqPdu {
  const { contexts, roles } = proposeContexts(requested);
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'SCP',
    callingAeTitle: 'SCU',
    applicationContextName: '1.2.840.10008.3.1.1.1',
    presentationContexts: contexts,
    userInformation: { maxLength: 16384, roleSelections: roles },
  };
}

describe('presentation context negotiation', () => {
  it('numbers contexts 1, 3, 5 and refuses more than 128', () => {
    const { contexts } = proposeContexts([ECHO, CT, MR].map((a) => ({ abstractSyntax: a, transferSyntaxes: [IMPLICIT] })));
    expect(contexts.map((c) => c.id)).toEqual([1, 3, 5]);
    const many = Array.from({ length: 129 }, () => ({ abstractSyntax: CT, transferSyntaxes: [IMPLICIT] }));
    expect(() => proposeContexts(many)).toThrow(RangeError);
  });

  it('gives every result: acceptance, user rejection, abstract and transfer syntax not supported', () => {
    const rq = rqWith([
      { abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: CT, transferSyntaxes: [JPEG] },
      { abstractSyntax: MR, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: US, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: '1.2.3.4', transferSyntaxes: [IMPLICIT] },
    ]);
    const { answers, contexts } = answerContexts(rq, {
      supported: [ECHO, CT, MR, US].map((a) => ({ abstractSyntax: a, transferSyntaxes: [EXPLICIT, IMPLICIT] })),
      decide: (pc) => (pc.abstractSyntax === MR ? ContextResult.userRejection : pc.abstractSyntax === US ? ContextResult.noReason : undefined),
    });
    expect(answers.map((a) => a.result)).toEqual([0, 4, 1, 2, 3]);
    expect(answers[0]!.transferSyntax).toBe(IMPLICIT);
    expect(contexts.filter((c) => c.result === 0).map((c) => c.abstractSyntax)).toEqual([ECHO]);
  });

  it("chooses the transfer syntax by the acceptor's preference, not the requestor's order", () => {
    const rq = rqWith([{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT, EXPLICIT, JPEG] }]);
    const a = answerContexts(rq, { supported: [{ abstractSyntax: CT, transferSyntaxes: [JPEG, EXPLICIT] }] });
    expect(a.answers[0]!.transferSyntax).toBe(JPEG);
    const b = answerContexts(rq, { supported: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT, IMPLICIT] }] });
    expect(b.answers[0]!.transferSyntax).toBe(EXPLICIT);
  });

  it('accepts any storage SOP class when unrestricted storage is on', () => {
    const rq = rqWith([{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT] }, { abstractSyntax: '1.2.3', transferSyntaxes: [IMPLICIT] }]);
    const { answers } = answerContexts(rq, {
      supported: [],
      acceptAnyStorage: { transferSyntaxes: [IMPLICIT], isStorage: (uid) => uid === CT },
    });
    expect(answers.map((a) => a.result)).toEqual([0, 3]);
  });

  describe('SCP/SCU role selection (PS3.7 D.3.3.4)', () => {
    const cases: [string, { scuRole?: boolean; scpRole?: boolean }, { scuRole?: boolean; scpRole?: boolean }, [boolean, boolean], boolean][] = [
      // name, proposed, acceptor policy, [requestorIsScu, requestorIsScp], role item in AC
      ['no proposal: default roles', {}, { scuRole: true, scpRole: true }, [true, false], false],
      ['proposed SCP only, acceptor allows SCP', { scuRole: false, scpRole: true }, { scpRole: true }, [false, true], true],
      ['proposed both, acceptor allows both', { scuRole: true, scpRole: true }, { scuRole: true, scpRole: true }, [true, true], true],
      ['proposed both, acceptor allows SCU only', { scuRole: true, scpRole: true }, { scuRole: true, scpRole: false }, [true, false], true],
      ['proposed, acceptor has no role policy: defaults', { scuRole: true, scpRole: true }, {}, [true, false], false],
      ['proposed SCP, acceptor refuses both', { scuRole: false, scpRole: true }, { scuRole: false, scpRole: false }, [false, false], true],
      // A role the acceptor leaves unset keeps its default (Table D.3-11): SCU accepted, SCP refused.
      ['proposed both (DCMTK SCU+SCP), acceptor sets only SCP: the SCU role is kept', { scuRole: true, scpRole: true }, { scpRole: true }, [true, true], true],
      ['proposed both, acceptor refuses only SCP: the SCU role is kept', { scuRole: true, scpRole: true }, { scpRole: false }, [true, false], true],
      ['proposed both, acceptor sets only SCU: the SCP role is not granted', { scuRole: true, scpRole: true }, { scuRole: true }, [true, false], true],
      ['proposed SCP only, acceptor sets only SCU: nothing granted that was not proposed', { scuRole: false, scpRole: true }, { scuRole: true }, [false, false], true],
    ];
    for (const [name, proposed, policy, [isScu, isScp], hasItem] of cases) {
      it(name, () => {
        const rq = rqWith([{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT], ...proposed }]);
        const acceptor = answerContexts(rq, { supported: [{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT], ...policy }] });
        expect(acceptor.roles.length > 0).toBe(hasItem);
        expect([acceptor.contexts[0]!.requestorIsScu, acceptor.contexts[0]!.requestorIsScp]).toEqual([isScu, isScp]);
        const ac: AssociateAcPdu = {
          type: 'A-ASSOCIATE-AC',
          protocolVersion: 1,
          calledAeTitle: 'SCP',
          callingAeTitle: 'SCU',
          applicationContextName: '1.2.840.10008.3.1.1.1',
          presentationContexts: acceptor.answers,
          userInformation: { roleSelections: acceptor.roles },
        };
        const requestor = contextsFromAc(rq, ac);
        expect([requestor[0]!.requestorIsScu, requestor[0]!.requestorIsScp]).toEqual([isScu, isScp]);
      });
    }
  });

  it('treats an AC transfer syntax that was not proposed, or a missing answer, as not accepted', () => {
    const rq = rqWith([{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT] }, { abstractSyntax: MR, transferSyntaxes: [IMPLICIT] }]);
    const ac: AssociateAcPdu = {
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'SCP',
      callingAeTitle: 'SCU',
      applicationContextName: '1.2.840.10008.3.1.1.1',
      presentationContexts: [{ id: 1, result: 0, transferSyntax: JPEG }, { id: 7, result: 0, transferSyntax: IMPLICIT }],
      userInformation: {},
    };
    const contexts = contextsFromAc(rq, ac);
    expect(contexts.map((c) => c.result === 0)).toEqual([false, false]);
  });

  it('answers the asynchronous operations window with no more than proposed', () => {
    expect(answerAsyncOps(undefined, { maxInvoked: 1, maxPerformed: 1 })).toBeUndefined();
    expect(answerAsyncOps({ maxInvoked: 5, maxPerformed: 0 }, { maxInvoked: 1, maxPerformed: 1 })).toEqual({ maxInvoked: 1, maxPerformed: 1 });
    expect(answerAsyncOps({ maxInvoked: 0, maxPerformed: 0 }, { maxInvoked: 4, maxPerformed: 8 })).toEqual({ maxInvoked: 8, maxPerformed: 4 });
  });
});
