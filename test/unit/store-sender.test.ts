/**
 * storescu's engine without the CLI: meta-only planning, streaming from disk, failures reported
 * per file, into an fs-store over memory pairs.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { createFsStore } from '../../adapters/node/fs-store';
import { connectTcp, listenTcp } from '../../adapters/node/index';
import { listFiles, readPart10Header, type Part10Header } from '../../adapters/cli/part10-file';
import { planBatches, sendFiles, type PlannedContext } from '../../adapters/cli/store-sender';
import { ApplicationEntity } from '../../src/ae';
import { readPart10 } from '../../src/dataset/codec';
import { sha256 } from '../helpers/bytes';
import { CT_IMAGE_STORAGE as CT, EXPLICIT_LE, IMPLICIT_LE, MR_IMAGE_STORAGE as MR, ctPart10 } from '../helpers/ct-instance';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'netdicom-sender-'));
  dirs.push(d);
  return d;
}

/** sendFiles's makeAe: an SCU proposing the planned contexts. */
function scuWith(contexts: readonly PlannedContext[]): ApplicationEntity {
  const ae = new ApplicationEntity({ aeTitle: 'SCU' });
  for (const c of contexts) ae.addRequestedContext(c.abstractSyntax, c.transferSyntaxes);
  return ae;
}

function header(i: number, sopClassUid: string, transferSyntaxUid: string): Part10Header {
  return { path: `f${i}`, size: 0, sopClassUid, sopInstanceUid: `1.${i}`, transferSyntaxUid, datasetOffset: 0 };
}

describe('planBatches', () => {
  it('one context per (class, syntax) plus an uncompressed fallback per class', () => {
    const [batch, ...rest] = planBatches([header(1, CT, EXPLICIT_LE), header(2, CT, IMPLICIT_LE), header(3, MR, '1.2.840.10008.1.2.4.50')]);
    expect(rest).toEqual([]);
    expect(batch!.contexts).toEqual([
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
      { abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE] },
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
      { abstractSyntax: MR, transferSyntaxes: ['1.2.840.10008.1.2.4.50'] },
    ]);
  });

  it('keeps the files of a batch in the order given (storescu halts at the first failure on the command line, as DCMTK)', () => {
    const files = [header(1, CT, EXPLICIT_LE), header(2, MR, EXPLICIT_LE), header(3, CT, EXPLICIT_LE), header(4, MR, EXPLICIT_LE)];
    const [batch] = planBatches(files);
    expect(batch!.files.map((f) => f.path)).toEqual(['f1', 'f2', 'f3', 'f4']);
  });

  it('splits into several associations beyond 128 contexts', () => {
    const files = Array.from({ length: 100 }, (_, i) => header(i, `1.2.3.${i}`, EXPLICIT_LE));
    const batches = planBatches(files);
    expect(batches.length).toBe(2);
    for (const b of batches) expect(b.contexts.length).toBeLessThanOrEqual(128);
    expect(batches.flatMap((b) => b.files)).toHaveLength(100);
  });
});

describe('listFiles', () => {
  it('follows symbolic links to files, warns about broken ones, and walks a linked folder once (no loop)', async () => {
    const src = tempDir();
    const outside = tempDir();
    writeFileSync(path.join(src, 'a.dcm'), 'a');
    writeFileSync(path.join(outside, 'x.dcm'), 'x');
    symlinkSync(path.join(outside, 'x.dcm'), path.join(src, 'link.dcm'));
    symlinkSync(path.join(outside, 'missing.dcm'), path.join(src, 'broken.dcm'));
    mkdirSync(path.join(src, 'sub'));
    writeFileSync(path.join(src, 'sub', 'c.dcm'), 'c');
    symlinkSync(src, path.join(src, 'sub', 'loop')); // a link to an ancestor
    symlinkSync(path.join(src, 'sub'), path.join(src, 'sub-link')); // the same folder again
    const list = async (recursive: boolean) => {
      const warnings: string[] = [];
      const files = await listFiles([src], recursive, (w) => warnings.push(w));
      return { files: files.map((f) => path.relative(src, f)), warnings };
    };
    const broken = [`no such file or directory: ${path.join(src, 'broken.dcm')}`];
    expect(await list(false)).toEqual({ files: ['a.dcm', 'link.dcm'], warnings: broken });
    expect(await list(true)).toEqual({ files: ['a.dcm', 'link.dcm', path.join('sub', 'c.dcm')], warnings: broken });
  });
  it('leaves out hidden files in folders (an index, temporary files), not a hidden file named on its own', async () => {
    const src = tempDir();
    writeFileSync(path.join(src, 'a.dcm'), 'a');
    writeFileSync(path.join(src, '.netdicom-qr.sqlite'), 'index');
    mkdirSync(path.join(src, '.hidden-folder'));
    writeFileSync(path.join(src, '.hidden-folder', 'b.dcm'), 'b');
    const warnings: string[] = [];
    expect((await listFiles([src], true, (w) => warnings.push(w))).map((f) => path.relative(src, f))).toEqual(['a.dcm']);
    expect(await listFiles([path.join(src, '.netdicom-qr.sqlite')], false, (w) => warnings.push(w))).toEqual([path.join(src, '.netdicom-qr.sqlite')]);
    expect(warnings).toEqual([]);
  });
});

