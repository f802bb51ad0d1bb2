/**
 * The package's default entry (`netdicom` in browsers and bundlers: dist/index.js, and the IIFE):
 * the public API of index.ts with dcmjs imported up front, since a browser has no synchronous way
 * to load it on first use. Under Node, `netdicom` is adapters/node/entry.ts instead, which loads
 * dcmjs only when a data set is first encoded or decoded (src/dataset/dcmjs-module.ts).
 */
import { data, log, utilities } from 'dcmjs';
import { dcmjsParts, provideDcmjs } from './dataset/dcmjs-module';

provideDcmjs(dcmjsParts(data, log, utilities));

export * from './index';
