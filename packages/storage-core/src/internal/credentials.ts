/** AWS credentials for every client: static, a named profile, or the default chain; cached until near expiry. */
import type { AwsSettings } from "../StorageConfig.js"

/** Resolved credentials; `expiration` is set for temporary ones (STS, SSO, IMDS…). */
export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
  readonly expiration?: Date
}

export type CredentialsProvider = () => Promise<Credentials>

/** Temporary credentials are refreshed this long before they expire. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000

/**
 * Keeps the last resolved credentials and resolves again shortly before they expire; one
 * resolution at a time however many callers ask. Shared by the client and the presigner.
 */
export class CredentialsCache {
  private current: Credentials | undefined
  private pending: Promise<Credentials> | undefined

  constructor(
    private readonly provider: CredentialsProvider,
    private readonly now: () => number = Date.now
  ) {}

  /** Fresh credentials: the cached ones while they have more than 5 minutes left. */
  readonly get = (): Promise<Credentials> => {
    const current = this.fresh()
    return current !== undefined ? Promise.resolve(current) : this.refresh()
  }

  /** The cached credentials when they are still fresh (no waiting): the presigner's fast path. */
  readonly fresh = (): Credentials | undefined => {
    const current = this.current
    return current !== undefined && this.isFresh(current) ? current : undefined
  }

  private isFresh(credentials: Credentials): boolean {
    return (
      credentials.expiration === undefined || credentials.expiration.getTime() - this.now() > REFRESH_BEFORE_EXPIRY_MS
    )
  }

  private refresh(): Promise<Credentials> {
    this.pending ??= this.provider().then(
      (credentials) => {
        this.current = credentials
        this.pending = undefined
        return credentials
      },
      (error: unknown) => {
        this.pending = undefined
        throw error
      }
    )
    return this.pending
  }
}

/**
 * The chain's first link, read without it: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
 * AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION), unless AWS_PROFILE names a profile, as the SDK's
 * `fromEnv` and default chain do.
 */
const fromEnvironment = (env: NodeJS.ProcessEnv): Credentials | undefined => {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION } = env
  if (env.AWS_PROFILE || !AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) return undefined
  return {
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
    ...(AWS_CREDENTIAL_EXPIRATION ? { expiration: new Date(AWS_CREDENTIAL_EXPIRATION) } : {})
  }
}

/**
 * Static credentials, a named profile, or the default Node credential chain (env, SSO, web
 * identity, IMDS…). Static and environment credentials need no SDK; the SDK's providers are
 * loaded only for a profile or the rest of the chain.
 */
export const credentialsProvider = (
  options: Pick<AwsSettings, "credentials" | "profile">,
  env: NodeJS.ProcessEnv = process.env
): CredentialsProvider => {
  const { credentials, profile } = options
  const fixed =
    credentials !== undefined ? { ...credentials } : profile === undefined ? fromEnvironment(env) : undefined
  if (fixed !== undefined) return () => Promise.resolve(fixed)
  let provider: Promise<CredentialsProvider> | undefined
  return async () => {
    provider ??= import("@aws-sdk/credential-providers").then((sdk) =>
      profile !== undefined ? sdk.fromIni({ profile }) : sdk.fromNodeProviderChain()
    )
    return (await provider)()
  }
}
