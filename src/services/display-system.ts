/**
 * Display System Management Service Class (PS3.4 Annex EE): N-GET of the Display System SOP
 * Class on its well-known instance. SCP handler and SCU helper.
 */
import type { Association } from '../association';
import type { NRequest, RequestContext, ScpHandlers } from '../scp/types';
import type { NCallOptions, NResult } from '../scu/n-services';
import type { Dataset } from '../scu/types';
import { nGetAnswer } from './n-attributes';

/** Display System SOP Class (PS3.4 EE.3). */
export const DISPLAY_SYSTEM_SOP_CLASS = '1.2.840.10008.5.1.1.40';
/** Display System well-known SOP Instance (PS3.6 Table A-1, PS3.4 EE.3). */
export const DISPLAY_SYSTEM_INSTANCE = '1.2.840.10008.5.1.1.40.1';

/** Where the SCP gets the Display System's attributes from. */
export interface DisplaySystemScpOptions {
  /** The Display System IOD's attributes (e.g. Manufacturer, ...), or a function producing them per request. */
  attributes: Dataset | ((request: NRequest, ctx: RequestContext) => Dataset | Promise<Dataset>);
}

/**
 * An N-GET handler for the Display System SOP Class (PS3.4 EE.4.1): answers the requested
 * attributes (all of them when the Attribute Identifier List is absent) with SOP Class UID and
 * SOP Instance UID; 0x0112 for any instance but the well-known one, 0x0118 for another class.
 * Plug it into ScpHandlers: `{ ...displaySystemScp({ attributes }) }`.
 */
export function displaySystemScp(options: DisplaySystemScpOptions): Pick<ScpHandlers, 'nGet'> {
  return {
    async nGet(request, ctx) {
      if (request.sopClassUid !== DISPLAY_SYSTEM_SOP_CLASS) return { status: 0x0118 };
      if (request.sopInstanceUid !== DISPLAY_SYSTEM_INSTANCE) return { status: 0x0112 };
      const source = typeof options.attributes === 'function' ? await options.attributes(request, ctx) : options.attributes;
      return nGetAnswer(source, request.attributes, { sopClassUid: DISPLAY_SYSTEM_SOP_CLASS, sopInstanceUid: DISPLAY_SYSTEM_INSTANCE });
    },
  };
}

/**
 * SCU: N-GET of the Display System well-known instance (PS3.4 EE.4.1). `attributes` are tags
 * (e.g. `[0x00080070]` for Manufacturer); none asks for every attribute.
 */
export function getDisplaySystem(association: Association, attributes: number[] = [], options?: NCallOptions): Promise<NResult> {
  return association.nGet(DISPLAY_SYSTEM_SOP_CLASS, DISPLAY_SYSTEM_INSTANCE, attributes, options);
}
