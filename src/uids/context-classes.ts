/**
 * Which SOP class a DIMSE-N request may name on a presentation context negotiated for another:
 * the components of a Meta SOP Class (PS3.4 H.3: a Print Management meta class negotiates Film
 * Session, Film Box, Image Box and Printer in one context), and UPS, whose messages name the UPS
 * Push SOP Class whichever UPS class the context is for (PS3.4 CC.3.1). Every other request names
 * its context's own SOP class (PS3.7 §10.3; PS3.8 §9.3.2.2.1).
 */
import { SopClass } from './sop-classes';

const PRINT_COMPONENTS: string[] = [
  SopClass.BasicFilmSession,
  SopClass.BasicFilmBox,
  SopClass.Printer,
  // Optional print classes are negotiated on their own (H.4); some SCUs send them on the meta context.
  SopClass.BasicAnnotationBox,
  SopClass.PrintJob,
  SopClass.PresentationLUT,
];

const UPS_CONTEXTS: string[] = [SopClass.UnifiedProcedureStepPull, SopClass.UnifiedProcedureStepWatch, SopClass.UnifiedProcedureStepEvent, SopClass.UnifiedProcedureStepQuery];

const COMPONENTS = new Map<string, ReadonlySet<string>>([
  [SopClass.BasicGrayscalePrintManagementMeta, new Set([...PRINT_COMPONENTS, SopClass.BasicGrayscaleImageBox])],
  [SopClass.BasicColorPrintManagementMeta, new Set([...PRINT_COMPONENTS, SopClass.BasicColorImageBox])],
  ...UPS_CONTEXTS.map((uid): [string, ReadonlySet<string>] => [uid, new Set([SopClass.UnifiedProcedureStepPush])]),
]);

/** Whether a DIMSE-N request naming `sopClassUid` belongs on a context for `abstractSyntax`. */
export function mayNameOnContext(sopClassUid: string | undefined, abstractSyntax: string): boolean {
  return sopClassUid === abstractSyntax || (sopClassUid !== undefined && COMPONENTS.get(abstractSyntax)?.has(sopClassUid) === true);
}
