/**
 * PresentationContexts: one list per pynetdicom pre-built `*PresentationContexts` list (and
 * netdicom's extra ones), each holding the SOP classes of its PS3.4 service class; checked
 * against the UID registry and negotiated end to end over a memory pair.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import { PresentationContexts as P, presentationContextsFor, type ServiceClassName } from '../../src/services/presentation-contexts';
import { ServiceContexts } from '../../src/services/service-contexts';
import { sopClass, sopClasses, storageSopClasses, type SopClassKind } from '../../src/uids/sop-classes';

/** pynetdicom's pre-built lists (pynetdicom.presentation) and the netdicom list standing for each. */
const PYNETDICOM: Record<string, ServiceClassName> = {
  VerificationPresentationContexts: 'verification',
  StoragePresentationContexts: 'storage',
  AllStoragePresentationContexts: 'allStorage',
  MediaStoragePresentationContexts: 'mediaStorage',
  NonPatientObjectPresentationContexts: 'nonPatientObject',
  QueryRetrievePresentationContexts: 'queryRetrieve',
  BasicWorklistManagementPresentationContexts: 'basicWorklistManagement',
  RelevantPatientInformationPresentationContexts: 'relevantPatientInformation',
  SubstanceAdministrationPresentationContexts: 'substanceAdministration',
  ColorPalettePresentationContexts: 'colorPalette',
  DefinedProcedureProtocolPresentationContexts: 'definedProcedureProtocol',
  HangingProtocolPresentationContexts: 'hangingProtocol',
  ImplantTemplatePresentationContexts: 'implantTemplate',
  ProtocolApprovalPresentationContexts: 'protocolApproval',
  DisplaySystemPresentationContexts: 'displaySystem',
  StorageCommitmentPresentationContexts: 'storageCommitment',
  ModalityPerformedPresentationContexts: 'modalityPerformedProcedureStep',
  ProcedureStepPresentationContexts: 'procedureStep',
  InstanceAvailabilityPresentationContexts: 'instanceAvailability',
  PrintManagementPresentationContexts: 'printManagement',
  UnifiedProcedurePresentationContexts: 'unifiedProcedureStep',
  MediaCreationManagementPresentationContexts: 'mediaCreationManagement',
  ApplicationEventLoggingPresentationContexts: 'applicationEventLogging',
  RTMachineVerificationPresentationContexts: 'rtMachineVerification',
};

/** Exact contents of the small lists, by PS3.6 keyword (PS3.4 annex of each service class). */
const EXACT: Partial<Record<ServiceClassName, string[]>> = {
  verification: ['Verification'],
  mediaStorage: ['MediaStorageDirectoryStorage'],
  basicWorklistManagement: ['ModalityWorklistInformationModelFind'],
  relevantPatientInformation: ['GeneralRelevantPatientInformationQuery', 'BreastImagingRelevantPatientInformationQuery', 'CardiacRelevantPatientInformationQuery'],
  substanceAdministration: ['ProductCharacteristicsQuery', 'SubstanceApprovalQuery'],
  colorPalette: ['ColorPaletteQueryRetrieveInformationModelFind', 'ColorPaletteQueryRetrieveInformationModelMove', 'ColorPaletteQueryRetrieveInformationModelGet'],
  definedProcedureProtocol: ['DefinedProcedureProtocolInformationModelFind', 'DefinedProcedureProtocolInformationModelMove', 'DefinedProcedureProtocolInformationModelGet'],
  hangingProtocol: ['HangingProtocolInformationModelFind', 'HangingProtocolInformationModelMove', 'HangingProtocolInformationModelGet'],
  protocolApproval: ['ProtocolApprovalInformationModelFind', 'ProtocolApprovalInformationModelMove', 'ProtocolApprovalInformationModelGet'],
  inventory: ['InventoryFind', 'InventoryMove', 'InventoryGet'],
  displaySystem: ['DisplaySystem'],
  storageCommitment: ['StorageCommitmentPushModel'],
  modalityPerformedProcedureStep: ['ModalityPerformedProcedureStep', 'ModalityPerformedProcedureStepRetrieve', 'ModalityPerformedProcedureStepNotification'],
  instanceAvailability: ['InstanceAvailabilityNotification'],
  unifiedProcedureStep: ['UnifiedProcedureStepPush', 'UnifiedProcedureStepWatch', 'UnifiedProcedureStepPull', 'UnifiedProcedureStepEvent', 'UnifiedProcedureStepQuery'],
  mediaCreationManagement: ['MediaCreationManagement'],
  applicationEventLogging: ['ProceduralEventLogging', 'SubstanceAdministrationLogging'],
  rtMachineVerification: ['RTConventionalMachineVerification', 'RTIonMachineVerification'],
  storageManagement: ['InventoryCreation'],
  nonPatientObject: [
    'HangingProtocolStorage', 'ColorPaletteStorage', 'GenericImplantTemplateStorage', 'ImplantAssemblyTemplateStorage', 'ImplantTemplateGroupStorage',
    'CTDefinedProcedureProtocolStorage', 'ProtocolApprovalStorage', 'XADefinedProcedureProtocolStorage', 'InventoryStorage',
  ],
};

