/** Storage statistics written by hand (monitoring's StorageStats), for the price arithmetic. */
import type { StorageStats } from "@localex/monitoring"

const GiB = 2 ** 30
export const DAY = 86_400_000

const AGE = [
  ["< 1 day", 0, 1],
  ["1–7 days", 1, 7],
  ["7–30 days", 7, 30],
  ["30–90 days", 30, 90],
  ["90–365 days", 90, 365],
  ["≥ 365 days", 365, null]
] as const
const SIZE = [
  ["< 1 KiB", 0, 1024],
  ["1–10 KiB", 1024, 10240],
  ["10–100 KiB", 10240, 102400],
  ["100 KiB–1 MiB", 102400, 1048576],
  ["1–10 MiB", 1048576, 10485760],
  ["10–100 MiB", 10485760, 104857600],
  ["100 MiB–1 GiB", 104857600, GiB],
  ["≥ 1 GiB", GiB, null]
] as const

export interface FixtureOptions {
  /** objects, bytes per age bucket label. */
  readonly ages?: Partial<Record<(typeof AGE)[number][0], readonly [number, number]>>
  readonly sizes?: Partial<Record<(typeof SIZE)[number][0], readonly [number, number]>>
  readonly classes?: ReadonlyArray<readonly [string, number, number]>
  readonly oldestDays?: number
  readonly multipart?: { uploads: number; bytes: number } | null
  readonly noncurrent?: { versions: number; bytes: number } | null
}

export const NOW = "2026-12-01T00:00:00.000Z"

export const statsFixture = (options: FixtureOptions): StorageStats => {
  const classes = options.classes ?? []
  const objects = classes.reduce((a, c) => a + c[1], 0)
  const bytes = classes.reduce((a, c) => a + c[2], 0)
  const oldest = new Date(Date.parse(NOW) - (options.oldestDays ?? 0) * DAY).toISOString()
  return {
    location: "s3://fixture",
    scope: "",
    source: "list",
    generatedAt: NOW,
    totals: { objects, bytes },
    byStorageClass: classes.map(([storageClass, o, b]) => ({ storageClass, objects: o, bytes: b })),
    byPrefix: { depth: 1, entries: [], truncated: false, other: { objects: 0, bytes: 0 } },
    tracked: [],
    sizeHistogram: SIZE.map(([label, minBytes, maxBytes]) => {
      const [o, b] = options.sizes?.[label] ?? [0, 0]
      return { label, minBytes, maxBytes, objects: o, bytes: b }
    }),
    ageHistogram: AGE.map(([label, minDays, maxDays]) => {
      const [o, b] = options.ages?.[label] ?? [0, 0]
      return { label, minDays, maxDays, objects: o, bytes: b }
    }),
    largest: [],
    oldest: { key: "items/old.jpg", size: 1, lastModified: oldest, storageClass: "STANDARD" },
    newest: null,
    multipartUploads:
      options.multipart === null
        ? null
        : { uploads: options.multipart?.uploads ?? 0, bytes: options.multipart?.bytes ?? 0, oldestInitiated: null },
    versions:
      options.noncurrent === null
        ? null
        : {
            versioning: "Enabled",
            noncurrentVersions: options.noncurrent?.versions ?? 0,
            noncurrentBytes: options.noncurrent?.bytes ?? 0,
            deleteMarkers: 0
          },
    listing: { mode: "sequential", shards: 1, durationMs: 1 }
  }
}

export { GiB }
