import { memoryStore } from "./support/memoryStore.js"
import { uploadSuite } from "./support/uploadSuite.js"

uploadSuite("the in-memory test store", memoryStore())
