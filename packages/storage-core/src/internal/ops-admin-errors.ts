import { Schema } from "effect"

/** The S3 endpoint answered that it does not implement this (Ceph RGW and intelligent tiering, e.g.). */
export class NotImplementedByEndpoint extends Schema.TaggedError<NotImplementedByEndpoint>()(
  "NotImplementedByEndpoint",
  { operation: Schema.String, endpoint: Schema.String, detail: Schema.String }
) {
  override get message() {
    return `The S3 endpoint ${this.endpoint} does not implement ${this.operation} (${this.detail}): use AWS S3 for this`
  }
}
