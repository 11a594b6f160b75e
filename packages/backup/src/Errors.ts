import { Schema } from "effect"

/** A location that is neither `s3://bucket[/prefix]` nor a local folder path. */
export class LocationInvalid extends Schema.TaggedError<LocationInvalid>()("LocationInvalid", {
  location: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid location ${JSON.stringify(this.location)}: ${this.reason} (write s3://bucket[/prefix] or a folder path)`
  }
}

/** The bytes read did not hash to the checksum the object carries: nothing was written for it. */
export class ChecksumMismatch extends Schema.TaggedError<ChecksumMismatch>()("ChecksumMismatch", {
  key: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message() {
    return `"${this.key}" read as SHA-256 ${this.actual}, not the ${this.expected} it carries (changed while read, or corrupt): nothing was written for it`
  }
}

/** Another run of the same snapshot wrote its checkpoint meanwhile: two runs must not mirror at once. */
export class SnapshotConflict extends Schema.TaggedError<SnapshotConflict>()("SnapshotConflict", {
  checkpointKey: Schema.String
}) {
  override get message() {
    return `Another snapshot run between the same locations is active (its checkpoint ${this.checkpointKey} changed): wait for it, or remove the checkpoint if that run is dead`
  }
}

/** Too many objects failed: the run stopped rather than report thousands of the same failure. */
export class TooManyFailures extends Schema.TaggedError<TooManyFailures>()("TooManyFailures", {
  failures: Schema.Number,
  first: Schema.String
}) {
  override get message() {
    return `${this.failures} objects failed, the first with: ${this.first} — the run stopped (nothing was deleted); fix that and run again to resume`
  }
}

/** The operation needs versioning enabled on the bucket. */
export class VersioningRequired extends Schema.TaggedError<VersioningRequired>()("VersioningRequired", {
  location: Schema.String,
  status: Schema.String,
  operation: Schema.String
}) {
  override get message() {
    return `${this.operation} needs versioning enabled on ${this.location} (it is ${this.status}): run \`backup versioning enable\` first`
  }
}

/** A verify, status or drill that found the backup not in order: the report says what. */
export class BackupCheckFailed extends Schema.TaggedError<BackupCheckFailed>()("BackupCheckFailed", {
  check: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.check} failed: ${this.reason}`
  }
}

/** A replication policy that cannot be applied as written. */
export class PolicyInvalid extends Schema.TaggedError<PolicyInvalid>()("PolicyInvalid", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The replication policy ${this.source} is not valid: ${this.reason}`
  }
}

/** Apply wrote the configuration but reading it back shows something else. */
export class ConfigurationNotApplied extends Schema.TaggedError<ConfigurationNotApplied>()("ConfigurationNotApplied", {
  location: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `The replication configuration of ${this.location} reads back different from what was applied: ${this.detail}`
  }
}

/** An undelete of a key whose latest version is not a delete marker. */
export class NotDeleted extends Schema.TaggedError<NotDeleted>()("NotDeleted", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `"${this.key}" is not deleted (${this.reason}): there is no delete marker to remove`
  }
}

/** `--delete` with a source that lists nothing would empty the destination: refused unless forced. */
export class EmptySource extends Schema.TaggedError<EmptySource>()("EmptySource", {
  source: Schema.String,
  destination: Schema.String,
  objects: Schema.Number
}) {
  override get message() {
    return `${this.source} lists no objects, so --delete would remove all ${this.objects} objects of ${this.destination}: check the location and prefix, or use --force`
  }
}
