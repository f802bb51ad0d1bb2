/**
 * Transfer syntaxes of PS3.6 Table A-1 (UID Type "Transfer Syntax"), with the encoding facts
 * the network layer needs (PS3.5 §10 and Annex A).
 */

/** One transfer syntax (PS3.6 Table A-1; encoding rules PS3.5 Annex A). */
export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  /** Explicit VR (everything but Implicit VR Little Endian and its Papyrus twin). */
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The whole data set is deflated (PS3.5 A.5). */
  readonly deflated: boolean;
  /** Pixel Data is encapsulated (PS3.5 A.4). */
  readonly encapsulated: boolean;
  readonly retired?: boolean;
}

/** The uncompressed and common compressed transfer syntax UIDs (PS3.6 Table A-1). */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  JPEG2000MCLossless: '1.2.840.10008.1.2.4.92',
  JPEG2000MC: '1.2.840.10008.1.2.4.93',
  JPIPReferenced: '1.2.840.10008.1.2.4.94',
  JPIPReferencedDeflate: '1.2.840.10008.1.2.4.95',
  MPEG2MPML: '1.2.840.10008.1.2.4.100',
  MPEG2MPHL: '1.2.840.10008.1.2.4.101',
  MPEG4HP41: '1.2.840.10008.1.2.4.102',
  MPEG4HP41BD: '1.2.840.10008.1.2.4.103',
  MPEG4HP422D: '1.2.840.10008.1.2.4.104',
  MPEG4HP423D: '1.2.840.10008.1.2.4.105',
  MPEG4HP42Stereo: '1.2.840.10008.1.2.4.106',
  HEVCMP51: '1.2.840.10008.1.2.4.107',
  HEVCM10P51: '1.2.840.10008.1.2.4.108',
  JPEGXLLossless: '1.2.840.10008.1.2.4.110',
  JPEGXLJPEGRecompression: '1.2.840.10008.1.2.4.111',
  JPEGXL: '1.2.840.10008.1.2.4.112',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
  DeflatedImageFrameCompression: '1.2.840.10008.1.2.8.1',
} as const;

// [uid, name, flags]: flags 'i' implicit VR, 'b' big endian, 'd' deflated, 'e' encapsulated, 'r' retired.
const TABLE: ReadonlyArray<readonly [string, string, string]> = [
  ['1.2.840.10008.1.2', 'Implicit VR Little Endian', 'i'],
  ['1.2.840.10008.1.2.1', 'Explicit VR Little Endian', ''],
  ['1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', 'e'],
  ['1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'd'],
  ['1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'br'],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'e'],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 and 4)', 'e'],
  ['1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 and 5)', 'er'],
  ['1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8)', 'er'],
  ['1.2.840.10008.1.2.4.54', 'JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9)', 'er'],
  ['1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 and 12)', 'er'],
  ['1.2.840.10008.1.2.4.56', 'JPEG Full Progression, Non-Hierarchical (Process 11 and 13)', 'er'],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'e'],
  ['1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15)', 'er'],
  ['1.2.840.10008.1.2.4.59', 'JPEG Extended, Hierarchical (Process 16 and 18)', 'er'],
  ['1.2.840.10008.1.2.4.60', 'JPEG Extended, Hierarchical (Process 17 and 19)', 'er'],
  ['1.2.840.10008.1.2.4.61', 'JPEG Spectral Selection, Hierarchical (Process 20 and 22)', 'er'],
  ['1.2.840.10008.1.2.4.62', 'JPEG Spectral Selection, Hierarchical (Process 21 and 23)', 'er'],
  ['1.2.840.10008.1.2.4.63', 'JPEG Full Progression, Hierarchical (Process 24 and 26)', 'er'],
  ['1.2.840.10008.1.2.4.64', 'JPEG Full Progression, Hierarchical (Process 25 and 27)', 'er'],
  ['1.2.840.10008.1.2.4.65', 'JPEG Lossless, Hierarchical (Process 28)', 'er'],
  ['1.2.840.10008.1.2.4.66', 'JPEG Lossless, Hierarchical (Process 29)', 'er'],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'e'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless Image Compression', 'e'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless) Image Compression', 'e'],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'e'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'e'],
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', 'e'],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression', 'e'],
  // JPIP: pixel data is a URL reference, not encapsulated (PS3.5 A.6).
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced', ''],
  ['1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', 'd'],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', 'e'],
  ['1.2.840.10008.1.2.4.100.1', 'Fragmentable MPEG2 Main Profile / Main Level', 'e'],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', 'e'],
  ['1.2.840.10008.1.2.4.101.1', 'Fragmentable MPEG2 Main Profile / High Level', 'e'],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', 'e'],
  ['1.2.840.10008.1.2.4.102.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', 'e'],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', 'e'],
  ['1.2.840.10008.1.2.4.103.1', 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', 'e'],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', 'e'],
  ['1.2.840.10008.1.2.4.104.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', 'e'],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', 'e'],
  ['1.2.840.10008.1.2.4.105.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', 'e'],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', 'e'],
  ['1.2.840.10008.1.2.4.106.1', 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', 'e'],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', 'e'],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', 'e'],
  ['1.2.840.10008.1.2.4.110', 'JPEG XL Lossless', 'e'],
  ['1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression', 'e'],
  ['1.2.840.10008.1.2.4.112', 'JPEG XL', 'e'],
  ['1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'e'],
  ['1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', 'e'],
  ['1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', 'e'],
  ['1.2.840.10008.1.2.4.204', 'JPIP HTJ2K Referenced', ''],
  ['1.2.840.10008.1.2.4.205', 'JPIP HTJ2K Referenced Deflate', 'd'],
  ['1.2.840.10008.1.2.5', 'RLE Lossless', 'e'],
  ['1.2.840.10008.1.2.6.1', 'RFC 2557 MIME encapsulation', 'r'],
  ['1.2.840.10008.1.2.6.2', 'XML Encoding', 'r'],
  ['1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', ''],
  ['1.2.840.10008.1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', ''],
  ['1.2.840.10008.1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio', ''],
  ['1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression', 'e'],
  ['1.2.840.10008.1.20', 'Papyrus 3 Implicit VR Little Endian', 'ir'],
];

const BY_UID: ReadonlyMap<string, TransferSyntaxInfo> = new Map(
  TABLE.map(([uid, name, f]) => {
    const info: TransferSyntaxInfo = {
      uid,
      name,
      explicitVr: !f.includes('i'),
      littleEndian: !f.includes('b'),
      deflated: f.includes('d'),
      encapsulated: f.includes('e'),
      ...(f.includes('r') ? { retired: true } : {}),
    };
    return [uid, info] as const;
  }),
);

/** Look up a transfer syntax by UID (PS3.6 Table A-1); undefined when unknown. */
export function transferSyntax(uid: string): TransferSyntaxInfo | undefined {
  return BY_UID.get(uid);
}

/** Every known transfer syntax (PS3.6 Table A-1), retired ones included. */
export function transferSyntaxes(): TransferSyntaxInfo[] {
  return [...BY_UID.values()];
}

/** True for the four native (unencapsulated, whole-dataset) encodings that netdicom can re-encode. */
export function isUncompressedTransferSyntax(uid: string): boolean {
  return (
    uid === TransferSyntax.ImplicitVRLittleEndian ||
    uid === TransferSyntax.ExplicitVRLittleEndian ||
    uid === TransferSyntax.DeflatedExplicitVRLittleEndian ||
    uid === TransferSyntax.ExplicitVRBigEndian
  );
}
