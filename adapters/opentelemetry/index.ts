/**
 * OpenTelemetry for netdicom (entry `netdicom/opentelemetry`): turns the core's NetEvents
 * (`AeOptions.observe`) into spans and metrics. `@opentelemetry/api` is an optional peer: pass
 * your own tracer/meter (typed structurally here, so nothing is imported), or call
 * {@link loadOtelObserver}, which imports the API only when called.
 *
 * Spans: one per association ("DICOM association", from A-ASSOCIATE-RQ to release, abort or
 * reject) and one per DIMSE operation ("C-STORE" etc., request to final response; pending
 * responses are span events), children of the association span when the API's context
 * functions are given. Metrics: see {@link METRICS}.
 */
import type { NetEvent, NetObserver } from '../../src/telemetry';

/** Attribute values as OpenTelemetry accepts them. */
export type Attributes = Record<string, string | number | boolean | undefined>;

/** The part of an OpenTelemetry `Span` used here. */
export interface SpanLike {
  setAttributes(attributes: Attributes): unknown;
  addEvent(name: string, attributes?: Attributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(endTime?: number): void;
}

/** The part of an OpenTelemetry `Tracer` used here. */
export interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: Attributes; startTime?: number }, context?: unknown): SpanLike;
}

/** The part of an OpenTelemetry `Meter` used here. */
export interface MeterLike {
  createCounter(name: string, options?: { description?: string; unit?: string }): { add(value: number, attributes?: Attributes): void };
  createHistogram(name: string, options?: { description?: string; unit?: string }): { record(value: number, attributes?: Attributes): void };
}

/** The API's context functions, to make DIMSE spans children of their association's span. */
export interface OtelContextApi {
  readonly context: { active(): unknown };
  readonly trace: { setSpan(context: unknown, span: never): unknown };
}

export interface OtelObserverOptions {
  /** Spans are made when given. */
  readonly tracer?: TracerLike;
  /** Metrics are recorded when given. */
  readonly meter?: MeterLike;
  /** `@opentelemetry/api` itself (or its `context` and `trace`): parents DIMSE spans. */
  readonly api?: OtelContextApi;
}

/** Metric names (units: ms and By, as the OpenTelemetry semantic conventions spell them). */
export const METRICS = {
  associations: 'netdicom.associations',
  associationDuration: 'netdicom.association.duration',
  operations: 'netdicom.dimse.operations',
  operationDuration: 'netdicom.dimse.duration',
  operationBytes: 'netdicom.dimse.bytes',
  pduBytes: 'netdicom.pdu.bytes',
} as const;

// SpanKind and SpanStatusCode values of @opentelemetry/api, so it need not be imported.
const SERVER = 1;
const CLIENT = 2;
const OK = 1;
const ERROR = 2;

interface Open {
  span: SpanLike;
  context?: unknown;
  operations: Map<string, SpanLike>;
}

