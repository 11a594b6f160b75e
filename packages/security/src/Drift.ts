/**
 * Policy drift: the bucket policy, public access block, default encryption and CORS compared
 * with a baseline file, both in normal form (statement and rule order, string-vs-array, key order,
 * letter case of actions, Sids and rule ids do not matter), and the difference as readable lines.
 * `saveBaseline` writes the file through a temporary file and a rename: never half a file.
 */
import { randomBytes } from "node:crypto"
import { readFile, rename, rm, writeFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import type { CORSRule, ServerSideEncryptionRule } from "@aws-sdk/client-s3"
import { Clock, Context, Effect, Layer } from "effect"
import { BaselineError, type SecurityAwsError } from "./PostureErrors.js"
import { canonical, normalizePolicy } from "./PosturePolicy.js"
import * as R from "./PostureRead.js"
import { SecurityClients } from "./SecurityClients.js"

export const BASELINE_FORMAT = "localex-security-baseline/1"

export const SECTIONS = ["policy", "publicAccessBlock", "encryption", "cors"] as const
export type Section = (typeof SECTIONS)[number]

/** Each section in normal form; `null`: the bucket has none. */
export type Sections = Partial<Record<Section, unknown>>

export interface Baseline {
  readonly format: typeof BASELINE_FORMAT
  readonly bucket: string
  readonly savedAt: string
  readonly sections: Sections
  /** Sections the endpoint could not read when the baseline was saved, with the reason. */
  readonly unchecked: Partial<Record<Section, string>>
}

export type SectionStatus = "same" | "changed" | "unchecked" | "not-in-baseline"

export interface SectionDrift {
  readonly section: Section
  readonly status: SectionStatus
  /** `- …` only in the baseline, `+ …` only in the bucket, `path: before → after`. */
  readonly changes: ReadonlyArray<string>
  readonly reason?: string
}

export interface DriftReport {
  readonly bucket: string
  readonly baseline: string
  readonly baselineSavedAt: string
  readonly drifted: boolean
  readonly sections: ReadonlyArray<SectionDrift>
}

const sorted = (items: ReadonlyArray<unknown>) =>
  [...new Map(items.map((i) => [canonical(i), i] as const)).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, i]) => i)

const strings = (v: unknown) => [...new Set((Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String))].sort()

/** A CORS rule in normal form (its ID dropped, lists sorted, methods upper-case). */
const normalizeCorsRule = (rule: CORSRule) => {
  const r = rule as unknown as Record<string, unknown>
  return {
    AllowedMethods: strings(r.AllowedMethods).map((m) => m.toUpperCase()),
    AllowedOrigins: strings(r.AllowedOrigins),
    AllowedHeaders: strings(r.AllowedHeaders).map((h) => h.toLowerCase()),
    ExposeHeaders: strings(r.ExposeHeaders).map((h) => h.toLowerCase()),
    ...(r.MaxAgeSeconds === undefined ? {} : { MaxAgeSeconds: Number(r.MaxAgeSeconds) })
  }
}

/** An encryption rule in normal form, in AWS's own shape (so that normalising twice changes nothing). */
const normalizeEncryptionRule = (rule: ServerSideEncryptionRule) => {
  const d = rule.ApplyServerSideEncryptionByDefault
  return {
    ApplyServerSideEncryptionByDefault: {
      SSEAlgorithm: d?.SSEAlgorithm ?? null,
      ...(d?.KMSMasterKeyID === undefined ? {} : { KMSMasterKeyID: d.KMSMasterKeyID })
    },
    BucketKeyEnabled: rule.BucketKeyEnabled === true
  }
}

/** Any section value (as read from the bucket or a hand-edited baseline) in normal form. */
export const normalizeSection = (section: Section, value: unknown): unknown => {
  if (value === null || value === undefined) return null
  switch (section) {
    case "policy": {
      if (typeof value !== "string") return normalizePolicy(value)
      const parsed = parseJson(value)
      return parsed === undefined ? { unparsed: value } : normalizePolicy(parsed)
    }
    case "publicAccessBlock": {
      const v = value as Record<string, unknown>
      return {
        BlockPublicAcls: v.BlockPublicAcls === true,
        IgnorePublicAcls: v.IgnorePublicAcls === true,
        BlockPublicPolicy: v.BlockPublicPolicy === true,
        RestrictPublicBuckets: v.RestrictPublicBuckets === true
      }
    }
    case "encryption":
      return sorted((value as ReadonlyArray<ServerSideEncryptionRule>).map(normalizeEncryptionRule))
    case "cors":
      return sorted((value as ReadonlyArray<CORSRule>).map(normalizeCorsRule))
  }
}

/** A policy text that is not JSON is compared as its text. */
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** The differences between two values in normal form, as lines. */
export const diff = (before: unknown, after: unknown, path = ""): ReadonlyArray<string> => {
  if (canonical(before) === canonical(after)) return []
  const at = path === "" ? "" : `${path}: `
  if (Array.isArray(before) && Array.isArray(after)) {
    const a = new Set(before.map(canonical))
    const b = new Set(after.map(canonical))
    return [
      ...[...a].filter((x) => !b.has(x)).map((x) => `- ${at}${x}`),
      ...[...b].filter((x) => !a.has(x)).map((x) => `+ ${at}${x}`)
    ]
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    return keys.flatMap((k) => diff(before[k], after[k], path === "" ? k : `${path}.${k}`))
  }
  if (before === null || before === undefined) return [`+ ${at}${canonical(after)}`]
  if (after === null || after === undefined) return [`- ${at}${canonical(before)}`]
  return [`${path || "value"}: ${canonical(before)} → ${canonical(after)}`]
}

