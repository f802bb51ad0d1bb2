/**
 * Query/Retrieve and Worklist information models (PS3.4 Annex C, K) by short name.
 */

/** Short names for the information models; a full SOP class UID is accepted too. */
export type QueryModel = 'patient' | 'study' | 'psonly' | 'composite' | 'worklist' | (string & {});

const FIND: Record<string, string> = {
  patient: '1.2.840.10008.5.1.4.1.2.1.1',
  study: '1.2.840.10008.5.1.4.1.2.2.1',
  psonly: '1.2.840.10008.5.1.4.1.2.3.1',
  worklist: '1.2.840.10008.5.1.4.31',
};
const MOVE: Record<string, string> = {
  patient: '1.2.840.10008.5.1.4.1.2.1.2',
  study: '1.2.840.10008.5.1.4.1.2.2.2',
  psonly: '1.2.840.10008.5.1.4.1.2.3.2',
  composite: '1.2.840.10008.5.1.4.1.2.4.2',
};
const GET: Record<string, string> = {
  patient: '1.2.840.10008.5.1.4.1.2.1.3',
  study: '1.2.840.10008.5.1.4.1.2.2.3',
  psonly: '1.2.840.10008.5.1.4.1.2.3.3',
  composite: '1.2.840.10008.5.1.4.1.2.4.3',
};

/** The SOP class UID of `model` for an operation. */
export function queryModelUid(model: QueryModel, operation: 'find' | 'get' | 'move'): string {
  const table = operation === 'find' ? FIND : operation === 'get' ? GET : MOVE;
  const uid = table[model] ?? (model.includes('.') ? model : undefined);
  if (!uid) throw new RangeError(`no ${operation.toUpperCase()} information model named '${model}'`);
  return uid;
}