const keywords = (uids: readonly string[]) => uids.map((u) => sopClass(u)?.keyword);

describe('PresentationContexts', () => {
  it('has a list for every pynetdicom pre-built list, plus Inventory and Storage Management', () => {
    for (const [pynetdicom, name] of Object.entries(PYNETDICOM)) {
      expect(P[name], pynetdicom).toBeDefined();
      expect(P[name].length, pynetdicom).toBeGreaterThan(0);
    }
    expect(Object.keys(P).sort()).toEqual([...new Set([...Object.values(PYNETDICOM), 'inventory', 'storageManagement'])].sort());
  });

  it('small lists hold exactly their service class\'s SOP classes', () => {
    for (const [name, expected] of Object.entries(EXACT)) expect(keywords(P[name as ServiceClassName]), name).toEqual(expected);
    expect(P.procedureStep).toEqual(P.modalityPerformedProcedureStep);
  });

  it('every UID is a registered SOP class of the right kind, and no list repeats one', () => {
    const kinds: Partial<Record<ServiceClassName, SopClassKind[]>> = {
      verification: ['verification'],
      storage: ['storage'],
      allStorage: ['storage'],
      mediaStorage: ['storage'],
      nonPatientObject: ['storage'],
      printManagement: ['n-service', 'meta'],
      applicationEventLogging: ['n-service'],
      rtMachineVerification: ['n-service'],
      storageManagement: ['n-service'],
    };
    for (const [name, uids] of Object.entries(P) as Array<[ServiceClassName, readonly string[]]>) {
      expect(new Set(uids).size, name).toBe(uids.length);
      for (const uid of uids) {
        const entry = sopClass(uid);
        expect(entry, `${name}: ${uid}`).toBeDefined();
        const queryLike = /queryRetrieve|Worklist|relevantPatient|substanceAdministration|colorPalette|definedProcedure|hangingProtocol|implantTemplate|protocolApproval|inventory/.test(name);
        const expected = kinds[name] ?? (queryLike ? ['query-retrieve'] : ['n-service', 'query-retrieve']);
        expect(expected, `${name}: ${uid} is ${entry!.kind}`).toContain(entry!.kind);
      }
    }
  });

  it('allStorage is every current patient Storage class; storage is 128 of them with the everyday ones', () => {
    const patient = storageSopClasses().filter((u) => !P.nonPatientObject.includes(u as never) && !P.mediaStorage.includes(u as never));
    expect([...P.allStorage].sort()).toEqual(patient.sort());
    expect(P.allStorage.some((u) => sopClass(u)!.retired)).toBe(false);
    expect(P.storage).toHaveLength(128);
    expect(P.storage.every((u) => (P.allStorage as readonly string[]).includes(u))).toBe(true);
    const everyday = [
      'CTImageStorage', 'MRImageStorage', 'UltrasoundImageStorage', 'SecondaryCaptureImageStorage', 'DigitalXRayImageStorageForPresentation',
      'DigitalMammographyXRayImageStorageForPresentation', 'ComputedRadiographyImageStorage', 'NuclearMedicineImageStorage', 'PositronEmissionTomographyImageStorage',
      'XRayAngiographicImageStorage', 'EnhancedCTImageStorage', 'RTPlanStorage', 'RTDoseStorage', 'RTStructureSetStorage', 'RTImageStorage',
      'RTIonPlanStorage', 'BasicTextSRStorage', 'EnhancedSRStorage', 'ComprehensiveSRStorage', 'KeyObjectSelectionDocumentStorage',
      'XRayRadiationDoseSRStorage', 'EncapsulatedPDFStorage', 'SegmentationStorage', 'SpatialRegistrationStorage', 'TwelveLeadECGWaveformStorage',
      'VLPhotographicImageStorage', 'VLWholeSlideMicroscopyImageStorage', 'BreastTomosynthesisImageStorage',
    ];
    const selected = new Set(keywords(P.storage));
    expect(everyday.filter((k) => !selected.has(k))).toEqual([]);
    // Families in priority order (CR, then CT, then MR), each in registry order (a prefix before its extensions).
    expect(P.storage.slice(0, 9)).toEqual(['1', '1.1', '1.1.1', '1.2', '1.2.1', '1.3', '1.3.1', '2', '2.1'].map((s) => `1.2.840.10008.5.1.4.1.1.${s}`));
    // Security screening (DICOS) and NDT (DICONDE) objects are the first left out.
    expect(keywords(P.storage).filter((k) => /^DICOS|EddyCurrent|Thermography/.test(k!))).toEqual([]);
  });

  it('the N-service lists include the older ServiceContexts lists; Query/Retrieve covers every Q/R model pynetdicom lists', () => {
    const pairs: Array<[readonly string[], readonly string[]]> = [
      [ServiceContexts.displaySystem, P.displaySystem],
      [ServiceContexts.storageCommitment, P.storageCommitment],
      [ServiceContexts.procedureStep, P.procedureStep],
      [ServiceContexts.instanceAvailability, P.instanceAvailability],
      [ServiceContexts.print, P.printManagement],
      [ServiceContexts.unifiedProcedureStep, P.unifiedProcedureStep],
      [ServiceContexts.mediaCreation, P.mediaCreationManagement],
    ];
    for (const [older, list] of pairs) expect(older.filter((u) => !list.includes(u))).toEqual([]);
    // Print: both meta SOP classes and the component classes a meta class stands for.
    expect(keywords(P.printManagement)).toEqual(expect.arrayContaining(['BasicGrayscalePrintManagementMeta', 'BasicColorPrintManagementMeta', 'BasicFilmSession', 'BasicFilmBox', 'BasicGrayscaleImageBox', 'Printer']));
    const qr = sopClasses('query-retrieve').filter((e) => /^(Patient|Study)Root|^PatientStudyOnly|^CompositeInstance|^RepositoryQuery/.test(e.keyword));
    expect(qr.map((e) => e.uid).filter((u) => !(P.queryRetrieve as readonly string[]).includes(u))).toEqual([]);
    expect(P.queryRetrieve).toHaveLength(qr.length);
  });

  it('presentationContextsFor merges lists without repeats and refuses more than one association carries', () => {
    expect(presentationContextsFor('procedureStep', 'modalityPerformedProcedureStep', 'verification')).toEqual([...P.procedureStep, '1.2.840.10008.1.1']);
    expect(presentationContextsFor('storage')).toHaveLength(128);
    expect(() => presentationContextsFor('allStorage')).toThrow(RangeError);
    expect(() => presentationContextsFor('storage', 'verification')).toThrow(/at most 128/);
  });

  it('a requestor proposing several service classes\' lists gets every context accepted by an acceptor supporting them', async () => {
    const uids = presentationContextsFor('verification', 'applicationEventLogging', 'rtMachineVerification', 'storageManagement', 'substanceAdministration', 'inventory');
    const scp = new ApplicationEntity({ aeTitle: 'ALL' });
    const scu = new ApplicationEntity({ aeTitle: 'SCU' });
    for (const uid of uids) {
      scp.addSupportedContext(uid);
      scu.addRequestedContext(uid);
    }
    const [a, b] = createMemoryPair();
    const served = scp.handle(b, {});
    const association = await scu.associate(a, { calledAeTitle: 'ALL' });
    expect(association.acceptedContexts.map((c) => c.abstractSyntax).sort()).toEqual([...uids].sort());
    await association.release();
    await served;
  });
});
