/**
 * Substance Administration Query Service Class (PS3.4 Annex V): C-FIND of Product
 * Characteristics (what a package bar code is) and Substance Approval (may this patient receive
 * it by this route). The generic C-FIND carries both; this module names the SOP classes, checks
 * the keys each model requires, and routes an SCP's queries by model.
 */
import type { Association } from '../association';
import type { FindAnswer, QueryRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { FindOptions, FindResult } from '../scu/find';
import type { Dataset } from '../scu/types';
import { stringValue } from './n-attributes';

/** Product Characteristics Query SOP Class (PS3.4 V.6.1). */
export const PRODUCT_CHARACTERISTICS_QUERY_SOP_CLASS = '1.2.840.10008.5.1.4.41';
/** Substance Approval Query SOP Class (PS3.4 V.6.2). */
export const SUBSTANCE_APPROVAL_QUERY_SOP_CLASS = '1.2.840.10008.5.1.4.42';

type Matches = AsyncIterable<FindAnswer> | Iterable<FindAnswer>;

/**
 * Options of {@link substanceAdministrationQueryScp}: one C-FIND callback per query model (PS3.4
 * Annex V); a query on a model without its callback fails with 0xC000.
 */
export interface SubstanceAdministrationQueryScpOptions {
  /** Answers Product Characteristics queries (Product Package Identifier is always a key). */
  productCharacteristics?(query: QueryRequest, ctx: RequestContext): Matches;
  /** Answers Substance Approval queries (patient, product and route are always keys). */
  substanceApproval?(query: QueryRequest, ctx: RequestContext): Matches;
}

/**
 * Why an identifier does not meet its model's required matching keys (PS3.4 V.6.1.2, V.6.2.2),
 * or undefined when it does: Product Package Identifier (0044,0001) with a value in both; for
 * Substance Approval also Patient ID or Admission ID, and Administration Route Code Sequence.
 */
export function substanceQueryProblem(sopClassUid: string, identifier: Dataset): string | undefined {
  const has = (k: string) => (stringValue(identifier, k) ?? '').trim() !== '';
  if (!has('ProductPackageIdentifier')) return 'Product Package Identifier is a required key';
  if (sopClassUid !== SUBSTANCE_APPROVAL_QUERY_SOP_CLASS) return undefined;
  if (!has('PatientID') && !has('AdmissionID')) return 'Patient ID or Admission ID is a required key';
  if (!Array.isArray(identifier.AdministrationRouteCodeSequence)) return 'Administration Route Code Sequence is a required key';
  return undefined;
}

/**
 * SCP: a C-FIND handler for both models. A query the SCP cannot answer fails with 0xC000
 * (PS3.4 V: unable to process) and an Error Comment saying why: a model without its callback,
 * or an identifier without the keys the model requires.
 */
export function substanceAdministrationQueryScp(options: SubstanceAdministrationQueryScpOptions): Pick<ScpHandlers, 'cFind'> {
  return {
    cFind(query, ctx) {
      const answer =
        query.sopClassUid === PRODUCT_CHARACTERISTICS_QUERY_SOP_CLASS ? options.productCharacteristics
        : query.sopClassUid === SUBSTANCE_APPROVAL_QUERY_SOP_CLASS ? options.substanceApproval
        : undefined;
      // The C-FIND SCP turns a thrown error into a failure status with the message as Error Comment.
      if (!answer) throw new Error(`query model ${query.sopClassUid} not supported here`);
      const problem = substanceQueryProblem(query.sopClassUid, query.identifier);
      if (problem) throw new Error(problem);
      return answer(query, ctx);
    },
  };
}

/** SCU: C-FIND Product Characteristics (PS3.4 V.6.1): `query` names the Product Package Identifier and the return keys. */
export function queryProductCharacteristics(association: Association, query: Dataset, options: Omit<FindOptions, 'model'> = {}): AsyncGenerator<FindResult> {
  return association.cFind(query, { ...options, model: PRODUCT_CHARACTERISTICS_QUERY_SOP_CLASS });
}

/** SCU: C-FIND Substance Approval (PS3.4 V.6.2): patient, product and route as keys; the answers carry the approval. */
export function querySubstanceApproval(association: Association, query: Dataset, options: Omit<FindOptions, 'model'> = {}): AsyncGenerator<FindResult> {
  return association.cFind(query, { ...options, model: SUBSTANCE_APPROVAL_QUERY_SOP_CLASS });
}
