/**
 * The peers the benchmarks compare against, run as separate processes: Debian's aws (v2 at
 * /usr/bin/aws — a pip-installed v1 may shadow it on PATH) and rclone, both pointed at the
 * benchmark's engine through their environment alone (no config files).
 */

export interface Endpoint {
  readonly endpoint: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

export const AWS_CLI = "/usr/bin/aws"
export const RCLONE = "/usr/bin/rclone"

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  // Set by some environments; rclone 1.60 refuses to start with it against plain http.
  delete env.AWS_CA_BUNDLE
  delete env.AWS_PROFILE
  return env
}

export const awsEnv = (s3: Endpoint): NodeJS.ProcessEnv => ({
  ...baseEnv(),
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  AWS_DEFAULT_REGION: s3.region,
  AWS_REGION: s3.region,
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_PAGER: ""
})

/** rclone's remote `bench:` comes from the environment. */
export const rcloneEnv = (s3: Endpoint): NodeJS.ProcessEnv => ({
  ...baseEnv(),
  RCLONE_CONFIG: "/dev/null",
  RCLONE_CONFIG_BENCH_TYPE: "s3",
  RCLONE_CONFIG_BENCH_PROVIDER: "Ceph",
  RCLONE_CONFIG_BENCH_ENDPOINT: s3.endpoint,
  RCLONE_CONFIG_BENCH_REGION: s3.region,
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: s3.accessKeyId,
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: s3.secretAccessKey
})
