/**
 * Substance Administration Query (PS3.4 Annex V) over memory pairs (and over TCP:
 * substance-administration-query-tcp.test.ts): the generic C-FIND carries both models; the
 * module's SCP routes them and refuses identifiers without the required keys.
 */
import { describe, expect, it } from 'vitest';
import type { FindResult } from '../../src/scu/find';
import type { Dataset } from '../../src/scu/types';
import {
  PRODUCT_CHARACTERISTICS_QUERY_SOP_CLASS as PCQ,
  SUBSTANCE_APPROVAL_QUERY_SOP_CLASS as SAQ,
  queryProductCharacteristics,
  querySubstanceApproval,
  substanceAdministrationQueryScp,
  substanceQueryProblem,
} from '../../src/services/substance-administration-query';
import { ae, pair, problemsIn, via } from './n-helpers';

const collect = async (it: AsyncGenerator<FindResult>) => {
  const out: FindResult[] = [];
  for await (const r of it) out.push(r);
  return out;
};
const route = [{ CodeValue: '47625008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Intravenous route' }];
const products: Dataset[] = [
  { ProductPackageIdentifier: 'PKG-0042', ProductName: 'Iodinated contrast 350', Manufacturer: 'ACME' },
  { ProductPackageIdentifier: 'PKG-0043', ProductName: 'Gadolinium agent', Manufacturer: 'ACME' },
];

describe(`Substance Administration Query (${via()})`, () => {
  it('Product Characteristics and Substance Approval C-FIND: matches then success; the SCP saw the model and keys', async () => {
    const seen: string[] = [];
    const p = await pair(
      ae('PHARMACY').addSupportedContext(PCQ).addSupportedContext(SAQ),
      substanceAdministrationQueryScp({
        *productCharacteristics(query) {
          seen.push(query.sopClassUid);
          yield* products.filter((x) => x.ProductPackageIdentifier === query.identifier.ProductPackageIdentifier);
        },
        *substanceApproval(query) {
          seen.push(query.sopClassUid);
          yield { PatientID: query.identifier.PatientID, ProductPackageIdentifier: 'PKG-0042', SubstanceAdministrationApproval: 'APPROVED' };
        },
      }),
      ae('INJECTOR').addRequestedContext(PCQ).addRequestedContext(SAQ),
    );
    const found = await collect(queryProductCharacteristics(p.scu, { ProductPackageIdentifier: 'PKG-0042', ProductName: '', Manufacturer: '' }));
    expect(found.map((r) => r.status)).toEqual([0xff00, 0x0000]);
    expect(found[0]!.identifier).toMatchObject({ ProductName: 'Iodinated contrast 350' });
    const approval = await collect(querySubstanceApproval(p.scu, { PatientID: 'P1', ProductPackageIdentifier: 'PKG-0042', AdministrationRouteCodeSequence: route, SubstanceAdministrationApproval: '' }));
    expect(approval.map((r) => r.status)).toEqual([0xff00, 0x0000]);
    expect(approval[0]!.identifier).toMatchObject({ SubstanceAdministrationApproval: 'APPROVED' });
    await p.scu.release();
    expect(seen).toEqual([PCQ, SAQ]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('failures: missing required keys and an unsupported model end with 0xC000 and an Error Comment, no matches', async () => {
    const p = await pair(
      ae('PHARMACY').addSupportedContext(PCQ).addSupportedContext(SAQ),
      substanceAdministrationQueryScp({ productCharacteristics: () => products }),
      ae('INJECTOR').addRequestedContext(PCQ).addRequestedContext(SAQ),
    );
    const noPackage = await collect(queryProductCharacteristics(p.scu, { ProductName: 'x' }));
    expect(noPackage.map((r) => [r.status, r.command.ErrorComment])).toEqual([[0xc000, 'Product Package Identifier is a required key']]);
    const unsupported = await collect(querySubstanceApproval(p.scu, { PatientID: 'P1', ProductPackageIdentifier: 'PKG-0042', AdministrationRouteCodeSequence: route }));
    expect(unsupported.map((r) => r.status)).toEqual([0xc000]);
    expect(unsupported[0]!.command.ErrorComment).toMatch(/not supported/);
    await p.scu.release();
    expect(substanceQueryProblem(SAQ, { ProductPackageIdentifier: 'PKG-0042', AdministrationRouteCodeSequence: route })).toMatch(/Patient ID or Admission ID/);
    expect(substanceQueryProblem(SAQ, { AdmissionID: 'A1', ProductPackageIdentifier: 'PKG-0042' })).toMatch(/Administration Route/);
    expect(substanceQueryProblem(SAQ, { AdmissionID: 'A1', ProductPackageIdentifier: 'PKG-0042', AdministrationRouteCodeSequence: route })).toBeUndefined();
  });
});
