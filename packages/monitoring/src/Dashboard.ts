/**
 * CloudWatch dashboards as code: a dashboard is typed data (`DashboardSpec`), rendered to the
 * dashboard body JSON CloudWatch stores (`render`, exportable as `dashboard.json`), compared with
 * what is deployed (`plan`: a readable field-by-field diff) and deployed (`apply`, idempotent:
 * nothing is written when nothing differs, and the result is read back).
 */
import { Effect, Schema } from "effect"
import { CloudWatch, type CloudWatchError } from "./CloudWatch.js"
import { formatItemsPlan, jsonDifferences, type Plan, planItems, sortKeys } from "./internal/jsonDiff.js"

/** One metric line of a widget. Dimensions are written in the order given. */
export interface MetricLine {
  readonly namespace: string
  readonly metricName: string
  readonly dimensions: ReadonlyArray<readonly [name: string, value: string]>
  readonly stat?: string
  readonly label?: string
  readonly yAxis?: "left" | "right"
  readonly id?: string
  /** False for a line only an expression uses. */
  readonly visible?: boolean
}

/** A metric-math or SEARCH expression line. */
export interface ExpressionLine {
  readonly expression: string
  readonly label: string
  readonly id: string
  readonly yAxis?: "left" | "right"
}

export interface MetricWidget {
  readonly type: "metric"
  readonly title: string
  readonly metrics: ReadonlyArray<MetricLine | ExpressionLine>
  /** Seconds. */
  readonly period: number
  readonly stat: string
  readonly view?: "timeSeries" | "singleValue"
  readonly stacked?: boolean
  /** The widget's region (CloudFront's metrics live in us-east-1); default the dashboard's. */
  readonly region?: string
  readonly width?: number
  readonly height?: number
}

export interface TextWidget {
  readonly type: "text"
  readonly markdown: string
  readonly width?: number
  readonly height?: number
}

export type Widget = MetricWidget | TextWidget

export interface DashboardSpec {
  readonly name: string
  readonly region: string
  readonly widgets: ReadonlyArray<Widget>
}

/** The grid CloudWatch lays widgets on is 24 units wide. */
const GRID_WIDTH = 24

const metricRow = (line: MetricLine | ExpressionLine): Array<unknown> => {
  if ("expression" in line)
    return [
      { expression: line.expression, label: line.label, id: line.id, ...(line.yAxis ? { yAxis: line.yAxis } : {}) }
    ]
  const options = {
    ...(line.stat === undefined ? {} : { stat: line.stat }),
    ...(line.label === undefined ? {} : { label: line.label }),
    ...(line.yAxis === undefined ? {} : { yAxis: line.yAxis }),
    ...(line.id === undefined ? {} : { id: line.id }),
    ...(line.visible === undefined ? {} : { visible: line.visible })
  }
  return [
    line.namespace,
    line.metricName,
    ...line.dimensions.flat(),
    ...(Object.keys(options).length === 0 ? [] : [options])
  ]
}

/** The dashboard body CloudWatch stores: widgets laid out left to right, wrapping at 24 units. */
export const render = (spec: DashboardSpec): { readonly widgets: ReadonlyArray<Record<string, unknown>> } => {
  let x = 0
  let y = 0
  let rowHeight = 0
  const widgets = spec.widgets.map((widget) => {
    const width = widget.width ?? (widget.type === "text" ? GRID_WIDTH : 12)
    const height = widget.height ?? (widget.type === "text" ? 2 : 6)
    if (x + width > GRID_WIDTH) {
      x = 0
      y += rowHeight
      rowHeight = 0
    }
    const placed = { type: widget.type, x, y, width, height }
    x += width
    rowHeight = Math.max(rowHeight, height)
    if (widget.type === "text") return { ...placed, properties: { markdown: widget.markdown } }
    return {
      ...placed,
      properties: {
        title: widget.title,
        view: widget.view ?? "timeSeries",
        stacked: widget.stacked ?? false,
        region: widget.region ?? spec.region,
        period: widget.period,
        stat: widget.stat,
        metrics: widget.metrics.map(metricRow)
      }
    }
  })
  return { widgets }
}

