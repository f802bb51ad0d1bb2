/**
 * src/dataset/dcmjs-module.ts: where the data set code gets dcmjs (provided, loaded on first use,
 * or imported by the services). Each case runs on a fresh module graph: the setup file has
 * already provided dcmjs to the shared one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as dcmjs from 'dcmjs';

type Holder = typeof import('../../src/dataset/dcmjs-module');
let holder: Holder;

beforeEach(async () => {
  vi.resetModules();
  holder = await import('../../src/dataset/dcmjs-module');
});

describe('dcmjs holder', () => {
  it('with nothing provided or registered, a synchronous use is a clear error', () => {
    expect(() => holder.dcmjs()).toThrow(/dcmjs is not loaded.*'netdicom'/);
  });

  it('runs a registered loader once, on first use; the first loader registered wins', () => {
    const first = vi.fn(() => dcmjs);
    const second = vi.fn(() => dcmjs);
    holder.setDcmjsLoader(first);
    holder.setDcmjsLoader(second);
    expect(first).not.toHaveBeenCalled();
    expect(holder.dcmjs()).toBe(dcmjs);
    expect(holder.dcmjs()).toBe(dcmjs);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).not.toHaveBeenCalled();
  });

  it('a provided module is used without running the loader', () => {
    const loader = vi.fn(() => dcmjs);
    holder.setDcmjsLoader(loader);
    holder.provideDcmjs(dcmjs);
    expect(holder.dcmjs()).toBe(dcmjs);
    expect(loader).not.toHaveBeenCalled();
  });

  it('loadDcmjs() imports dcmjs when nothing is provided (a platform without a synchronous loader)', async () => {
    const loaded = await holder.loadDcmjs();
    expect(loaded.data.DicomMetaDictionary.nameMap.PatientID?.tag).toBe('(0010,0020)');
    expect(holder.dcmjs()).toBe(loaded);
  });

  it('loadDcmjs() uses the registered loader rather than a second import', async () => {
    const loader = vi.fn(() => dcmjs);
    holder.setDcmjsLoader(loader);
    expect(await holder.loadDcmjs()).toBe(dcmjs);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it("the services' loadCodec() makes the synchronous codec usable on a fresh graph", async () => {
    const lazy = await import('../../src/dataset/lazy');
    expect(() => lazy.encodeDataset({ PatientID: '1' }, '1.2.840.10008.1.2.1')).toThrow(/before loadCodec/);
    await lazy.loadCodec();
    const bytes = lazy.encodeDataset({ PatientID: '1' }, '1.2.840.10008.1.2.1');
    expect(lazy.decodeDataset(bytes, '1.2.840.10008.1.2.1')).toEqual({ PatientID: '1' });
  });
});
