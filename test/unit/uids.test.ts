import { describe, expect, it } from 'vitest';
import {
  generateUid,
  isStorageSopClass,
  isUncompressedTransferSyntax,
  SopClass,
  sopClass,
  sopClasses,
  storageSopClasses,
  TransferSyntax,
  transferSyntax,
  transferSyntaxes,
  uidName,
} from '../../src/uids';

describe('SOP class registry (PS3.6 Table A-1)', () => {
  it('CT Image Storage is storage', () => {
    expect(SopClass.CTImageStorage).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2')).toBe(true);
    expect(sopClass('1.2.840.10008.5.1.4.1.1.2')).toEqual({
      uid: '1.2.840.10008.5.1.4.1.1.2',
      keyword: 'CTImageStorage',
      name: 'CT Image Storage',
      kind: 'storage',
    });
  });

  it('has well over 100 current storage classes', () => {
    const current = storageSopClasses();
    expect(current.length).toBeGreaterThan(100);
    expect(storageSopClasses({ includeRetired: true }).length).toBeGreaterThan(current.length);
    expect(current).toContain(SopClass.MRImageStorage);
    expect(current).not.toContain('1.2.840.10008.5.1.4.1.1.5'); // retired NM
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.5')).toBe(true);
  });

  it('non-storage classes are not storage', () => {
    for (const uid of [SopClass.Verification, SopClass.StudyRootQueryRetrieveInformationModelFind, SopClass.ModalityPerformedProcedureStep, SopClass.BasicGrayscalePrintManagementMeta, '1.2.3']) {
      expect(isStorageSopClass(uid)).toBe(false);
    }
  });

  it('knows the key non-storage classes and their kinds', () => {
    const expectKind = (uid: string, kind: string): void => expect(sopClass(uid)?.kind).toBe(kind);
    expect(SopClass.Verification).toBe('1.2.840.10008.1.1');
    expectKind(SopClass.Verification, 'verification');
    expect(SopClass.StudyRootQueryRetrieveInformationModelFind).toBe('1.2.840.10008.5.1.4.1.2.2.1');
    expect(SopClass.PatientRootQueryRetrieveInformationModelMove).toBe('1.2.840.10008.5.1.4.1.2.1.2');
    expect(SopClass.CompositeInstanceRetrieveWithoutBulkDataGet).toBe('1.2.840.10008.5.1.4.1.2.5.3');
    expect(SopClass.ModalityWorklistInformationModelFind).toBe('1.2.840.10008.5.1.4.31');
    expectKind(SopClass.ModalityWorklistInformationModelFind, 'query-retrieve');
    expect(sopClass(SopClass.PatientStudyOnlyQueryRetrieveInformationModelFind)?.retired).toBe(true);
    expect(SopClass.StorageCommitmentPushModel).toBe('1.2.840.10008.1.20.1');
    expectKind(SopClass.StorageCommitmentPushModel, 'n-service');
    expect(SopClass.ModalityPerformedProcedureStep).toBe('1.2.840.10008.3.1.2.3.3');
    expect(SopClass.UnifiedProcedureStepPush).toBe('1.2.840.10008.5.1.4.34.6.1');
    expect(SopClass.UnifiedProcedureStepQuery).toBe('1.2.840.10008.5.1.4.34.6.5');
    expect(SopClass.InstanceAvailabilityNotification).toBe('1.2.840.10008.5.1.4.33');
    expect(SopClass.BasicFilmSession).toBe('1.2.840.10008.5.1.1.1');
    expect(SopClass.BasicColorPrintManagementMeta).toBe('1.2.840.10008.5.1.1.18');
    expectKind(SopClass.BasicColorPrintManagementMeta, 'meta');
    expect(SopClass.DisplaySystem).toBe('1.2.840.10008.5.1.1.40');
    expect(SopClass.MediaCreationManagement).toBe('1.2.840.10008.5.1.1.33');
    expect(SopClass.HangingProtocolInformationModelGet).toBe('1.2.840.10008.5.1.4.38.4');
    expect(SopClass.RTConventionalMachineVerification).toBe('1.2.840.10008.5.1.4.34.8');
    expect(SopClass.PrinterInstance).toBe('1.2.840.10008.5.1.1.17');
    expectKind(SopClass.PrinterInstance, 'well-known-instance');
  });

  it('has unique UIDs and unique keywords', () => {
    const all = sopClasses();
    expect(new Set(all.map((e) => e.uid)).size).toBe(all.length);
    expect(new Set(all.map((e) => e.keyword)).size).toBe(all.length);
    expect(Object.keys(SopClass).length).toBe(all.length);
    for (const e of all) expect(e.uid).toMatch(/^1\.2\.840\.10008(\.\d+)+$/);
  });
});