/** The body as the JSON text CloudWatch receives (and `--export` writes). */
export const renderJson = (spec: DashboardSpec): string => JSON.stringify(render(spec), null, 2)

// ── the operations guide's dashboard ──────────────────────────────────────────────────────

export interface GuideDashboardOptions {
  readonly bucket: string
  readonly region: string
  /** Default "LocalEx-Storage", the guide's name. */
  readonly name?: string
  /** The storage types whose size is charted (default StandardStorage). */
  readonly storageTypes?: ReadonlyArray<string>
  /** The bucket metrics configuration's id (default "EntireBucket"). */
  readonly filterId?: string
  /** The namespace of the application metrics (default "LocalEx/Storage"). */
  readonly namespace?: string
  /** A CloudFront distribution: adds the CDN widgets. */
  readonly distributionId?: string
}

export const DEFAULT_NAMESPACE = "LocalEx/Storage"

/**
 * The guide's `LocalEx-Storage` dashboard — "Storage Usage" (BucketSizeBytes per storage type and
 * NumberOfObjects, daily averages) and "Request Metrics" (AllRequests, GetRequests, PutRequests,
 * 5-minute sums) — plus errors, the application metrics and, given a distribution, the CDN.
 */
export const guideDashboard = (options: GuideDashboardOptions): DashboardSpec => {
  const bucket = ["BucketName", options.bucket] as const
  const filter = ["FilterId", options.filterId ?? "EntireBucket"] as const
  const namespace = options.namespace ?? DEFAULT_NAMESPACE
  const s3 = (
    metricName: string,
    dimensions: MetricLine["dimensions"],
    extra: Partial<MetricLine> = {}
  ): MetricLine => ({
    namespace: "AWS/S3",
    metricName,
    dimensions,
    ...extra
  })
  const app = (metricName: string, dimension: string, stat: string, label: string): ExpressionLine => ({
    expression: `SEARCH('{${namespace},${dimension}} MetricName="${metricName}"', '${stat}', 300)`,
    label,
    id: `${label.replace(/[^a-z0-9]/gi, "").toLowerCase()}`
  })
  const widgets: Array<Widget> = [
    {
      type: "metric",
      title: "Storage Usage",
      period: 86_400,
      stat: "Average",
      metrics: [
        ...(options.storageTypes ?? ["StandardStorage"]).map((type) =>
          s3("BucketSizeBytes", [bucket, ["StorageType", type]], { label: `BucketSizeBytes (${type})` })
        ),
        s3("NumberOfObjects", [bucket, ["StorageType", "AllStorageTypes"]], {
          label: "NumberOfObjects",
          yAxis: "right"
        })
      ]
    },
    {
      type: "metric",
      title: "Request Metrics",
      period: 300,
      stat: "Sum",
      metrics: ["AllRequests", "GetRequests", "PutRequests"].map((name) => s3(name, [bucket, filter]))
    },
    {
      type: "metric",
      title: "Errors",
      period: 300,
      stat: "Sum",
      metrics: [
        s3("4xxErrors", [bucket, filter], { id: "m4xx" }),
        s3("5xxErrors", [bucket, filter], { id: "m5xx" }),
        s3("AllRequests", [bucket, filter], { id: "mall", visible: false }),
        { expression: "100 * m4xx / mall", label: "4xx rate (%)", id: "rate4xx", yAxis: "right" },
        { expression: "100 * m5xx / mall", label: "5xx rate (%)", id: "rate5xx", yAxis: "right" }
      ]
    },
    {
      type: "metric",
      title: "Request latency",
      period: 300,
      stat: "p99",
      metrics: [
        s3("FirstByteLatency", [bucket, filter], { stat: "p50", label: "FirstByteLatency p50" }),
        s3("FirstByteLatency", [bucket, filter], { stat: "p99", label: "FirstByteLatency p99" }),
        s3("TotalRequestLatency", [bucket, filter], { stat: "p99", label: "TotalRequestLatency p99" })
      ]
    },
    {
      type: "metric",
      title: "Upload and download latency (app)",
      period: 300,
      stat: "p99",
      metrics: [
        app("localex_store_operation_seconds", "operation,outcome", "p50", "Store p50"),
        app("localex_store_operation_seconds", "operation,outcome", "p99", "Store p99")
      ]
    },
    {
      type: "metric",
      title: "Bytes moved and store errors (app)",
      period: 300,
      stat: "Sum",
      metrics: [
        app("localex_store_bytes_total", "direction", "Sum", "Bytes"),
        app("localex_store_errors_total", "error,operation", "Sum", "Errors")
      ]
    },
    {
      type: "metric",
      title: "Image processing and jobs (app)",
      period: 300,
      stat: "p99",
      metrics: [
        app("localex_image_processing_seconds", "variant", "p99", "Image processing p99"),
        app("localex_job_duration_seconds", "job,outcome", "Maximum", "Job duration max")
      ]
    }
  ]
  if (options.distributionId !== undefined) {
    const distribution = [
      ["DistributionId", options.distributionId],
      ["Region", "Global"]
    ] as const
    const cf = (metricName: string, stat: string): MetricLine => ({
      namespace: "AWS/CloudFront",
      metricName,
      dimensions: distribution,
      stat
    })
    widgets.push({
      type: "metric",
      title: "CDN",
      period: 300,
      stat: "Average",
      region: "us-east-1",
      metrics: [
        cf("Requests", "Sum"),
        { ...cf("CacheHitRate", "Average"), yAxis: "right" },
        { ...cf("4xxErrorRate", "Average"), yAxis: "right" },
        { ...cf("5xxErrorRate", "Average"), yAxis: "right" }
      ]
    })
  }
  return { name: options.name ?? "LocalEx-Storage", region: options.region, widgets }
}

