/**
 * Image box N-SET checks (PS3.4 H.4.3, PS3.3 C.13.5): the image pixel description a printer
 * accepts in a Basic Grayscale or Basic Color Image Sequence, and what happens to an image larger
 * than its image box (Requested Decimate/Crop Behavior, PS3.3 C.13.5.1).
 */
import type { Dataset } from '../scu/types';
import { namingTags, stringValue } from './n-attributes';
import { PrintClass, PrintStatus } from './print-uids';

/**
 * A status with the tags it is about: Offending Element (0000,0901), and for 0x0120 Missing
 * Attribute also the Attribute Identifier List (0000,1005) (PS3.7 C.5.13).
 */
export interface PrintCheck {
  readonly status: number;
  readonly offendingElement?: number[];
  readonly attributeIdentifierList?: number[];
  readonly errorComment?: string;
}

/** The largest image (pixels) an image box takes without decimating or cropping it. */
export interface ImageBoxSize {
  readonly rows: number;
  readonly columns: number;
}

const TAG: Record<string, number> = {
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  PixelData: 0x7fe00010,
};
const IMAGE_BOX_POSITION = 0x20200010;
const POLARITY = 0x20200020;
const GRAYSCALE_SEQUENCE = 0x20200110;
const COLOR_SEQUENCE = 0x20200111;

/** A refusal naming `tags`; 0x0120 names them in the Attribute Identifier List too (PS3.7 C.5.13). */
const fail = (status: number, tags: string[] | number[], errorComment?: string): PrintCheck => {
  const named = tags.map((t) => (typeof t === 'number' ? t : TAG[t]!));
  return {
    status,
    // 0x0120 and 0x0105: PS3.7 names the tags in the Attribute Identifier List (C.5.13, C.5.17).
    ...(status === 0x0120 || status === 0x0105 ? namingTags(named) : { offendingElement: named }),
    ...(errorComment && { errorComment }),
  };
};
const num = (ds: Dataset, key: string): number | undefined => {
  const v = stringValue(ds, key);
  return v === undefined || v === '' ? undefined : Number(v);
};

/** The byte length of naturalized Pixel Data (dcmjs gives an array of ArrayBuffers). */
function pixelBytes(value: unknown): number {
  const parts = Array.isArray(value) ? value : [value];
  let n = 0;
  for (const p of parts) if (p instanceof ArrayBuffer || ArrayBuffer.isView(p)) n += p.byteLength;
  return n;
}

/**
 * Checks one image (an item of Basic Grayscale/Color Image Sequence) against PS3.3 C.13.5:
 * grayscale 1 sample MONOCHROME1/2 with 8 of 8 or 12 of 16 bits; color 3 samples RGB 8 of 8 bits
 * with a Planar Configuration; unsigned; Pixel Data as long as the description says.
 */
