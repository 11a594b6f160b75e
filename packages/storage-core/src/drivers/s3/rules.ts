/**
 * Lifecycle rules and intelligent-tiering configurations between the SDK's shapes and
 * LocalEx's model (internal/ops-bucket-model.ts). Whatever S3 can say that the model cannot is
 * named in `unsupported`, never silently dropped.
 */
import type {
  LifecycleRule as SdkRule,
  IntelligentTieringConfiguration as SdkTiering,
  Tag,
  Tiering,
  TransitionStorageClass
} from "@aws-sdk/client-s3"
import type { LifecycleRule, StorageTransition, TieringConfiguration } from "../../BucketModel.js"

const tagsOf = (tags: ReadonlyArray<Tag> | undefined): Record<string, string> | undefined => {
  if (tags === undefined || tags.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const tag of tags) out[tag.Key ?? ""] = tag.Value ?? ""
  return out
}

const sdkTags = (tags: Readonly<Record<string, string>>): Array<Tag> =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))

/** Prefix and tags of a filter in any of its forms (legacy top-level Prefix, Filter.Prefix, Tag, And). */
const filterOf = (
  filter:
    | {
        Prefix?: string | undefined
        Tag?: Tag | undefined
        And?: { Prefix?: string | undefined; Tags?: Array<Tag> | undefined } | undefined
      }
    | undefined,
  legacyPrefix: string | undefined
): { prefix: string; tags: Record<string, string> | undefined } => ({
  prefix: filter?.Prefix ?? filter?.And?.Prefix ?? legacyPrefix ?? "",
  tags: filter?.Tag !== undefined ? tagsOf([filter.Tag]) : tagsOf(filter?.And?.Tags)
})

/** An SDK filter: `{ Prefix }`; `{ Tag }` for one tag alone; `And` when several predicates combine. */
const sdkFilter = (prefix: string, tags: Readonly<Record<string, string>> | undefined) => {
  const list = tags === undefined ? [] : sdkTags(tags)
  if (list.length === 0) return { Prefix: prefix }
  if (prefix === "" && list.length === 1) return { Tag: list[0] as Tag }
  return { And: { ...(prefix === "" ? {} : { Prefix: prefix }), Tags: list } }
}

export const fromSdkRule = (rule: SdkRule, index: number): LifecycleRule => {
  const unsupported: Array<string> = []
  const { prefix, tags } = filterOf(rule.Filter, rule.Prefix)
  const filter = rule.Filter
  if (filter?.ObjectSizeGreaterThan !== undefined || filter?.And?.ObjectSizeGreaterThan !== undefined)
    unsupported.push("ObjectSizeGreaterThan")
  if (filter?.ObjectSizeLessThan !== undefined || filter?.And?.ObjectSizeLessThan !== undefined)
    unsupported.push("ObjectSizeLessThan")
  if (rule.Expiration?.Date !== undefined) unsupported.push("Expiration.Date")
  const transitions: Array<StorageTransition> = []
  for (const t of rule.Transitions ?? []) {
    if (t.Date !== undefined || t.Days === undefined) unsupported.push("Transition.Date")
    else transitions.push({ days: t.Days, storageClass: t.StorageClass ?? "" })
  }
  const noncurrentTransitions: Array<StorageTransition> = []
  for (const t of rule.NoncurrentVersionTransitions ?? []) {
    if (t.NewerNoncurrentVersions !== undefined) unsupported.push("NoncurrentVersionTransition.NewerNoncurrentVersions")
    noncurrentTransitions.push({ days: t.NoncurrentDays ?? 0, storageClass: t.StorageClass ?? "" })
  }
  if (rule.NoncurrentVersionExpiration?.NewerNoncurrentVersions !== undefined)
    unsupported.push("NoncurrentVersionExpiration.NewerNoncurrentVersions")
  const noncurrentDays = rule.NoncurrentVersionExpiration?.NoncurrentDays
  const abortDays = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation
  return {
    id: rule.ID !== undefined && rule.ID !== "" ? rule.ID : `(unnamed rule ${index + 1})`,
    enabled: rule.Status === "Enabled",
    prefix,
    ...(tags === undefined ? {} : { tags }),
    ...(rule.Expiration?.Days === undefined ? {} : { expirationDays: rule.Expiration.Days }),
    ...(rule.Expiration?.ExpiredObjectDeleteMarker === true ? { expiredObjectDeleteMarker: true } : {}),
    ...(transitions.length === 0 ? {} : { transitions }),
    ...(noncurrentDays === undefined ? {} : { noncurrentVersionExpirationDays: noncurrentDays }),
    ...(noncurrentTransitions.length === 0 ? {} : { noncurrentVersionTransitions: noncurrentTransitions }),
    ...(abortDays === undefined ? {} : { abortIncompleteMultipartUploadDays: abortDays }),
    ...(unsupported.length === 0 ? {} : { unsupported: [...new Set(unsupported)] })
  }
}

