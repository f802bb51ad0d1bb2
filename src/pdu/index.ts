/** PDU codec (PS3.8 §9.3, Annex D) and incremental reader. */
export * from './constants';
export { checkPduHeader, checkPduType, decodePdu, effectiveMaxPduLength, readPduHeader, type PduHeader } from './decode';
export { encodePdu } from './encode';
export { PduReader } from './reader';
export type * from './types';
