// Types of @localex/local-s3 for TypeScript consumers (moduleResolution NodeNext).

/** Where an S3 engine answers and how to sign for it. */
export interface S3Settings {
  /** e.g. http://127.0.0.1:40123 (path-style addressing) */
  readonly endpoint: string
  /** always "us-east-1" */
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/** The engine a benchmark runs on (benchEngine). */
export interface BenchEngine extends S3Settings {
  /** The env file of the engine (AWS_ENDPOINT_URL_S3, keys, region), for child processes. */
  readonly envFile: string
  /** Stops an engine started for the run; nothing for a reused one. */
  stop(): Promise<void>
}

/**
 * The running engine whose env file LOCALEX_S3_ENV_FILE (or LOCALEX_S3_ENDPOINT_FILE) names, else
 * a new one started for the run.
 */
export function benchEngine(options?: { readonly log?: (line: string) => void }): Promise<BenchEngine>

/** The engine of a test run, as testS3() and inject("localS3") give it. */
export interface LocalS3Settings extends S3Settings {
  /** The cluster's data folder (for radosgwAdmin); undefined for an engine reused from AWS_* variables. */
  readonly dataDir: string | undefined
}

export interface StartOptions {
  /** The data folder; default a fresh `localex-s3-XXXXXX` folder under os.tmpdir(). */
  dataDir?: string | undefined
  /** Install ceph-mon, ceph-osd and radosgw with apt-get when missing (root on Linux). Default true. */
  installIfMissing?: boolean | undefined
  /** Receives progress lines (apt-get output, cleanups). Default: stderr with a [local-s3] prefix. */
  log?: ((line: string) => void) | undefined
  /** Let the daemons outlive this process (the CLI). Default false: they die with it. */
  detached?: boolean | undefined
  /** Give up starting after this long. Default 60 000. */
  timeoutMs?: number | undefined
  /** The memstore cap (RAM the OSD may fill). Default env LOCALEX_S3_MEMSTORE_BYTES or 4 GiB. */
  memstoreBytes?: number | undefined
}

export interface LocalS3 extends S3Settings {
  readonly region: "us-east-1"
  readonly dataDir: string
  /** <dataDir>/env: AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, LOCALEX_S3_DATA_DIR */
  readonly envFile: string
  readonly pids: { readonly mon: number; readonly osd: number; readonly rgw: number }
  /** Kills the daemons and deletes the data folder. */
  stop(): Promise<void>
}

/** Thrown by start() when no engine can exist here (not Linux, not root, no apt-get, apt-get failed). */
/**
 * The path of a tool the tests need (e.g. chromium), installing its Debian package with apt-get when
 * missing and root on Linux; undefined when it cannot be had here (under CI=true: throws).
 */
export function ensureDebianTool(tool: {
  readonly binary: string
  readonly debianPackage: string
  readonly log: (line: string) => void
}): Promise<string | undefined>

export class EngineUnavailable extends Error {
  readonly name: "EngineUnavailable"
}

export const REGION: "us-east-1"

/** Starts a throwaway Ceph cluster (mon + memstore OSD + RADOS Gateway) on free loopback ports. */
export function start(options?: StartOptions): Promise<LocalS3>
/** Kills the cluster in dataDir, waits until its daemons are gone and deletes the folder. */
export function stop(dataDir: string): Promise<void>
/** Whether the cluster in dataDir has all its daemons alive. */
export function isRunning(dataDir: string): boolean
/** Runs radosgw-admin against a cluster, e.g. radosgwAdmin(dir, "lc", "process"); resolves to its stdout. */
export function radosgwAdmin(dataDir: string, ...args: string[]): Promise<string>
/** Parses a KEY=VALUE file such as <dataDir>/env. */
export function readEnvFile(path: string): Record<string, string>

/** The S3 engine of this test run, or undefined when there is none (skip the suite). */
export function testS3(): LocalS3Settings | undefined
/** The names of the environment variables testS3() reads. */
export const TEST_ENV: {
  readonly endpoint: "LOCALEX_TEST_S3_ENDPOINT"
  readonly accessKeyId: "LOCALEX_TEST_S3_ACCESS_KEY_ID"
  readonly secretAccessKey: "LOCALEX_TEST_S3_SECRET_ACCESS_KEY"
  readonly region: "LOCALEX_TEST_S3_REGION"
  readonly dataDir: "LOCALEX_TEST_S3_DATA_DIR"
}

export const UNSIGNED_PAYLOAD: "UNSIGNED-PAYLOAD"
/** RFC 3986 percent-encoding as SigV4 wants it. */
export function encodeRfc3986(text: string): string

export interface SignOptions {
  method?: string | undefined
  url: string
  headers?: Record<string, string> | undefined
  /** Hashed when a string or bytes; anything else is signed as UNSIGNED-PAYLOAD. */
  body?: unknown
  accessKeyId: string
  secretAccessKey: string
  region?: string | undefined
  service?: string | undefined
  now?: Date | undefined
}
/** SigV4 headers to send (all but host), including authorization and x-amz-content-sha256. */
export function signV4(options: SignOptions): Record<string, string>

export interface S3Request {
  method?: string | undefined
  bucket?: string | undefined
  key?: string | undefined
  query?: Record<string, string> | undefined
  headers?: Record<string, string> | undefined
  body?: string | Uint8Array | undefined
  signal?: AbortSignal | undefined
}
/** One signed path-style S3 request with fetch. */
export function s3Request(s3: S3Settings, request?: S3Request): Promise<Response>
