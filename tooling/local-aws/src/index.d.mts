// Types of @localex/local-aws for TypeScript consumers (moduleResolution NodeNext).

/** Where a moto server answers and the dummy key of its default account. */
export interface AwsSettings {
  /** e.g. http://127.0.0.1:40123 */
  readonly endpoint: string
  /** always "us-east-1" */
  readonly region: string
  /** "testing": moto checks no signatures */
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/** An account of its own on the engine (createTestAccount): requests signed with its key act in it. */
export interface TestAccount {
  /** 12 digits */
  readonly accountId: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/** AWS SDK v3 client settings (assignable to every `*ClientConfig`). */
export interface AwsClientConfig {
  readonly endpoint: string
  readonly region: string
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }
}

export interface S3ClientConfigOnMoto extends AwsClientConfig {
  readonly forcePathStyle: true
}

export interface StartOptions {
  /** Receives progress lines. Default: stderr with a [local-aws] prefix. */
  log?: ((line: string) => void) | undefined
  /** Let the server outlive this process (the CLI). Default false: it dies with it. */
  detached?: boolean | undefined
  /** Give up starting after this long. Default 60 000. */
  timeoutMs?: number | undefined
}

export interface LocalAws extends AwsSettings {
  readonly region: "us-east-1"
  readonly pid: number
  /** The folder with moto.log and the pid file (under os.tmpdir()). */
  readonly stateDir: string
  /** <stateDir>/moto.log */
  readonly log: string
  /** The bundle folder (LOCALEX_MOTO_HOME) or the moto_server file it ran. */
  readonly source: string
  /** Kills the server and deletes its state folder. */
  stop(): Promise<void>
}

/** Thrown by start() when there is no moto here (no LOCALEX_MOTO_HOME, no moto_server on PATH). */
export class EngineUnavailable extends Error {
  readonly name: "EngineUnavailable"
}

export const REGION: "us-east-1"
export const DUMMY_CREDENTIALS: { readonly accessKeyId: "testing"; readonly secretAccessKey: "testing" }
/** moto's account when a request names no other: "123456789012". */
export const DEFAULT_ACCOUNT_ID: "123456789012"
/** The IAM user that owns a test account's key: "localex-test". */
export const TEST_USER: "localex-test"

/** Where moto would come from: LOCALEX_MOTO_HOME's bundle, else moto_server on PATH; throws EngineUnavailable. */
export function findEngine(
  env?: Record<string, string | undefined>
): { readonly kind: "bundle"; readonly home: string } | { readonly kind: "path"; readonly file: string }
/** Starts a moto server on a free 127.0.0.1 port and waits until it answers. */
export function start(options?: StartOptions): Promise<LocalAws>
/** Kills the server of a state folder, waits until it is gone and deletes the folder. */
export function stop(stateDir: string): Promise<void>
/** Whether the server of a state folder is alive. */
export function isRunning(stateDir: string): boolean
/** Whether a moto server answers at endpoint (GET /moto-api/data.json). */
export function answers(endpoint: string, timeoutMs?: number): Promise<boolean>

/** The moto server of this test run, or undefined when there is none (skip the suite). */
export function testAws(): AwsSettings | undefined
/** The names of the environment variables testAws() reads. */
export const TEST_ENV: { readonly endpoint: "LOCALEX_TEST_AWS_ENDPOINT"; readonly region: "LOCALEX_TEST_AWS_REGION" }

/** A fresh random account with an IAM user (TEST_USER) and its access key; isolates a test file. */
export function createTestAccount(aws: AwsSettings): Promise<TestAccount>
/** Client settings for any control plane on the engine, as the account (default: moto's default account). */
export function awsClientConfig(aws: AwsSettings, account?: TestAccount): AwsClientConfig
/** The same for an S3Client on moto (bucket configuration RGW lacks), with path-style addressing. */
export function s3ClientConfig(aws: AwsSettings, account?: TestAccount): S3ClientConfigOnMoto

/** The environment of a process whose SDK clients read it: control planes on moto, S3 on the local RGW. */
export interface SplitEnv {
  readonly AWS_ENDPOINT_URL: string
  /** Present when an S3 engine was given. */
  readonly AWS_ENDPOINT_URL_S3?: string
  readonly AWS_REGION: string
  readonly AWS_ACCESS_KEY_ID: string
  readonly AWS_SECRET_ACCESS_KEY: string
}
/**
 * AWS_ENDPOINT_URL = moto, AWS_ENDPOINT_URL_S3 = the RGW, and the account's key, which this also
 * registers as an RGW user so one key pair works on both (needs s3.dataDir).
 */
export function splitEnv(
  aws: AwsSettings,
  account: TestAccount,
  s3?: { readonly endpoint: string; readonly dataDir: string | undefined } | undefined
): Promise<SplitEnv>

/** Queues GetCostAndUsage answers for an account (moto's POST /moto-api/static/ce/cost-and-usage-results). */
export function queueCostAndUsageResults(
  aws: AwsSettings,
  accountId: string,
  results: ReadonlyArray<object>
): Promise<void>

/** prefix + "-" + 8 random hex characters. */
export function uniqueName(prefix: string): string