describe('uidName', () => {
  it('names SOP classes, transfer syntaxes and the application context', () => {
    expect(uidName('1.2.840.10008.1.1')).toBe('Verification SOP Class');
    expect(uidName('1.2.840.10008.5.1.4.1.1.2')).toBe('CT Image Storage');
    expect(uidName('1.2.840.10008.1.2')).toBe('Implicit VR Little Endian');
    expect(uidName('1.2.840.10008.1.2.4.50')).toBe('JPEG Baseline (Process 1)');
    expect(uidName('1.2.840.10008.3.1.1.1')).toBe('DICOM Application Context Name');
  });
  it('falls back to the UID', () => expect(uidName('1.2.3.4')).toBe('1.2.3.4'));
});

describe('transfer syntaxes (PS3.6 Table A-1)', () => {
  it('has the four uncompressed ones with the right flags', () => {
    expect(transferSyntax(TransferSyntax.ImplicitVRLittleEndian)).toMatchObject({ explicitVr: false, littleEndian: true, deflated: false, encapsulated: false });
    expect(transferSyntax(TransferSyntax.ExplicitVRLittleEndian)).toMatchObject({ explicitVr: true, littleEndian: true, deflated: false, encapsulated: false });
    expect(transferSyntax(TransferSyntax.DeflatedExplicitVRLittleEndian)).toMatchObject({ explicitVr: true, littleEndian: true, deflated: true, encapsulated: false });
    expect(transferSyntax(TransferSyntax.ExplicitVRBigEndian)).toMatchObject({ explicitVr: true, littleEndian: false, retired: true });
    for (const uid of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2']) {
      expect(isUncompressedTransferSyntax(uid)).toBe(true);
    }
    expect(isUncompressedTransferSyntax(TransferSyntax.JPEGBaseline8Bit)).toBe(false);
  });
  it('marks compressed syntaxes encapsulated', () => {
    for (const uid of [TransferSyntax.JPEGBaseline8Bit, TransferSyntax.JPEGLosslessSV1, TransferSyntax.JPEGLSLossless, TransferSyntax.JPEG2000, TransferSyntax.RLELossless, TransferSyntax.HTJ2KLossless, TransferSyntax.MPEG4HP41, TransferSyntax.HEVCMP51]) {
      expect(transferSyntax(uid)).toMatchObject({ encapsulated: true, explicitVr: true, littleEndian: true });
    }
    expect(transferSyntax('1.2.3')).toBeUndefined();
    expect(new Set(transferSyntaxes().map((t) => t.uid)).size).toBe(transferSyntaxes().length);
  });
});

describe('generateUid', () => {
  it('makes 2.25 UUID-derived UIDs', () => {
    const a = generateUid();
    const b = generateUid();
    expect(a).toMatch(/^2\.25\.(0|[1-9]\d*)$/);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(BigInt(a.slice(5))).toBeLessThan(2n ** 128n);
  });
  it('takes a root and rejects roots that make the UID too long', () => {
    expect(generateUid('1.2.3')).toMatch(/^1\.2\.3\.\d+$/);
    expect(() => generateUid('1.2.' + '9'.repeat(30))).toThrow(RangeError);
  });
});