describe('sendFiles when no association can be made', () => {
  it('fails every file not sent with that error after one attempt, not one attempt per file (batches too)', async () => {
    const files = Array.from({ length: 100 }, (_, i) => header(i, `1.2.3.${i}`, EXPLICIT_LE)); // two batches
    let attempts = 0;
    const results = await sendFiles(planBatches(files), {
      makeAe: scuWith,
      connect: () => (attempts++, Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'))),
      associate: { calledAeTitle: 'SCP' },
    });
    expect(attempts).toBe(1);
    expect(results).toHaveLength(100);
    expect(results.every((r) => !r.ok && r.error === 'association failed: connect ECONNREFUSED 127.0.0.1:1')).toBe(true);
    expect(results.map((r) => r.file.path)).toEqual(files.map((f) => f.path));
  });
});

describe('sendFiles into an fs-store', () => {
  it('streams files from disk; the received data sets are identical; failures go on', async () => {
    const src = tempDir();
    const datasets = new Map<string, string>();
    for (let i = 1; i <= 6; i++) {
      const uid = `1.2.826.0.1.3680043.9.7433.4.${i}`;
      const ts = i % 2 ? EXPLICIT_LE : IMPLICIT_LE;
      const { file, dataset } = ctPart10({ sopInstanceUid: uid, transferSyntaxUid: ts, rows: 64 * i, columns: 64, sopClassUid: i === 6 ? MR : CT });
      writeFileSync(path.join(src, `${i}.dcm`), file);
      datasets.set(uid, sha256(dataset));
    }
    writeFileSync(path.join(src, 'README.txt'), 'not dicom');
    const warnings: string[] = [];
    const headers: Part10Header[] = [];
    for (const f of await listFiles([src, path.join(src, 'missing')], false, (w) => warnings.push(w))) {
      await readPart10Header(f).then((h) => headers.push(h), (e) => warnings.push(`${f}: ${e.message}`));
    }
    expect(headers).toHaveLength(6);
    expect(warnings).toHaveLength(2);

    const out = tempDir();
    const store = createFsStore({ directory: out, fsync: false });
    // The SCP accepts CT only: the MR file must fail alone.
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, [EXPLICIT_LE, IMPLICIT_LE]);
    let bytes = 0;
    const results = await sendFiles(planBatches(headers), {
      makeAe: scuWith,
      connect: async () => {
        const [a, b] = createMemoryPair();
        void scp.handle(b, { cStore: store.cStore });
        return a;
      },
      associate: { calledAeTitle: 'SCP' },
      onBytes: (n) => (bytes += n),
    });
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.file.sopClassUid)).toEqual([MR]);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(5);
    for (const f of files) {
      const p = readPart10(new Uint8Array(readFileSync(path.join(out, f))));
      expect(sha256(p.dataset)).toBe(datasets.get(p.sopInstanceUid));
    }
    expect(bytes).toBe(headers.filter((h) => h.sopClassUid === CT).reduce((n, h) => n + h.size - h.datasetOffset, 0));
  });

  it('reads the next file ahead and closes every file it opened, also when the peer aborts mid-batch', async () => {
    const src = tempDir();
    const headers: Part10Header[] = [];
    for (let i = 1; i <= 5; i++) {
      const { file } = ctPart10({ sopInstanceUid: `1.2.826.0.1.3680043.9.7433.5.${i}`, transferSyntaxUid: EXPLICIT_LE, rows: 256, columns: 256 });
      writeFileSync(path.join(src, `${i}.dcm`), file);
      headers.push(await readPart10Header(path.join(src, `${i}.dcm`)));
    }
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
    let stores = 0;
    const scp = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(CT, [EXPLICIT_LE]);
    const serving = (async () => {
      for await (const t of listener) {
        void scp.handle(t, {
          async cStore(request, ctx) {
            await request.bytes();
            if (++stores === 2) {
              await listener.close(); // no second association
              void ctx.association.abort();
            }
            return 0;
          },
        });
      }
    })();
    let read = 0;
    const readAtResult: number[] = [];
    const results = await sendFiles(planBatches(headers), {
      makeAe: scuWith,
      connect: () => connectTcp({ host: '127.0.0.1', port: listener.port }),
      associate: { calledAeTitle: 'SCP' },
      onBytes: (n) => (read += n),
      onResult: () => readAtResult.push(read),
    });
    await serving;
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false]);
    // When the first file's response came, the second file had been read already (read ahead).
    const dataBytes = headers[0]!.size - headers[0]!.datasetOffset;
    expect(readAtResult[0]).toBe(2 * dataBytes);
    await new Promise((r) => setTimeout(r, 50));
    expect(fds(), 'no file (or socket) left open').toBe(before);
  });
});

