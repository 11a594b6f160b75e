import { layerMemory } from "@localex/storage-core/testing"
import { uploadSuite } from "./support/uploadSuite.js"

uploadSuite("the in-memory test store", layerMemory())