// ── plan and apply ─────────────────────────────────────────────────────────────────────────

/** The body deployed does not parse as JSON: it was not written by this code; `apply` replaces it. */
const parseBody = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return { unparseable: body }
  }
}

export type DashboardPlan = Plan<unknown>

/** What applying `spec` would change in the deployed dashboard. */
export const plan = Effect.fn("Dashboard.plan")(function* (spec: DashboardSpec) {
  const cloudwatch = yield* CloudWatch
  const deployed = yield* cloudwatch.getDashboard(spec.name)
  const current = new Map<string, unknown>(deployed === null ? [] : [[spec.name, parseBody(deployed)]])
  return planItems(current, new Map([[spec.name, render(spec)]]), sortKeys)
})

export const formatPlan = (plan: DashboardPlan): Array<string> => formatItemsPlan(plan, "dashboard")

/** After `apply`, the dashboard read back still differs from the spec. */
export class DashboardNotApplied extends Schema.TaggedError<DashboardNotApplied>()("DashboardNotApplied", {
  name: Schema.String,
  differences: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Dashboard "${this.name}" still differs after applying it: ${this.differences.join("; ")}`
  }
}

export interface DashboardApplied {
  readonly plan: DashboardPlan
  /** True when the dashboard was written (false: it already matched). */
  readonly written: boolean
  /** CloudWatch's validation messages. */
  readonly warnings: ReadonlyArray<string>
}

/** Deploys the dashboard when it differs, then reads it back to check. */
export const apply = Effect.fn("Dashboard.apply")(function* (spec: DashboardSpec) {
  const cloudwatch = yield* CloudWatch
  const before = yield* plan(spec)
  if (before.empty) return { plan: before, written: false, warnings: [] } satisfies DashboardApplied
  const warnings = yield* cloudwatch.putDashboard(spec.name, renderJson(spec))
  const deployed = yield* cloudwatch.getDashboard(spec.name)
  const differences = jsonDifferences(sortKeys(deployed === null ? null : parseBody(deployed)), sortKeys(render(spec)))
  if (differences.length > 0) return yield* new DashboardNotApplied({ name: spec.name, differences })
  return { plan: before, written: true, warnings } satisfies DashboardApplied
}) as (spec: DashboardSpec) => Effect.Effect<DashboardApplied, CloudWatchError | DashboardNotApplied, CloudWatch>
