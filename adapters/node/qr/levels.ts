/**
 * Which level of the Query/Retrieve hierarchy an attribute belongs to (PS3.4 C.6.1.1, C.6.2.1:
 * the keys of each level, and "all other Attributes at" it, from the Patient, Study and Series IE
 * modules of PS3.3), and the Required Keys of each level (PS3.4 C.2.2.1.2).
 */
import type { QrLevel } from './database';

/** Top to bottom. */
export const QR_LEVELS: readonly QrLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

/**
 * Patient IE: Patient, Patient Identification/Demographic and Clinical Trial Subject modules, and
 * the attributes every level carries (how the values are encoded, and where to retrieve them).
 */
const PATIENT = [
  'SpecificCharacterSet', 'TimezoneOffsetFromUTC', 'QueryRetrieveLevel', 'RetrieveAETitle', 'InstanceAvailability',
  'PatientName', 'PatientID', 'IssuerOfPatientID', 'IssuerOfPatientIDQualifiersSequence', 'TypeOfPatientID', 'PatientBirthDate',
  'PatientBirthTime', 'PatientBirthDateInAlternativeCalendar', 'PatientDeathDateInAlternativeCalendar', 'PatientAlternativeCalendar',
  'PatientSex', 'QualityControlSubject', 'ReferencedPatientSequence', 'ReferencedPatientPhotoSequence', 'OtherPatientIDs',
  'OtherPatientIDsSequence', 'OtherPatientNames', 'PatientBirthName', 'PatientMotherBirthName', 'MedicalRecordLocator', 'EthnicGroup',
  'PatientComments', 'PatientAddress', 'PatientTelephoneNumbers', 'CountryOfResidence', 'RegionOfResidence', 'MilitaryRank',
  'BranchOfService', 'PatientReligiousPreference', 'PatientSpeciesDescription', 'PatientSpeciesCodeSequence', 'PatientBreedDescription',
  'PatientBreedCodeSequence', 'BreedRegistrationSequence', 'ResponsiblePerson', 'ResponsiblePersonRole', 'ResponsibleOrganization',
  'StrainDescription', 'StrainNomenclature', 'StrainStockSequence', 'StrainAdditionalInformation', 'StrainCodeSequence',
  'GeneticModificationsSequence', 'SourcePatientGroupIdentificationSequence', 'GroupOfPatientsIdentificationSequence',
  'PatientIdentityRemoved', 'DeidentificationMethod', 'DeidentificationMethodCodeSequence', 'ClinicalTrialSponsorName',
  'ClinicalTrialProtocolID', 'ClinicalTrialProtocolName', 'ClinicalTrialSiteID', 'ClinicalTrialSiteName', 'ClinicalTrialSubjectID',
  'ClinicalTrialSubjectReadingID', 'ClinicalTrialProtocolEthicsCommitteeName', 'ClinicalTrialProtocolEthicsCommitteeApprovalNumber',
  'NumberOfPatientRelatedStudies', 'NumberOfPatientRelatedSeries', 'NumberOfPatientRelatedInstances',
];

/** Study IE: General Study, Patient Study and Clinical Trial Study modules, and the study's computed keys. */
const STUDY = [
  'StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'ReferringPhysicianIdentificationSequence',
  'ConsultingPhysicianName', 'ConsultingPhysicianIdentificationSequence', 'StudyID', 'AccessionNumber', 'IssuerOfAccessionNumberSequence',
  'StudyDescription', 'PhysiciansOfRecord', 'PhysiciansOfRecordIdentificationSequence', 'NameOfPhysiciansReadingStudy',
  'PhysiciansReadingStudyIdentificationSequence', 'RequestingServiceCodeSequence', 'ReferencedStudySequence', 'ProcedureCodeSequence',
  'ReasonForPerformedProcedureCodeSequence', 'AdmittingDiagnosesDescription', 'AdmittingDiagnosesCodeSequence', 'PatientAge',
  'PatientSize', 'PatientSizeCodeSequence', 'PatientWeight', 'PatientBodyMassIndex', 'MeasuredAPDimension', 'MeasuredLateralDimension',
  'Occupation', 'AdditionalPatientHistory', 'AdmissionID', 'IssuerOfAdmissionIDSequence', 'ServiceEpisodeID', 'ServiceEpisodeDescription',
  'IssuerOfServiceEpisodeIDSequence', 'PatientSexNeutered', 'SmokingStatus', 'PregnancyStatus', 'LastMenstrualDate', 'PatientState',
  'ReasonForVisit', 'ReasonForVisitCodeSequence', 'ClinicalTrialTimePointID', 'ClinicalTrialTimePointDescription',
  'ConsentForClinicalTrialUseSequence', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances', 'ModalitiesInStudy', 'SOPClassesInStudy',
];

