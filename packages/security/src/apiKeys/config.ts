/** Where the key file is: `LOCALEX_HTTP_API_KEYS_FILE` (the HTTP app's setting), for tools that edit it. */
import { Config, Effect, Option } from "effect"

/** The key file named by LOCALEX_HTTP_API_KEYS_FILE, if that is set and not empty. */
export const keyFileFromEnv: Effect.Effect<Option.Option<string>> = Config.option(
  Config.String("LOCALEX_HTTP_API_KEYS_FILE")
).pipe(
  Effect.map(Option.filter((path) => path.trim() !== "")),
  Effect.orElseSucceed(() => Option.none<string>())
)
