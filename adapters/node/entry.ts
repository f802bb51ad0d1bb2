/**
 * The package's main entry under Node (`netdicom` with the "node" export condition:
 * dist/index-node.js): the same public API as src/entry.ts, with dcmjs loaded when a data set is
 * first encoded or decoded instead of at import.
 */
import { loadDcmjsOnFirstUse } from './dcmjs-loader';

loadDcmjsOnFirstUse();

export * from '../../src/index';
