/**
 * The OpenTelemetry adapter: NetEvents → spans (association, DIMSE operation) and metrics, with
 * an in-test fake tracer/meter, parenting through the real API's context functions, and the
 * API's global no-op (no SDK registered) loaded on demand.
 */
import * as api from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { loadOtelObserver, METRICS, otelObserver, type Attributes, type MeterLike, type SpanLike, type TracerLike } from '../../adapters/opentelemetry';
import { ApplicationEntity } from '../../src/ae';
import type { NetObserver } from '../../src/telemetry';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

interface FakeSpan extends SpanLike {
  name: string;
  kind?: number;
  parent?: unknown;
  attributes: Attributes;
  events: string[];
  status?: { code: number; message?: string };
  ended: boolean;
}

function fakes() {
  const spans: FakeSpan[] = [];
  const tracer: TracerLike = {
    startSpan(name, options, context) {
      const span: FakeSpan = {
        name,
        kind: options?.kind,
        parent: context ? api.trace.getSpan(context as api.Context) : undefined,
        attributes: { ...options?.attributes },
        events: [],
        ended: false,
        setAttributes: (a) => Object.assign(span.attributes, a),
        addEvent: (n) => span.events.push(n),
        setStatus: (s) => (span.status = s),
        end: () => void (span.ended = true),
      };
      spans.push(span);
      return span;
    },
  };
  const points: { name: string; value: number; attributes?: Attributes }[] = [];
  const meter: MeterLike = {
    createCounter: (name) => ({ add: (value, attributes) => void points.push({ name, value, attributes }) }),
    createHistogram: (name) => ({ record: (value, attributes) => void points.push({ name, value, attributes }) }),
  };
  return { spans, tracer, meter, points };
}

async function session(scuObserve: NetObserver, scpObserve?: NetObserver, storeStatus = 0) {
  const [a, b] = createMemoryPair();
  const served = new ApplicationEntity({ aeTitle: 'SCP', ...(scpObserve && { observe: scpObserve }) })
    .addSupportedContext(VERIFICATION)
    .addSupportedContext(CT, [EXPLICIT])
    .handle(b, { cStore: async (req) => (await req.bytes(), storeStatus) });
  const assoc = await new ApplicationEntity({ aeTitle: 'SCU', observe: scuObserve })
    .addRequestedContext(VERIFICATION)
    .addRequestedContext(CT, [EXPLICIT])
    .associate(a, { calledAeTitle: 'SCP' });
  await assoc.cEcho();
  await assoc.cStore({ sopClassUid: CT, sopInstanceUid: '1.2.3', transferSyntaxUid: EXPLICIT, data: new Uint8Array(2000) });
  await assoc.release();
  await served;
  return assoc;
}

