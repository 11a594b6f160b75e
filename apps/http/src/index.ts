/** The LocalEx Storage HTTP API: its definition (for clients and OpenAPI) and its server layer. */
export * from "./Api.js"
export { HttpConfig, type HttpSettings } from "./HttpConfig.js"
export { baseUrl, ServerLive } from "./Server.js"