/** Series IE: General Series, Clinical Trial Series, Frame of Reference and General Equipment modules (PS3.4 C.6.1.1.4). */
const SERIES = [
  'Modality', 'SeriesInstanceUID', 'SeriesNumber', 'Laterality', 'SeriesDate', 'SeriesTime', 'PerformingPhysicianName',
  'PerformingPhysicianIdentificationSequence', 'ProtocolName', 'SeriesDescription', 'SeriesDescriptionCodeSequence', 'OperatorsName',
  'OperatorIdentificationSequence', 'ReferencedPerformedProcedureStepSequence', 'RelatedSeriesSequence', 'BodyPartExamined',
  'PatientPosition', 'SmallestPixelValueInSeries', 'LargestPixelValueInSeries', 'RequestAttributesSequence', 'PerformedProcedureStepID',
  'PerformedProcedureStepStartDate', 'PerformedProcedureStepStartTime', 'PerformedProcedureStepEndDate', 'PerformedProcedureStepEndTime',
  'PerformedProcedureStepDescription', 'PerformedProtocolCodeSequence', 'CommentsOnThePerformedProcedureStep', 'AnatomicalOrientationType',
  'ClinicalTrialCoordinatingCenterName', 'ClinicalTrialSeriesID', 'ClinicalTrialSeriesDescription', 'FrameOfReferenceUID',
  'PositionReferenceIndicator', 'Manufacturer', 'InstitutionName', 'InstitutionAddress', 'StationName', 'InstitutionalDepartmentName',
  'ManufacturerModelName', 'DeviceSerialNumber', 'SoftwareVersions', 'GantryID', 'SpatialResolution', 'DateOfLastCalibration',
  'TimeOfLastCalibration', 'NumberOfSeriesRelatedInstances',
];

const LEVEL_OF = new Map<string, number>([
  ...PATIENT.map((k) => [k, 0] as const),
  ...STUDY.map((k) => [k, 1] as const),
  ...SERIES.map((k) => [k, 2] as const),
]);

/**
 * Whether `keyword` is an attribute of `level` or of a level above it: what a record of that
 * level holds (a series also holds its study's and patient's attributes, as the Identifier of a
 * match "shall contain all of the Attributes generated ... at higher levels", PS3.4 C.4.1.3.2.2).
 * Any other attribute (not listed above: instance-level, private) belongs to the IMAGE level only.
 */
export function atOrAbove(keyword: string, level: QrLevel): boolean {
  return (LEVEL_OF.get(keyword) ?? 3) <= QR_LEVELS.indexOf(level);
}

/** Required Keys of each level (PS3.4 Tables C.6-1 to C.6-4; C.6-5 for the Study Root STUDY level). */
const REQUIRED: Record<QrLevel, readonly string[]> = {
  PATIENT: ['PatientName'],
  STUDY: ['StudyDate', 'StudyTime', 'AccessionNumber', 'StudyID'],
  SERIES: ['Modality', 'SeriesNumber'],
  IMAGE: ['InstanceNumber'],
};
/** Study Root has no PATIENT level: Patient's Name and Patient ID are Required Keys of its STUDY level. */
const STUDY_ROOT_STUDY = ['PatientName', 'PatientID'];

/**
 * The Required Keys of `level` and the levels above it in a model whose top level is `top`: a
 * zero-length value of one of these in a record is unknown and matches any key value (C.2.2.1.2).
 */
export function requiredKeys(top: QrLevel, level: QrLevel): ReadonlySet<string> {
  const keys = new Set<string>(top === 'STUDY' ? STUDY_ROOT_STUDY : []);
  for (const l of QR_LEVELS.slice(QR_LEVELS.indexOf(top), QR_LEVELS.indexOf(level) + 1)) for (const k of REQUIRED[l]) keys.add(k);
  return keys;
}
