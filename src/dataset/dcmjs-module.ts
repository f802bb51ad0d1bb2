/**
 * Where the data set code gets dcmjs from. dcmjs is ~1.3 MB of JavaScript: loading it costs
 * ~100–160 ms and ~17 MiB resident, which a process that never encodes or decodes a data set (a
 * storage SCP, a C-ECHO, a router) should not pay. So nothing in src/ imports it statically:
 *
 * - the package's default entry (`src/entry.ts`: browsers and bundlers, which have no synchronous
 *   load) imports it and hands it over with {@link provideDcmjs};
 * - the Node entry registers a synchronous loader ({@link setDcmjsLoader}) that runs on first use;
 * - {@link loadDcmjs} imports it on any platform (the services await it where they start).
 */
import type * as DcmjsNamespace from 'dcmjs';

/** The parts of dcmjs the data set code uses (src/dataset/dcmjs.d.ts). */
export type Dcmjs = typeof DcmjsNamespace;

let dcmjsModule: Dcmjs | undefined;
let loader: (() => Dcmjs) | undefined;

/**
 * The parts of dcmjs the data set code uses, taken one by one from what an entry imported: handing
 * over dcmjs's whole `data` or `utilities` object would make a bundler keep all of it.
 */
export function dcmjsParts(data: Dcmjs['data'], log: Dcmjs['log'], utilities: Dcmjs['utilities']): Dcmjs {
  const { DicomMessage, DicomMetaDictionary, ReadBufferStream, ValueRepresentation, WriteBufferStream } = data;
  const { addAccessors } = utilities;
  return {
    data: { DicomMessage, DicomMetaDictionary, ReadBufferStream, ValueRepresentation, WriteBufferStream },
    log,
    utilities: { addAccessors },
  };
}

/** Hands over an already imported dcmjs (the first one given wins). */
export function provideDcmjs(module: Dcmjs): void {
  dcmjsModule ??= module;
}

/** Registers a synchronous loader, run on first use (the first one registered wins). */
export function setDcmjsLoader(load: () => Dcmjs): void {
  loader ??= load;
}

/** dcmjs, loaded now through the registered loader if need be. */
export function dcmjs(): Dcmjs {
  return dcmjsModule ?? loadNow();
}

function loadNow(): Dcmjs {
  if (!loader) {
    throw new Error("netdicom: dcmjs is not loaded (import the package through its main entry, 'netdicom')");
  }
  return (dcmjsModule = loader());
}

/** Loads dcmjs (once): through the registered loader, else by a dynamic import. */
export async function loadDcmjs(): Promise<Dcmjs> {
  if (dcmjsModule) return dcmjsModule;
  if (loader) return loadNow();
  const { data, log, utilities } = await import('dcmjs'); // destructured: a bundler can still tree-shake it
  provideDcmjs(dcmjsParts(data, log, utilities));
  return dcmjsModule!;
}
