/**
 * What each subcommand group is for, as the root's `--help` lists it: kept apart from the groups
 * themselves so that the root help loads none of them (see tree.ts).
 */
export const summaries = {
  object: "Objects: upload, download, list, inspect, copy, delete, sign URLs",
  image: "Photos: process locally, upload (item or profile), show a manifest, delete",
  stats:
    "Storage statistics: totals, storage classes, prefixes, size and age histograms, the largest objects, incomplete multipart uploads, noncurrent versions. With --quota, a verdict (exit 4 when a quota is exceeded)",
  cleanup:
    "Cleanups that plan first: expired files and orphans (dry run, safety limit, manifest, report), and incomplete multipart uploads",
  lifecycle: "Lifecycle rules as code: plan, apply (s3 only; the fs driver has no lifecycle)",
  tiering: "Intelligent tiering as code: plan, apply (AWS S3 only)",
  backup:
    "Backup and recovery: versioning, replication, snapshot, verify, versions, restore, undelete, pitr, status, drill",
  monitor: "Monitoring: S3 metrics, the CloudWatch dashboard and alarms as code, access-log analysis, daily checks",
  cdn: "The CDN: cache headers, invalidations, warming, statistics, settings review, signed URLs",
  cost: "Cost management: estimate, whatif, report (Cost Explorer), budget (AWS Budgets), advice. Prices: the built-in AWS list prices, or LOCALEX_COST_PRICES",
  perf: "Performance review (the operations guide's benchmarks)",
  audit: "Security audits: the bucket's posture, drift from a baseline, the IAM review",
  keys: "The HTTP app's API key file: list, add, rotate (LOCALEX_HTTP_API_KEYS_FILE)",
  incident: "Incident response on a versioned bucket: what changed, and containment"
} as const
