/**
 * The access-log security report and incident response as plain async functions, for the
 * `./promise` facade's `createSecurityService` to spread into its service object:
 *
 *   const { run, close } = serviceRuntime(Layer.mergeAll(…, incidentLayer(settings)))
 *   return { …, ...incidentMethods(run, settings), close }
 *
 * Log locations are strings (a path, or `s3://bucket/prefix/`); times are `Date`s.
 */
import { Cdn, type CdnOverrides } from "@localex/cdn"
import { Storage, type StorageOverrides } from "@localex/storage-core"
import type { CallOptions, ServiceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer } from "effect"
import { AccessLogReport, openLogSource, type SecurityLogOptions, type SecurityLogReport } from "../AccessLogReport.js"
import { type ChangesReport, type ContainOptions, type ContainReport, Incident } from "../Incident.js"

export type { SecurityLogOptions, SecurityLogReport } from "../AccessLogReport.js"
export type { ChangesReport, ContainReport } from "../Incident.js"

export interface IncidentServiceSettings {
  /** The bucket the incident is about (the environment's storage settings under these). */
  readonly storage?: StorageOverrides
  /** The CDN (LOCALEX_CDN_* under these); without a distribution, containment skips the CDN and says so. */
  readonly cdn?: CdnOverrides
}

/** The services the functions below run on. */
export const incidentLayer = (settings: IncidentServiceSettings = {}) => {
  const aws = {
    ...(settings.storage?.region === undefined ? {} : { region: settings.storage.region }),
    ...(settings.storage?.profile === undefined ? {} : { profile: settings.storage.profile })
  }
  return Layer.merge(
    AccessLogReport.layer,
    Incident.layer.pipe(
      Layer.provide(Layer.merge(Storage.layerConfig(settings.storage ?? {}), Cdn.layerConfig(settings.cdn ?? {}, aws)))
    )
  )
}

export interface IncidentChangesOptions extends CallOptions {
  readonly prefix: string
  readonly since: Date
  readonly until: Date
  /** Access logs to attribute the changes: a path or `s3://bucket/prefix/`. */
  readonly logs?: string
}

export interface ContainIncidentOptions extends Omit<ContainOptions, "logs">, CallOptions {
  readonly logs?: string
}

export interface IncidentMethods {
  /** 403 bursts, anonymous access, failed and unusual deletes in the logs at `location`. */
  readonly accessLogReport: (location: string, options?: SecurityLogOptions & CallOptions) => Promise<SecurityLogReport>
  /** What changed under a prefix between two times; writes the manifest and the Markdown report. */
  readonly incidentChanges: (options: IncidentChangesOptions) => Promise<ChangesReport>
  /** Restores the changed keys to their state before `before`, invalidates them on the CDN (`dryRun`: the plan). */
  readonly containIncident: (options: ContainIncidentOptions) => Promise<ContainReport & { readonly markdown: string }>
}

export const incidentMethods = (
  run: ServiceRuntime<AccessLogReport | Incident>["run"],
  settings: IncidentServiceSettings = {}
): IncidentMethods => {
  const withLogs = (logs: string | undefined) =>
    logs === undefined
      ? Effect.succeed({})
      : Effect.map(openLogSource(logs, settings.storage), (source) => ({ logs: { source, name: logs } }))
  return {
    accessLogReport: (location, { signal, ...options } = {}) =>
      run(
        Effect.scoped(
          Effect.gen(function* () {
            const source = yield* openLogSource(location, settings.storage)
            return yield* (yield* AccessLogReport).analyze(source, options)
          })
        ),
        { signal }
      ),
    incidentChanges: ({ signal, logs, ...options }) =>
      run(
        Effect.scoped(
          Effect.gen(function* () {
            return yield* (yield* Incident).changes({ ...options, ...(yield* withLogs(logs)) })
          })
        ),
        { signal }
      ),
    containIncident: ({ signal, logs, ...options }) =>
      run(
        Effect.scoped(
          Effect.gen(function* () {
            return yield* (yield* Incident).contain({ ...options, ...(yield* withLogs(logs)) })
          })
        ),
        { signal }
      )
  }
}
