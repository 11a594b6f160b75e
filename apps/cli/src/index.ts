/**
 * The `localex-storage` CLI as a library: the command tree (to embed or extend) and its runner.
 */
export { cli, run, VERSION } from "./Cli.js"
export { type GlobalOptions, globalFlags, storageOverrides } from "./GlobalFlags.js"
export * from "./Output.js"
export * from "./views/format.js"
export * from "./views/objects.js"
export * from "./views/operations.js"
export * from "./views/photos.js"