/** The four sections as the bucket has them now (normal form), and those it could not read. */
const readSections = (bucket: string) =>
  Effect.gen(function* () {
    const reads = yield* Effect.all(
      {
        policy: R.readPolicy(bucket) as Effect.Effect<R.Read<unknown>, SecurityAwsError, SecurityClients>,
        publicAccessBlock: R.readBucketPublicAccessBlock(bucket),
        encryption: R.readEncryption(bucket),
        cors: R.readCors(bucket)
      },
      { concurrency: 4 }
    )
    const sections: Record<string, unknown> = {}
    const unchecked: Record<string, string> = {}
    for (const section of SECTIONS) {
      const read = reads[section] as R.Read<unknown>
      if (read._tag === "unchecked") unchecked[section] = read.reason
      else sections[section] = read._tag === "none" ? null : normalizeSection(section, read.value)
    }
    return { sections: sections as Sections, unchecked: unchecked as Partial<Record<Section, string>> }
  })

/** Parses and normalises a baseline file's text. */
export const parseBaseline = (path: string, text: string): Effect.Effect<Baseline, BaselineError> =>
  Effect.try({
    try: () => {
      const doc = JSON.parse(text) as Record<string, unknown>
      if (!isRecord(doc) || doc.format !== BASELINE_FORMAT)
        throw new Error(`its "format" is not "${BASELINE_FORMAT}" (write one with --save-baseline)`)
      if (!isRecord(doc.sections)) throw new Error(`it has no "sections" object`)
      const raw = doc.sections
      const sections: Record<string, unknown> = {}
      for (const section of SECTIONS) if (section in raw) sections[section] = normalizeSection(section, raw[section])
      return {
        format: BASELINE_FORMAT,
        bucket: typeof doc.bucket === "string" ? doc.bucket : "",
        savedAt: typeof doc.savedAt === "string" ? doc.savedAt : "",
        sections,
        unchecked: isRecord(doc.unchecked) ? (doc.unchecked as Partial<Record<Section, string>>) : {}
      } satisfies Baseline
    },
    catch: (error) => new BaselineError({ path, operation: "parse", reason: (error as Error).message })
  })

const readBaseline = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (error) => new BaselineError({ path, operation: "read", reason: (error as Error).message })
  }).pipe(Effect.flatMap((text) => parseBaseline(path, text)))

/** Writes `text` to `path` through a temporary file beside it and a rename (atomic on one filesystem). */
export const writeAtomically = (path: string, text: string): Effect.Effect<void, BaselineError> => {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`)
  return Effect.tryPromise({
    try: async () => {
      try {
        await writeFile(temp, text, { flag: "wx" })
        await rename(temp, path)
      } catch (error) {
        await rm(temp, { force: true })
        throw error
      }
    },
    catch: (error) => new BaselineError({ path, operation: "write", reason: (error as Error).message })
  })
}

/** Compares what the bucket has now with the baseline's sections. */
export const compare = (
  baseline: Baseline,
  current: { sections: Sections; unchecked: Partial<Record<Section, string>> }
) =>
  SECTIONS.map((section): SectionDrift => {
    const reason = current.unchecked[section]
    if (reason !== undefined) return { section, status: "unchecked", changes: [], reason }
    if (!(section in baseline.sections))
      return {
        section,
        status: "not-in-baseline",
        changes: [],
        reason: baseline.unchecked[section] ?? "the baseline has no such section"
      }
    const changes = diff(baseline.sections[section], current.sections[section])
    return { section, status: changes.length === 0 ? "same" : "changed", changes }
  })

export class Drift extends Context.Service<
  Drift,
  {
    /** Compares the bucket with the baseline file; `drifted` when a section changed. */
    readonly check: (
      bucket: string,
      baselinePath: string
    ) => Effect.Effect<DriftReport, SecurityAwsError | BaselineError>
    /** Writes the bucket's sections as a baseline file (atomically) and returns what it wrote. */
    readonly saveBaseline: (
      bucket: string,
      baselinePath: string
    ) => Effect.Effect<Baseline, SecurityAwsError | BaselineError>
  }
>()("@localex/security/Drift") {
  static readonly layer: Layer.Layer<Drift, never, SecurityClients> = Layer.effect(
    Drift,
    Effect.gen(function* () {
      const clients = yield* SecurityClients
      const current = (bucket: string) => readSections(bucket).pipe(Effect.provideService(SecurityClients, clients))
      const check = Effect.fn("Drift.check")(function* (bucket: string, baselinePath: string) {
        const baseline = yield* readBaseline(baselinePath)
        const sections = compare(baseline, yield* current(bucket))
        return {
          bucket,
          baseline: baselinePath,
          baselineSavedAt: baseline.savedAt,
          drifted: sections.some((s) => s.status === "changed"),
          sections
        }
      })
      const saveBaseline = Effect.fn("Drift.saveBaseline")(function* (bucket: string, baselinePath: string) {
        const now = yield* current(bucket)
        const baseline: Baseline = {
          format: BASELINE_FORMAT,
          bucket,
          savedAt: new Date(yield* Clock.currentTimeMillis).toISOString(),
          sections: now.sections,
          unchecked: now.unchecked
        }
        yield* writeAtomically(baselinePath, `${JSON.stringify(baseline, null, 2)}\n`)
        return baseline
      })
      return Drift.of({ check, saveBaseline })
    })
  )
}
