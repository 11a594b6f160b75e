/** AWS credentials for every client: static, a named profile, or the default chain; cached until near expiry. */
import { fromIni, fromNodeProviderChain } from "@aws-sdk/credential-providers"
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

/** Static credentials, a named profile, or the default Node credential chain (env, SSO, web identity, IMDS…). */
export const credentialsProvider = (options: Pick<AwsSettings, "credentials" | "profile">): CredentialsProvider => {
  const { credentials, profile } = options
  if (credentials !== undefined) {
    const fixed: Credentials = { ...credentials }
    return () => Promise.resolve(fixed)
  }
  const provider = profile !== undefined ? fromIni({ profile }) : fromNodeProviderChain()
  return () => provider()
}