/** An observer for `AeOptions.observe` that feeds `tracer` and `meter`. */
export function otelObserver(options: OtelObserverOptions): NetObserver {
  const { tracer, meter, api } = options;
  const associations = new Map<number, Open>();
  const m = meter && {
    associations: meter.createCounter(METRICS.associations, { description: 'Associations by side and outcome' }),
    associationDuration: meter.createHistogram(METRICS.associationDuration, { description: 'Association lifetime', unit: 'ms' }),
    operations: meter.createCounter(METRICS.operations, { description: 'DIMSE operations completed, by service and status category' }),
    operationDuration: meter.createHistogram(METRICS.operationDuration, { description: 'DIMSE request to final response', unit: 'ms' }),
    operationBytes: meter.createHistogram(METRICS.operationBytes, { description: 'Data set bytes per DIMSE message', unit: 'By' }),
    pduBytes: meter.createCounter(METRICS.pduBytes, { description: 'PDU bytes by direction and type', unit: 'By' }),
  };

  const endAssociation = (id: number, time: number, error?: string) => {
    const open = associations.get(id);
    if (!open) return;
    associations.delete(id);
    // Operations still open died with their association.
    for (const span of open.operations.values()) {
      span.setStatus({ code: ERROR, message: error ?? 'association ended before the response' });
      span.end(time);
    }
    if (error) open.span.setStatus({ code: ERROR, message: error });
    open.span.end(time);
  };

  return (e: NetEvent) => {
    const side = e.side;
    switch (e.type) {
      case 'association-requested': {
        if (!tracer) return;
        const span = tracer.startSpan(
          'DICOM association',
          {
            kind: side === 'requestor' ? CLIENT : SERVER,
            startTime: e.time,
            attributes: {
              'dicom.side': side,
              'dicom.calling_ae_title': e.callingAeTitle,
              'dicom.called_ae_title': e.calledAeTitle,
              'dicom.proposed_contexts': e.proposedContexts,
              'network.peer.address': e.remoteAddress,
              'netdicom.association_id': e.associationId,
            },
          },
          api?.context.active(),
        );
        const context = api ? api.trace.setSpan(api.context.active(), span as never) : undefined;
        associations.set(e.associationId, { span, context, operations: new Map() });
        return;
      }
      case 'association-accepted':
        m?.associations.add(1, { 'dicom.side': side, 'dicom.outcome': 'accepted' });
        associations.get(e.associationId)?.span.setAttributes({ 'dicom.accepted_contexts': e.acceptedContexts, 'dicom.negotiation_ms': e.durationMs });
        return;
      case 'association-rejected':
        m?.associations.add(1, { 'dicom.side': side, 'dicom.outcome': 'rejected' });
        associations.get(e.associationId)?.span.setAttributes({ 'dicom.reject.result': e.result, 'dicom.reject.source': e.source, 'dicom.reject.reason': e.reason });
        endAssociation(e.associationId, e.time, `association rejected (result ${e.result}, source ${e.source}, reason ${e.reason})`);
        return;
      case 'association-released':
      case 'association-aborted': {
        const outcome = e.type === 'association-released' ? 'released' : 'aborted';
        m?.associations.add(1, { 'dicom.side': side, 'dicom.outcome': outcome });
        m?.associationDuration.record(e.durationMs, { 'dicom.side': side, 'dicom.outcome': outcome });
        const open = associations.get(e.associationId);
        if (open && outcome === 'released') open.span.setStatus({ code: OK });
        endAssociation(e.associationId, e.time, outcome === 'aborted' ? (e.error ?? 'association aborted') : undefined);
        return;
      }
      case 'dimse-request': {
        if (e.bytes !== undefined) m?.operationBytes.record(e.bytes, { 'dicom.service': e.service, 'dicom.direction': e.direction });
        const open = associations.get(e.associationId);
        if (!open || !tracer || e.service === 'C-CANCEL') {
          open?.operations.get(`${e.direction}:${e.messageId}`)?.addEvent('C-CANCEL');
          return;
        }
        const span = tracer.startSpan(
          e.service,
          {
            kind: e.direction === 'sent' ? CLIENT : SERVER,
            startTime: e.time,
            attributes: {
              'dicom.service': e.service,
              'dicom.message_id': e.messageId,
              'dicom.presentation_context_id': e.contextId,
              'dicom.sop_class_uid': e.sopClassUid,
              'dicom.request_bytes': e.bytes,
              'netdicom.association_id': e.associationId,
            },
          },
          open.context,
        );
        // Keyed by who sent the request: a response answers the request that went the other way.
        open.operations.set(`${e.direction}:${e.messageId}`, span);
        return;
      }
      case 'dimse-response': {
        const requestDirection = e.direction === 'sent' ? 'received' : 'sent';
        const key = `${requestDirection}:${e.messageId}`;
        const span = associations.get(e.associationId)?.operations.get(key);
        const attributes = { 'dicom.service': e.service, 'dicom.side': side, 'dicom.status_category': e.category };
        if (e.bytes !== undefined) m?.operationBytes.record(e.bytes, { 'dicom.service': e.service, 'dicom.direction': e.direction });
        if (e.category === 'Pending') {
          span?.addEvent('pending', { 'dicom.status': e.status });
          return;
        }
        m?.operations.add(1, attributes);
        if (e.latencyMs !== undefined) m?.operationDuration.record(e.latencyMs, attributes);
        if (!span) return;
        associations.get(e.associationId)!.operations.delete(key);
        span.setAttributes({ 'dicom.status': e.status, 'dicom.status_category': e.category });
        span.setStatus(e.category === 'Failure' ? { code: ERROR, message: `status 0x${e.status.toString(16).padStart(4, '0')}` } : { code: OK });
        span.end(e.time);
        return;
      }
      case 'pdu':
        m?.pduBytes.add(e.bytes, { 'dicom.direction': e.direction, 'dicom.pdu_type': e.pduType });
        return;
    }
  };
}

/**
 * Imports `@opentelemetry/api` (an optional peer dependency) and returns an observer using its
 * global tracer and meter (a no-op until an SDK is registered). Rejects when it is not installed.
 */
export async function loadOtelObserver(name = 'netdicom'): Promise<NetObserver> {
  const api = await import('@opentelemetry/api');
  return otelObserver({ tracer: api.trace.getTracer(name), meter: api.metrics.getMeter(name), api: api as unknown as OtelContextApi });
}