export function checkPrintImage(image: Dataset, color: boolean): PrintCheck | undefined {
  const required = ['SamplesPerPixel', 'PhotometricInterpretation', 'Rows', 'Columns', 'BitsAllocated', 'BitsStored', 'HighBit', 'PixelRepresentation', 'PixelData'];
  if (color) required.push('PlanarConfiguration');
  const missing = required.filter((k) => image[k] === undefined || image[k] === null);
  if (missing.length > 0) return fail(0x0120, missing);
  const samples = num(image, 'SamplesPerPixel');
  const photometric = stringValue(image, 'PhotometricInterpretation')?.trim();
  const [rows, columns] = [num(image, 'Rows')!, num(image, 'Columns')!];
  const [allocated, stored, high] = [num(image, 'BitsAllocated'), num(image, 'BitsStored'), num(image, 'HighBit')];
  if (samples !== (color ? 3 : 1)) return fail(0x0106, ['SamplesPerPixel']);
  if (color ? photometric !== 'RGB' : photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') return fail(0x0106, ['PhotometricInterpretation']);
  if (color && num(image, 'PlanarConfiguration') !== 0 && num(image, 'PlanarConfiguration') !== 1) return fail(0x0106, ['PlanarConfiguration']);
  const depthOk = color ? allocated === 8 && stored === 8 : (allocated === 8 && stored === 8) || (allocated === 16 && stored === 12);
  if (!depthOk) return fail(0x0106, ['BitsAllocated', 'BitsStored']);
  if (high !== stored! - 1) return fail(0x0106, ['HighBit']);
  if (num(image, 'PixelRepresentation') !== 0) return fail(0x0106, ['PixelRepresentation']);
  if (!(rows > 0) || !(columns > 0)) return fail(0x0106, ['Rows', 'Columns']);
  const expected = rows * columns * samples * (allocated! / 8);
  const actual = pixelBytes(image.PixelData);
  // An odd length is padded to even (PS3.5 §7.1.1).
  if (actual !== expected && actual !== expected + (expected % 2)) {
    return fail(0x0106, ['PixelData'], `Pixel Data has ${actual} bytes, ${expected} expected`);
  }
  return undefined;
}

/**
 * What an image too large for its image box becomes (PS3.3 C.13.5.1, PS3.4 H.4.3.1.2.1.3):
 * CROP → 0xB609, DECIMATE → 0xB60A (0xC603 with Magnification Type NONE), FAIL or none → 0xC603.
 */
export function oversizeStatus(behavior: string | undefined, magnificationType: string | undefined): number {
  if (behavior === 'CROP') return PrintStatus.ImageCropped;
  if (behavior === 'DECIMATE' && magnificationType !== 'NONE') return PrintStatus.ImageDecimated;
  return PrintStatus.ImageTooLarge;
}

/**
 * Checks an image box N-SET Modification List (PS3.4 H.4.3.1.2.1 / H.4.3.2.2.1) against the image
 * box it is for. Undefined: accepted as is; a warning (0xBxxx): accepted; otherwise refused.
 */
export function checkImageBoxSet(
  box: Dataset,
  modifications: Dataset,
  options: { size?: ImageBoxSize; magnificationType?: string },
): PrintCheck | undefined {
  const color = box.SOPClassUID === PrintClass.colorImageBox;
  const [own, other] = color ? ['BasicColorImageSequence', 'BasicGrayscaleImageSequence'] : ['BasicGrayscaleImageSequence', 'BasicColorImageSequence'];
  if (modifications[other] !== undefined) return fail(0x0105, [color ? GRAYSCALE_SEQUENCE : COLOR_SEQUENCE]);
  const position = num(modifications, 'ImageBoxPosition');
  if (position === undefined) return fail(0x0120, [IMAGE_BOX_POSITION]);
  if (position !== box.ImageBoxPosition) return fail(0x0106, [IMAGE_BOX_POSITION], `image box ${String(box.ImageBoxPosition)}, not ${position}`);
  const polarity = stringValue(modifications, 'Polarity');
  if (polarity !== undefined && polarity !== 'NORMAL' && polarity !== 'REVERSE') return fail(0x0106, [POLARITY]);
  if (!(own in modifications)) return fail(0x0120, [color ? COLOR_SEQUENCE : GRAYSCALE_SEQUENCE]);
  const items = modifications[own];
  // A zero-length sequence erases the image (PS3.4 H.4.3.1.2.1.3).
  if (items === null || (Array.isArray(items) && items.length === 0)) return undefined;
  const image = (Array.isArray(items) ? items[0] : items) as Dataset;
  const bad = checkPrintImage(image, color);
  if (bad) return bad;
  const size = options.size;
  if (size && (num(image, 'Rows')! > size.rows || num(image, 'Columns')! > size.columns)) {
    const magnification = stringValue(modifications, 'MagnificationType') ?? options.magnificationType;
    const status = oversizeStatus(stringValue(modifications, 'RequestedDecimateCropBehavior'), magnification);
    return { status, errorComment: `image ${String(image.Rows)}x${String(image.Columns)} > box ${size.rows}x${size.columns}` };
  }
  return undefined;
}