export const toSdkRule = (rule: LifecycleRule): SdkRule => ({
  ID: rule.id,
  Status: rule.enabled ? "Enabled" : "Disabled",
  Filter: sdkFilter(rule.prefix, rule.tags),
  ...(rule.expirationDays !== undefined
    ? { Expiration: { Days: rule.expirationDays } }
    : rule.expiredObjectDeleteMarker === true
      ? { Expiration: { ExpiredObjectDeleteMarker: true } }
      : {}),
  ...(rule.transitions === undefined || rule.transitions.length === 0
    ? {}
    : {
        Transitions: rule.transitions.map((t) => ({
          Days: t.days,
          StorageClass: t.storageClass as TransitionStorageClass
        }))
      }),
  ...(rule.noncurrentVersionExpirationDays === undefined
    ? {}
    : { NoncurrentVersionExpiration: { NoncurrentDays: rule.noncurrentVersionExpirationDays } }),
  ...(rule.noncurrentVersionTransitions === undefined || rule.noncurrentVersionTransitions.length === 0
    ? {}
    : {
        NoncurrentVersionTransitions: rule.noncurrentVersionTransitions.map((t) => ({
          NoncurrentDays: t.days,
          StorageClass: t.storageClass as TransitionStorageClass
        }))
      }),
  ...(rule.abortIncompleteMultipartUploadDays === undefined
    ? {}
    : { AbortIncompleteMultipartUpload: { DaysAfterInitiation: rule.abortIncompleteMultipartUploadDays } })
})

export const fromSdkTiering = (config: SdkTiering): TieringConfiguration => {
  const { prefix, tags } = filterOf(config.Filter, undefined)
  const days = (tier: string) => config.Tierings?.find((t) => t.AccessTier === tier)?.Days
  const archive = days("ARCHIVE_ACCESS")
  const deep = days("DEEP_ARCHIVE_ACCESS")
  return {
    id: config.Id ?? "",
    enabled: config.Status === "Enabled",
    prefix,
    ...(tags === undefined ? {} : { tags }),
    ...(archive === undefined ? {} : { archiveAccessDays: archive }),
    ...(deep === undefined ? {} : { deepArchiveAccessDays: deep })
  }
}

export const toSdkTiering = (config: TieringConfiguration): SdkTiering => {
  const tierings: Array<Tiering> = []
  if (config.archiveAccessDays !== undefined)
    tierings.push({ Days: config.archiveAccessDays, AccessTier: "ARCHIVE_ACCESS" })
  if (config.deepArchiveAccessDays !== undefined)
    tierings.push({ Days: config.deepArchiveAccessDays, AccessTier: "DEEP_ARCHIVE_ACCESS" })
  return {
    Id: config.id,
    Status: config.enabled ? "Enabled" : "Disabled",
    Filter: sdkFilter(config.prefix, config.tags),
    Tierings: tierings
  }
}
