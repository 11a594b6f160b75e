/**
 * The CloudWatch API the package needs (dashboards, alarms, metric data), through one SDK client
 * built from storage-core's AwsSettings (`AWS_ENDPOINT_URL_CLOUDWATCH` / `AWS_ENDPOINT_URL`,
 * region, profile). Every call has a deadline and is abortable; SDK failures become
 * `CloudWatchError` here, once.
 */
import type {
  CloudWatchClient,
  MetricAlarm,
  MetricDataQuery,
  MetricDataResult,
  MetricDatum,
  PutMetricAlarmCommandInput
} from "@aws-sdk/client-cloudwatch"
import { loadAwsSettings, type StorageConfigError } from "@localex/storage-core"
import { type AwsAttemptOptions, awsCall, clientConfig } from "@localex/storage-core/aws"
import { Context, Effect, Layer, Schema } from "effect"

export type { MetricAlarm, MetricDataQuery, MetricDataResult, MetricDatum, PutMetricAlarmCommandInput }

/** A CloudWatch request failed: which, AWS's error code, and its message. */
export class CloudWatchError extends Schema.TaggedError<CloudWatchError>()("CloudWatchError", {
  operation: Schema.String,
  code: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `CloudWatch ${this.operation} failed (${this.code}): ${this.reason}`
  }
}

