/** The API key model's errors: each says which file or key, what is wrong and what to do. */
import { Schema } from "effect"

/** The key file does not parse, or a key in it is malformed (the reason names the key and field). */
export class KeyFileInvalid extends Schema.TaggedError<KeyFileInvalid>()("KeyFileInvalid", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The API key file "${this.path}" is invalid: ${this.reason}`
  }
}

/** The key file cannot be read or written (missing, permissions, disk). */
export class KeyFileUnreadable extends Schema.TaggedError<KeyFileUnreadable>()("KeyFileUnreadable", {
  path: Schema.String,
  operation: Schema.Literals(["read", "write"]),
  reason: Schema.String
}) {
  override get message() {
    return `Cannot ${this.operation} the API key file "${this.path}": ${this.reason}`
  }
}

/** The file changed between our read and our write: nothing was written (conditional write). */
export class KeyFileChanged extends Schema.TaggedError<KeyFileChanged>()("KeyFileChanged", {
  path: Schema.String
}) {
  override get message() {
    return `The API key file "${this.path}" changed since it was read (another rotation or an edit): nothing was written; run the command again`
  }
}

/** Another writer holds the file's lock. */
export class KeyFileBusy extends Schema.TaggedError<KeyFileBusy>()("KeyFileBusy", {
  path: Schema.String,
  lock: Schema.String
}) {
  override get message() {
    return `The API key file "${this.path}" is being written by another command (lock "${this.lock}"): retry; if no other command is running, delete the lock file`
  }
}

/** No key with this id in the file. */
export class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", {
  path: Schema.String,
  id: Schema.String
}) {
  override get message() {
    return `No API key "${this.id}" in "${this.path}": see the ids with \`localex-storage keys list\``
  }
}

/** A key change that the rules refuse (rotating an expired or already rotating key, a duplicate id, a bad scope). */
export class KeyChangeRefused extends Schema.TaggedError<KeyChangeRefused>()("KeyChangeRefused", {
  id: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `API key "${this.id}": ${this.reason}`
  }
}

/** `LOCALEX_HTTP_API_KEYS` (`<sha256 hex>:<scope>+<scope>,…`) does not parse. */
export class KeyListInvalid extends Schema.TaggedError<KeyListInvalid>()("KeyListInvalid", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}
