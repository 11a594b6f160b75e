import { Schema } from "effect"

/** The incident request cannot be carried out as given (empty or reserved prefix, times out of order): nothing was read or written. */
export class InvalidIncidentRequest extends Schema.TaggedError<InvalidIncidentRequest>()("InvalidIncidentRequest", {
  field: Schema.String,
  value: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.field} ${JSON.stringify(this.value)}: ${this.reason}`
  }
}

/** Containment ran but some steps failed (listed); the manifest and report say what was done. Run it again: it converges. */
export class ContainmentIncomplete extends Schema.TaggedError<ContainmentIncomplete>()("ContainmentIncomplete", {
  failures: Schema.Array(Schema.String),
  reportKey: Schema.NullOr(Schema.String)
}) {
  override get message() {
    return `Containment incomplete: ${this.failures.join("; ")}${this.reportKey === null ? "" : ` (report: ${this.reportKey})`} — run the same command again to finish it`
  }
}
