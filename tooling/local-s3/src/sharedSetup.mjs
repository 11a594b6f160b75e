// What the engines' vitest global setups share: one engine per test run, however many projects.
//
// Vitest calls a global setup once per project, each time from that project's own module graph,
// so the state lives on globalThis: the first call starts the engine, the last teardown stops it.

/**
 * @param {{ key: string, provide: string, acquire: (state: { engine?: { stop(): Promise<void> } }) => Promise<unknown> }} engine
 *   `key` names the state on globalThis, `provide` the value tests `inject`; `acquire` finds or
 *   starts the engine (keeping what it started in `state.engine`) and resolves to the settings,
 *   or to undefined when the engine's tests should skip.
 */
export const sharedGlobalSetup =
  ({ key, provide, acquire }) =>
  /** @param {import("vitest/node").TestProject} project */
  async (project) => {
    const STATE = Symbol.for(key)
    globalThis[STATE] ??= { users: 0, settings: undefined, engine: undefined }
    const state = globalThis[STATE]
    state.users++
    state.settings ??= acquire(state)
    project.provide(provide, await state.settings)
    return async () => {
      if (--state.users > 0) return
      delete globalThis[STATE]
      await state.engine?.stop()
    }
  }

/**
 * Starts an engine, or says why its tests skip: undefined when it cannot run here
 * (`EngineUnavailable`), except under CI=true, where a missing engine fails the run.
 */
export async function startOrSkip({ name, what, start, say }) {
  try {
    return await start()
  } catch (error) {
    if (error?.name !== "EngineUnavailable") throw error
    if (process.env.CI === "true")
      throw new Error(`[${name}] CI=true and no ${what} engine: ${error.message}`, { cause: error })
    say(`SKIPPING ${what} tests: ${error.message}`)
    return undefined
  }
}
