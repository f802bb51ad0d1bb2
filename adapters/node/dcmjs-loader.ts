/**
 * dcmjs under Node: loaded synchronously when a data set is first encoded or decoded, not at
 * import (~100–160 ms and ~17 MiB that a process moving data sets without decoding them never
 * needs). See src/dataset/dcmjs-module.ts.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setDcmjsLoader, type Dcmjs } from '../../src/dataset/dcmjs-module';

/** Lets the data set code load dcmjs synchronously on first use. */
export function loadDcmjsOnFirstUse(): void {
  setDcmjsLoader(requireDcmjs);
}

function requireDcmjs(): Dcmjs {
  const require = createRequire(import.meta.url);
  try {
    // dcmjs's ES build through require(esm) (Node >= 20.19, >= 22.12): the same module instance an
    // application's own `import 'dcmjs'` gets, so its dictionary additions are seen here too.
    return require(fileURLToPath(import.meta.resolve('dcmjs'))) as Dcmjs;
  } catch {
    return require('dcmjs') as Dcmjs; // a Node without require(esm): dcmjs's CommonJS build
  }
}