describe('otelObserver', () => {
  it('one association span with a child span per DIMSE operation, both sides', async () => {
    const scu = fakes();
    const scp = fakes();
    await session(otelObserver({ tracer: scu.tracer, api }), otelObserver({ tracer: scp.tracer, api }), 0xa700);
    expect(scu.spans.map((s) => s.name)).toEqual(['DICOM association', 'C-ECHO', 'C-STORE']);
    const [assocSpan, echo, store] = scu.spans;
    expect(scu.spans.every((s) => s.ended)).toBe(true);
    expect(assocSpan).toMatchObject({ kind: 2, status: { code: 1 } });
    expect(assocSpan!.attributes).toMatchObject({ 'dicom.calling_ae_title': 'SCU', 'dicom.called_ae_title': 'SCP', 'dicom.accepted_contexts': 2 });
    expect(echo!.parent).toBe(assocSpan);
    expect(echo).toMatchObject({ kind: 2, status: { code: 1 } });
    expect(echo!.attributes).toMatchObject({ 'dicom.message_id': 1, 'dicom.sop_class_uid': VERIFICATION, 'dicom.status': 0 });
    expect(store!.attributes).toMatchObject({ 'dicom.request_bytes': 2000, 'dicom.status': 0xa700, 'dicom.status_category': 'Failure' });
    expect(store!.status).toEqual({ code: 2, message: 'status 0xa700' });
    // The SCP: server spans, same operations.
    expect(scp.spans.map((s) => [s.name, s.kind])).toEqual([['DICOM association', 1], ['C-ECHO', 1], ['C-STORE', 1]]);
    expect(scp.spans.every((s) => s.ended)).toBe(true);
  });

  it('metrics: associations, operations with duration, bytes', async () => {
    const { meter, points } = fakes();
    await session(otelObserver({ meter }));
    const of = (name: string) => points.filter((p) => p.name === name);
    expect(of(METRICS.associations).map((p) => p.attributes!['dicom.outcome'])).toEqual(['accepted', 'released']);
    expect(of(METRICS.associationDuration)).toHaveLength(1);
    expect(of(METRICS.operations).map((p) => [p.attributes!['dicom.service'], p.attributes!['dicom.status_category']])).toEqual([
      ['C-ECHO', 'Success'],
      ['C-STORE', 'Success'],
    ]);
    expect(of(METRICS.operationDuration)).toHaveLength(2);
    expect(of(METRICS.operationBytes)[0]).toMatchObject({ value: 2000, attributes: { 'dicom.service': 'C-STORE', 'dicom.direction': 'sent' } });
    const pduSent = of(METRICS.pduBytes).filter((p) => p.attributes!['dicom.direction'] === 'sent');
    expect(pduSent.reduce((n, p) => n + p.value, 0)).toBeGreaterThan(2000);
  });

  it('an aborted association ends its open operation spans with an error', async () => {
    const { spans, tracer } = fakes();
    const [a, b] = createMemoryPair();
    let scpAssoc!: import('../../src/association').Association;
    void new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(VERIFICATION).handle(b, { cEcho: () => new Promise(() => undefined) }, {}, (x) => (scpAssoc = x));
    const assoc = await new ApplicationEntity({ aeTitle: 'SCU', observe: otelObserver({ tracer }) }).addRequestedContext(VERIFICATION).associate(a, { calledAeTitle: 'SCP' });
    const echo = assoc.cEcho().catch((e: Error) => e.name);
    await new Promise((r) => setTimeout(r, 10));
    await scpAssoc.abort();
    expect(await echo).toBe('AssociationAbortedError');
    expect(spans.map((s) => [s.name, s.ended, s.status?.code])).toEqual([
      ['DICOM association', true, 2],
      ['C-ECHO', true, 2],
    ]);
  });

  it('an association that fails in negotiation (ACSE timeout) ends its span with the error, once', async () => {
    const { spans, tracer, meter, points } = fakes();
    const observe = otelObserver({ tracer, meter });
    const seen: Parameters<NetObserver>[0][] = [];
    const [a, b] = createMemoryPair();
    b.readable.pipeTo(new WritableStream()).catch(() => undefined); // a peer that never answers
    const scu = new ApplicationEntity({ aeTitle: 'SCU', acseTimeoutMs: 100, abortLingerMs: 20, observe: (e) => (seen.push(e), observe(e)) });
    await expect(scu.addRequestedContext(VERIFICATION).associate(a, { calledAeTitle: 'SCP' })).rejects.toThrow(/no A-ASSOCIATE response/);
    expect(spans.map((s) => [s.name, s.ended, s.status])).toEqual([['DICOM association', true, { code: 2, message: 'no A-ASSOCIATE response within 100 ms' }]]);
    expect(points.filter((p) => p.name === METRICS.associations).map((p) => p.attributes!['dicom.outcome'])).toEqual(['aborted']);
    // Its entry is gone: the same event again finds nothing to end.
    const end = vi.spyOn(spans[0]!, 'end');
    observe(seen.find((e) => e.type === 'association-aborted')!);
    expect(end).not.toHaveBeenCalled();
  });

  it('a C-CANCEL is an event on the span of the operation it cancels', async () => {
    const FIND = '1.2.840.10008.5.1.4.1.2.2.1';
    const { spans, tracer } = fakes();
    const [a, b] = createMemoryPair();
    const served = new ApplicationEntity({ aeTitle: 'SCP' }).addSupportedContext(FIND).handle(b, {
      cFind: async function* () {
        for (let i = 0; i < 50; i++) {
          await new Promise((r) => setTimeout(r, 2));
          yield { PatientName: `P${i}` };
        }
      },
    });
    const assoc = await new ApplicationEntity({ aeTitle: 'SCU', observe: otelObserver({ tracer, api }) }).addRequestedContext(FIND).associate(a, { calledAeTitle: 'SCP' });
    let n = 0;
    for await (const _ of assoc.cFind({ QueryRetrieveLevel: 'STUDY', PatientName: '*' }, { model: 'study' })) if (++n === 2) break;
    await assoc.release();
    await served;
    const find = spans.find((s) => s.name === 'C-FIND')!;
    expect(find.events).toContain('C-CANCEL');
    expect(find.ended).toBe(true);
  });

  it('loadOtelObserver uses the global API: a no-op without an SDK, never in the way', async () => {
    const observe = await loadOtelObserver();
    const assoc = await session(observe);
    expect(assoc.isEstablished).toBe(false);
  });
});
