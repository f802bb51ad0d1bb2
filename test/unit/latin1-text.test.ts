/**
 * Text read one char per byte (PDU fields, command sets, data set values) goes through
 * TextDecoder('latin1'), which the WHATWG Encoding standard defines as windows-1252: browsers map
 * bytes 80H–9FH to other characters (0x80 → '€'), Node 20 does not. Both must give one char per
 * byte, so these tests also run against a decoder that behaves like a browser's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const RealDecoder = globalThis.TextDecoder;
/** windows-1252 as browsers decode it (only its 80H–9FH differ from Latin-1; 81, 8D, 8F, 90, 9D stay). */
const CP1252 = [0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178];
class BrowserLikeDecoder extends RealDecoder {
  private readonly cp1252: boolean;
  constructor(label = 'utf-8', options?: TextDecoderOptions) {
    super(label, options);
    this.cp1252 = this.encoding === 'windows-1252';
  }
  override decode(input?: AllowSharedBufferSource, options?: TextDecodeOptions): string {
    if (!this.cp1252 || !input) return super.decode(input, options);
    const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    let out = '';
    for (const b of bytes) out += String.fromCharCode(b >= 0x80 && b <= 0x9f ? CP1252[b - 0x80]! : b);
    return out;
  }
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const oneCharPerByte = (bytes: Uint8Array): string => Array.from(bytes, (b) => String.fromCharCode(b)).join('');

async function modules(browserLike: boolean) {
  vi.resetModules();
  if (browserLike) vi.stubGlobal('TextDecoder', BrowserLikeDecoder);
  const text = await import('../../src/bytes/text');
  const reader = await import('../../src/dataset/dict-reader');
  const commands = await import('../../src/dimse/command-set');
  const meta = await import('../../src/dataset/meta');
  // The fresh module graph has its own dcmjs holder, which the setup file did not fill.
  (await import('../../src/dataset/dcmjs-module')).provideDcmjs(await import('dcmjs'));
  return { ...text, ...reader, ...commands, ...meta };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe.each([false, true])('one char per byte (browser-like windows-1252: %s)', (browserLike) => {
  it('the stub decodes like a browser', () => {
    if (browserLike) expect(new BrowserLikeDecoder('latin1').decode(Uint8Array.of(0x80, 0x41))).toBe('€A');
  });

  it('decodeAscii maps every byte to its own code point', async () => {
    const { decodeAscii } = await modules(browserLike);
    expect(decodeAscii(ALL_BYTES)).toBe(oneCharPerByte(ALL_BYTES));
    expect(decodeAscii(ALL_BYTES.subarray(0x7e, 0xa2))).toBe(oneCharPerByte(ALL_BYTES.subarray(0x7e, 0xa2)));
    expect(decodeAscii(new Uint8Array(0))).toBe('');
  });

  it('the data set reader gives ASCII-kind and UI values one char per byte', async () => {
    const { readDict } = await modules(browserLike);
    // Explicit VR LE: (0008,0052) CS, (0008,0054) AE, (0020,000D) UI, each with bytes 80H–9FH among others.
    const value = [0x41, 0x80, 0x85, 0x9f, 0xa0, 0xff, 0x42, 0x20];
    const element = (group: number, elem: number, vr: string, v: number[]) => [group & 0xff, group >> 8, elem & 0xff, elem >> 8, vr.charCodeAt(0), vr.charCodeAt(1), v.length, 0, ...v];
    const bytes = Uint8Array.from([
      ...element(0x0008, 0x0052, 'CS', value),
      ...element(0x0008, 0x0054, 'AE', value),
      ...element(0x0020, 0x000d, 'UI', [0x31, 0x2e, 0x80, 0x32]),
    ]);
    const dict = readDict(bytes, false)!;
    expect(dict['00080052']!.Value).toEqual(['A\x80\x85\x9f\xa0\xffB']);
    expect(dict['00080054']!.Value).toEqual(['A\x80\x85\x9f\xa0\xffB']);
    expect(dict['0020000D']!.Value).toEqual(['1.2']); // dcmjs drops what is not a digit or '.'
  });

  it('a Part 10 file\'s identity (meta group UIDs read by hand) keeps one char per byte', async () => {
    const { readPart10Identity } = await modules(browserLike);
    const element = (elem: number, v: number[]) => [0x02, 0x00, elem & 0xff, elem >> 8, 0x55, 0x49, v.length, 0, ...v];
    const uid = [0x31, 0x2e, 0x80, 0x9f, 0x2e, 0x32]; // a malformed UID with bytes 80H and 9FH
    const meta = [...element(0x0002, [0x31, 0x2e, 0x32, 0x00]), ...element(0x0003, uid), ...element(0x0010, [0x31, 0x2e, 0x33, 0x00])];
    const file = Uint8Array.from([...new Array(128).fill(0), 0x44, 0x49, 0x43, 0x4d, 0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 4, 0, meta.length, 0, 0, 0, ...meta]);
    const identity = readPart10Identity(file);
    expect(identity).toMatchObject({ sopClassUid: '1.2', transferSyntaxUid: '1.3', datasetOffset: file.length });
    expect(identity.sopInstanceUid).toBe('1.\x80\x9f.2');
  });

  it('command set strings: ASCII as is, anything else as UTF-8', async () => {
    const { decodeCommand, encodeCommand } = await modules(browserLike);
    const cmd = decodeCommand(encodeCommand({ CommandField: 1, MessageID: 1, CommandDataSetType: 0x0101, AffectedSOPClassUID: '1.2.3', MoveDestination: 'DEST' }));
    expect(cmd.AffectedSOPClassUID).toBe('1.2.3');
    expect(cmd.MoveDestination).toBe('DEST');
    const utf8 = decodeCommand(encodeCommand({ CommandField: 1, MessageID: 1, CommandDataSetType: 0x0101, ErrorComment: 'Ä€x' }));
    expect(utf8.ErrorComment).toBe('Ä€x');
  });
});
