/**
 * A minimal EXIF reader for the tests: enough of TIFF's IFD layout to read IFD0 and the GPS IFD,
 * so a test can prove an input really carries GPS (and independently of the code under test).
 */

export type ExifValue = string | ReadonlyArray<number>

export interface ExifTags {
  readonly ifd0: ReadonlyMap<number, ExifValue>
  readonly gps: ReadonlyMap<number, ExifValue>
}

export const TAG = { Orientation: 0x0112, Make: 0x010f, GPSInfo: 0x8825 } as const
export const GPS_TAG = { LatitudeRef: 1, Latitude: 2, LongitudeRef: 3, Longitude: 4 } as const

const TYPE_SIZES: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8 }

/** Reads the tags of an EXIF block as sharp returns it (`metadata().exif`: "Exif\0\0" then a TIFF header). */
export const readExif = (exif: Uint8Array): ExifTags => {
  const start = Buffer.from(exif.subarray(0, 6)).toString("latin1") === "Exif\0\0" ? 6 : 0
  const view = new DataView(exif.buffer, exif.byteOffset + start, exif.byteLength - start)
  const little = view.getUint16(0) === 0x4949
  const u16 = (at: number) => view.getUint16(at, little)
  const u32 = (at: number) => view.getUint32(at, little)

  const readIfd = (offset: number): Map<number, ExifValue> => {
    const tags = new Map<number, ExifValue>()
    const count = u16(offset)
    for (let n = 0; n < count; n++) {
      const entry = offset + 2 + n * 12
      const tag = u16(entry)
      const type = u16(entry + 2)
      const items = u32(entry + 4)
      const size = (TYPE_SIZES[type] ?? 1) * items
      const at = size <= 4 ? entry + 8 : u32(entry + 8)
      if (type === 2) {
        let text = ""
        for (let i = 0; i < items - 1; i++) text += String.fromCharCode(view.getUint8(at + i))
        tags.set(tag, text)
      } else if (type === 3) {
        tags.set(
          tag,
          Array.from({ length: items }, (_, i) => u16(at + i * 2))
        )
      } else if (type === 4) {
        tags.set(
          tag,
          Array.from({ length: items }, (_, i) => u32(at + i * 4))
        )
      } else if (type === 5) {
        tags.set(
          tag,
          Array.from({ length: items }, (_, i) => u32(at + i * 8) / u32(at + i * 8 + 4))
        )
      }
    }
    return tags
  }

  const ifd0 = readIfd(u32(4))
  const gpsPointer = ifd0.get(TAG.GPSInfo)
  const gps = Array.isArray(gpsPointer) ? readIfd(gpsPointer[0]!) : new Map<number, ExifValue>()
  return { ifd0, gps }
}

/** Does the file contain an EXIF block anywhere (JPEG APP1 "Exif\0\0", PNG eXIf, WebP EXIF chunk)? */
export const containsExif = (bytes: Uint8Array): boolean => {
  const text = Buffer.from(bytes).toString("latin1")
  return text.includes("Exif\0\0") || text.includes("eXIf") || /EXIF.{4}(II\*\0|MM\0\*)/s.test(text)
}
