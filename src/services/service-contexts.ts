/**
 * The abstract syntaxes of each N-service class, to request or support as a group (like
 * pynetdicom's DisplaySystemPresentationContexts): `for (const uid of ServiceContexts.print)
 * ae.addRequestedContext(uid)`.
 */

/** SOP classes per service class (PS3.4 Annexes EE, J, F, R, H, CC, S). */
export const ServiceContexts = {
  /** PS3.4 EE: Display System. */
  displaySystem: ['1.2.840.10008.5.1.1.40'],
  /** PS3.4 J: Storage Commitment Push Model. */
  storageCommitment: ['1.2.840.10008.1.20.1'],
  /** PS3.4 F: MPPS, MPPS Retrieve, MPPS Notification. */
  procedureStep: ['1.2.840.10008.3.1.2.3.3', '1.2.840.10008.3.1.2.3.4', '1.2.840.10008.3.1.2.3.5'],
  /** PS3.4 R: Instance Availability Notification. */
  instanceAvailability: ['1.2.840.10008.5.1.4.33'],
  /** PS3.4 H: grayscale and color print meta SOP classes, Printer, Print Job, Presentation LUT, Annotation Box, Printer Configuration Retrieval. */
  print: [
    '1.2.840.10008.5.1.1.9',
    '1.2.840.10008.5.1.1.18',
    '1.2.840.10008.5.1.1.16',
    '1.2.840.10008.5.1.1.14',
    '1.2.840.10008.5.1.1.23',
    '1.2.840.10008.5.1.1.15',
    '1.2.840.10008.5.1.1.16.376',
  ],
  /** PS3.4 CC: UPS Push, Watch, Pull, Event, Query. */
  unifiedProcedureStep: [
    '1.2.840.10008.5.1.4.34.6.1',
    '1.2.840.10008.5.1.4.34.6.2',
    '1.2.840.10008.5.1.4.34.6.3',
    '1.2.840.10008.5.1.4.34.6.4',
    '1.2.840.10008.5.1.4.34.6.5',
  ],
  /** PS3.4 S: Media Creation Management. */
  mediaCreation: ['1.2.840.10008.5.1.1.33'],
} as const satisfies Record<string, readonly string[]>;