export class CloudWatch extends Context.Service<
  CloudWatch,
  {
    /** The dashboard's body (JSON text), or null when there is no such dashboard. */
    readonly getDashboard: (name: string) => Effect.Effect<string | null, CloudWatchError>
    /** Stores the dashboard; returns CloudWatch's validation messages (warnings). */
    readonly putDashboard: (name: string, body: string) => Effect.Effect<ReadonlyArray<string>, CloudWatchError>
    /** The named metric alarms that exist. */
    readonly describeAlarms: (
      names: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<MetricAlarm>, CloudWatchError>
    /** Every metric alarm whose name starts with the prefix. */
    readonly describeAlarmsByPrefix: (prefix: string) => Effect.Effect<ReadonlyArray<MetricAlarm>, CloudWatchError>
    readonly putMetricAlarm: (input: PutMetricAlarmCommandInput) => Effect.Effect<void, CloudWatchError>
    readonly deleteAlarms: (names: ReadonlyArray<string>) => Effect.Effect<void, CloudWatchError>
    /** One PutMetricData request (≤ 1,000 datums; callers batch, see AppMetrics.toCloudWatch). */
    readonly putMetricData: (
      namespace: string,
      data: ReadonlyArray<MetricDatum>
    ) => Effect.Effect<void, CloudWatchError>
    /** Every page of GetMetricData for the queries in [start, end), results merged per query id. */
    readonly getMetricData: (
      queries: ReadonlyArray<MetricDataQuery>,
      start: Date,
      end: Date
    ) => Effect.Effect<ReadonlyArray<MetricDataResult>, CloudWatchError>
  }
>()("@localex/monitoring/CloudWatch") {
  /** From the environment (`loadAwsSettings("CLOUDWATCH")`), with a region or profile given by the caller winning. */
  static readonly layerConfig = (
    overrides: { readonly region?: string; readonly profile?: string } = {}
  ): Layer.Layer<CloudWatch, StorageConfigError> =>
    Layer.effect(
      CloudWatch,
      Effect.gen(function* () {
        const settings = yield* loadAwsSettings("CLOUDWATCH", overrides)
        const sdk = yield* loadSdk
        return make(sdk, new sdk.CloudWatchClient(clientConfig(settings)))
      })
    )

  /** From the environment. */
  static readonly layer: Layer.Layer<CloudWatch, StorageConfigError> = CloudWatch.layerConfig()

  /** Over a client the caller built (tests at the SDK boundary). */
  static readonly layerClient = (client: CloudWatchClient): Layer.Layer<CloudWatch> =>
    Layer.effect(
      CloudWatch,
      Effect.map(loadSdk, (sdk) => make(sdk, client))
    )
}

type Sdk = typeof import("@aws-sdk/client-cloudwatch")

/** The SDK is loaded when a CloudWatch layer is built, not when the package is imported (CLI start-up). */
const loadSdk: Effect.Effect<Sdk> = Effect.promise(() => import("@aws-sdk/client-cloudwatch"))

/** One request through storage-core's `awsAttempt` (deadline, retries); a failure is a `CloudWatchError`. */
const send = <A>(
  operation: string,
  call: (abortSignal: AbortSignal) => Promise<A>,
  options?: AwsAttemptOptions
): Effect.Effect<A, CloudWatchError> =>
  awsCall(call, ({ code, detail }) => new CloudWatchError({ operation, code, reason: detail }), options)

const make = (
  {
    DeleteAlarmsCommand,
    DescribeAlarmsCommand,
    GetDashboardCommand,
    GetMetricDataCommand,
    PutDashboardCommand,
    PutMetricAlarmCommand,
    PutMetricDataCommand
  }: Sdk,
  client: CloudWatchClient
): CloudWatch["Service"] =>
  CloudWatch.of({
    getDashboard: (name) =>
      send("GetDashboard", (abortSignal) =>
        client.send(new GetDashboardCommand({ DashboardName: name }), { abortSignal })
      ).pipe(
        Effect.map((out) => out.DashboardBody ?? null),
        Effect.catchIf(
          (error) => error.code === "ResourceNotFound" || error.code === "ResourceNotFoundException",
          () => Effect.succeed(null)
        )
      ),
    putDashboard: (name, body) =>
      send("PutDashboard", (abortSignal) =>
        client.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: body }), { abortSignal })
      ).pipe(
        Effect.map((out) =>
          (out.DashboardValidationMessages ?? []).map((m) => `${m.DataPath ?? ""}: ${m.Message ?? ""}`)
        )
      ),
    describeAlarms: (names) =>
      names.length === 0
        ? Effect.succeed([])
        : send("DescribeAlarms", (abortSignal) =>
            client.send(new DescribeAlarmsCommand({ AlarmNames: [...names], AlarmTypes: ["MetricAlarm"] }), {
              abortSignal
            })
          ).pipe(Effect.map((out) => out.MetricAlarms ?? [])),
    describeAlarmsByPrefix: (prefix) =>
      Effect.gen(function* () {
        const alarms: Array<MetricAlarm> = []
        let NextToken: string | undefined
        do {
          const out = yield* send("DescribeAlarms", (abortSignal) =>
            client.send(
              new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ["MetricAlarm"], NextToken }),
              { abortSignal }
            )
          )
          alarms.push(...(out.MetricAlarms ?? []))
          NextToken = out.NextToken
        } while (NextToken !== undefined)
        return alarms
      }),
    putMetricAlarm: (input) =>
      send("PutMetricAlarm", (abortSignal) => client.send(new PutMetricAlarmCommand(input), { abortSignal })).pipe(
        Effect.asVoid
      ),
    deleteAlarms: (names) =>
      names.length === 0
        ? Effect.void
        : send("DeleteAlarms", (abortSignal) =>
            client.send(new DeleteAlarmsCommand({ AlarmNames: [...names] }), { abortSignal })
          ).pipe(Effect.asVoid),
    putMetricData: (namespace, data) =>
      // Not retried: a lost answer would count the data twice.
      send(
        "PutMetricData",
        (abortSignal) =>
          client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: [...data] }), { abortSignal }),
        { retries: 0 }
      ).pipe(Effect.asVoid),
    getMetricData: (queries, start, end) =>
      Effect.gen(function* () {
        const merged = new Map<string, MetricDataResult & { Timestamps: Array<Date>; Values: Array<number> }>()
        let NextToken: string | undefined
        do {
          const out = yield* send("GetMetricData", (abortSignal) =>
            client.send(
              new GetMetricDataCommand({
                MetricDataQueries: [...queries],
                StartTime: start,
                EndTime: end,
                ScanBy: "TimestampAscending",
                NextToken
              }),
              { abortSignal }
            )
          )
          for (const result of out.MetricDataResults ?? []) {
            const id = result.Id ?? ""
            const entry = merged.get(id) ?? { Id: id, Timestamps: [], Values: [] }
            if (result.Label !== undefined) entry.Label = result.Label
            if (result.StatusCode !== undefined) entry.StatusCode = result.StatusCode
            entry.Timestamps.push(...(result.Timestamps ?? []))
            entry.Values.push(...(result.Values ?? []))
            merged.set(id, entry)
          }
          NextToken = out.NextToken
        } while (NextToken !== undefined)
        return [...merged.values()]
      })
  })
