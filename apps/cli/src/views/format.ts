/** Formatting shared by every view: sizes, instants, aligned columns and tables, counts. */
import { Units } from "@localex/storage-core"

export const bytes = Units.formatBytes

/** An instant to the second, in UTC: 2026-11-28T13:24:00Z. */
export const instant = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

export const orDash = (value: string | undefined) => (value === undefined || value === "" ? "-" : value)

/** Aligned columns, left-aligned but for the columns listed in `right`. */
export const columns = (rows: ReadonlyArray<ReadonlyArray<string>>, right: ReadonlyArray<number> = []) => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]!.length))) ?? []
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)
      )
      .join("  ")
      .trimEnd()
  )
}

export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`
export const usage = (u: { readonly objects: number; readonly bytes: number }) =>
  `${count(u.objects, "object")}, ${bytes(u.bytes)}`
export const percent = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : "∞")

/** A table with a header row: text columns left, number columns (`right`) right-aligned. */
export const table = (
  title: string,
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  right: ReadonlyArray<number>
): Array<string> => (rows.length === 0 ? [] : ["", title, ...columns([header, ...rows], right).map((l) => `  ${l}`)])

export const usageRows = <T extends { readonly objects: number; readonly bytes: number }>(
  entries: ReadonlyArray<T>,
  label: (entry: T) => string
) => entries.map((e) => [label(e), String(e.objects), bytes(e.bytes)])

/**
 * Storage statistics (and a quota verdict): totals, listing, multipart uploads and versions as
 * label/value lines, then tables of storage classes, prefixes, sizes, ages and the largest
 * objects. The JSON is the StorageStats document (plus `quota`: the verdict).
 */
