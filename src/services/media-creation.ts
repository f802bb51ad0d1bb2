/**
 * Media Creation Management (PS3.4 Annex S): N-CREATE of a media creation request, N-ACTION
 * initiate (1) / cancel (2), N-GET of its Execution Status (IDLE, PENDING, CREATING, DONE, FAILURE).
 */
import type { RequestContext, ScpHandlers } from '../scp/types';
import type { Dataset } from '../scu/types';
import { applyModifications, namingTags, nGetAnswer } from './n-attributes';

/** Media Creation Management SOP Class (PS3.4 S.3). */
export const MEDIA_CREATION_SOP_CLASS = '1.2.840.10008.5.1.1.33';

/**
 * Options of {@link mediaCreationScp}: where media creation requests are kept, and `create`, which
 * writes the media after an initiate N-ACTION has been answered (PS3.4 Annex S).
 */
export interface MediaCreationScpOptions {
  /** Requests by SOP Instance UID (default: a new in-memory map). */
  store?: Map<string, Dataset>;
  /**
   * Writes the media; resolves when done (ExecutionStatus DONE) or rejects (FAILURE). Execution
   * Status Info is then the error's `executionStatusInfo` when it has one (a Defined Term of the
   * PS3.3 Media Creation Management Module, e.g. 'MCD_FAILURE', 'OUT_OF_SUPPLIES'), else
   * PROC_FAILURE ("a general processing failure"); the message is logged.
   */
  create(request: Dataset, ctx: RequestContext): Promise<void>;
}

/**
 * SCP handlers (PS3.4 S.3.2): N-CREATE needs a Referenced SOP Sequence with items (absent 0x0120,
 * empty 0x0121, naming it in the Attribute Identifier List and Offending Element); initiate twice is 0xA510; cancel of a DONE
 * request 0xC201, of one being written 0xC202; N-GET reads the status. Each operation names the
 * Media Creation Management class, else 0x0118.
 */
export function mediaCreationScp(options: MediaCreationScpOptions): Pick<ScpHandlers, 'nCreate' | 'nAction' | 'nGet'> & { store: Map<string, Dataset> } {
  const store = options.store ?? new Map<string, Dataset>();
  return {
    store,
    nCreate(request) {
      if (request.sopClassUid !== MEDIA_CREATION_SOP_CLASS) return { status: 0x0118 };
      if (store.has(request.sopInstanceUid)) return { status: 0x0111 };
      const attributes = request.dataset ?? {};
      if (!Array.isArray(attributes.ReferencedSOPSequence) || attributes.ReferencedSOPSequence.length === 0) {
        // Type 1 (S.3.2.1): absent 0x0120 (PS3.7 C.5.13), present without items 0x0121 (C.5.14); the
        // Attribute Identifier List names it (Offending Element too, as before).
        return { status: 'ReferencedSOPSequence' in attributes ? 0x0121 : 0x0120, ...namingTags([0x00081199]) };
      }
      const instance = { ...attributes, SOPClassUID: MEDIA_CREATION_SOP_CLASS, SOPInstanceUID: request.sopInstanceUid, ExecutionStatus: 'IDLE' };
      store.set(request.sopInstanceUid, instance);
      return { status: 0x0000, dataset: { ExecutionStatus: 'IDLE' } };
    },
    nAction(request, ctx) {
      // Initiate / Cancel act on a Media Creation Management instance (PS3.4 S.3.2.2, S.3.2.3): another
      // class is refused as in N-CREATE and N-GET, not run on a request that shares its UID.
      if (request.sopClassUid !== MEDIA_CREATION_SOP_CLASS) return { status: 0x0118 };
      const instance = store.get(request.sopInstanceUid);
      if (!instance) return { status: 0x0112 };
      if (request.typeId === 1) {
        if (instance.ExecutionStatus !== 'IDLE') return { status: 0xa510 };
        // Action Information is kept with the request; it names no identity, so SOP Class/Instance UIDs in it are ignored.
        applyModifications(instance, request.dataset ?? {});
        instance.ExecutionStatus = 'PENDING';
        return {
          status: 0x0000,
          afterResponse: async () => {
            if (instance.ExecutionStatus !== 'PENDING') return; // cancelled meanwhile
            instance.ExecutionStatus = 'CREATING';
            try {
              await options.create(instance, ctx);
              Object.assign(instance, { ExecutionStatus: 'DONE', ExecutionStatusInfo: 'NORMAL' });
            } catch (error) {
              // Execution Status Info is CS with Defined Terms: the message goes to the log, not into it.
              const term = (error as { executionStatusInfo?: unknown })?.executionStatusInfo;
              ctx.association.options.logger.error(`media creation ${request.sopInstanceUid} failed: ${(error as Error)?.message ?? error}`);
              Object.assign(instance, { ExecutionStatus: 'FAILURE', ExecutionStatusInfo: typeof term === 'string' ? term : 'PROC_FAILURE' });
            }
          },
        };
      }
      if (request.typeId === 2) {
        if (instance.ExecutionStatus === 'DONE') return { status: 0xc201 };
        if (instance.ExecutionStatus === 'CREATING') return { status: 0xc202 };
        store.delete(request.sopInstanceUid);
        return { status: 0x0000 };
      }
      return { status: 0x0123 };
    },
    nGet(request) {
      if (request.sopClassUid !== MEDIA_CREATION_SOP_CLASS) return { status: 0x0118 };
      const instance = store.get(request.sopInstanceUid);
      if (!instance) return { status: 0x0112 };
      return nGetAnswer(instance, request.attributes, { sopClassUid: MEDIA_CREATION_SOP_CLASS, sopInstanceUid: request.sopInstanceUid });
    },
  };
}
