/**
 * `localex-storage image …`: process, upload, manifest, delete. Each command decodes its input,
 * calls image-processing's ImagePipeline (settings: IMAGE_*), and hands the result to a shared
 * renderer. An image that is refused (empty, too large, not a supported format, …) is an
 * operation failure: exit 1, one line saying why.
 */

import { basename, extname, join, resolve } from "node:path"
import { Effect, FileSystem, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { LocalFileError, UsageError } from "../failure.js"
import { imageProcessing } from "../lazy.js"
import { readImageFile, writeDestination } from "../local.js"
import { Output } from "../Output.js"
import { NAME } from "../root.js"
import { useStore, withImageServices, withImageWriteServices, withLocalImageServices } from "../services.js"
import { plan } from "../views/objects.js"
import { photoDeleted, photoManifest, processedPhoto } from "../views/photos.js"
import { summaries } from "./summaries.js"

const imageFile = Argument.String("file").pipe(
  Argument.withDescription("The image: JPEG, PNG, WebP, AVIF or GIF (at most IMAGE_MAX_INPUT_BYTES)")
)
const photoRef = Argument.String("ref").pipe(
  Argument.withDescription(
    "A stored photo: items/<itemId>/photos/<photoId> or profiles/<userId>/photos/<photoId> (or its /manifest.json)"
  )
)
const optionalString = (name: string, description: string, metavar: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.withMetavar(metavar), Flag.optional)

/** `photo.jpg` → `photo`. */
const stem = (path: string) => basename(path, extname(path))

const processImage = Command.make(
  "process",
  {
    file: imageFile,
    out: optionalString("out", "Folder to write the variants to (default: ./<file name>-variants)", "dir")
  },
  Effect.fn("image.process")(function* (input) {
    const { ImagePipeline } = yield* imageProcessing
    const pipeline = yield* ImagePipeline
    const output = yield* Output
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* readImageFile(input.file, pipeline.config.maxInputBytes)
    // Nothing is written until the image has passed every check and is processed.
    const photo = yield* pipeline.process(bytes, { filename: basename(input.file) })
    const out = resolve(Option.getOrElse(input.out, () => `${stem(input.file)}-variants`))
    yield* fs
      .makeDirectory(out, { recursive: true })
      .pipe(Effect.mapError((error) => new LocalFileError({ path: out, operation: "write", reason: error.message })))
    const paths = yield* Effect.forEach(photo.variants, (variant) => {
      const path = join(out, `${variant.size}.${variant.extension}`)
      return writeDestination(path, path, Stream.succeed(variant.data)).pipe(Effect.map((written) => written ?? path))
    })
    yield* output.print(processedPhoto(photo, out, paths))
  })
).pipe(
  Command.withDescription(
    "Make the photo's variants (thumbnail, medium, large × WebP and JPEG, or PNG with transparency) as local " +
      "files, without storing anything: {out}/{size}.{ext}"
  ),
  Command.withExamples([
    { command: `${NAME} image process ./IMG_0001.jpg`, description: "Writes ./IMG_0001-variants/large.webp, …" },
    { command: `${NAME} --json image process ./photo.png --out /tmp/variants`, description: "As JSON" }
  ]),
  withLocalImageServices
)

const upload = Command.make(
  "upload",
  {
    file: imageFile,
    item: optionalString("item", "Add the photo to this item: items/<id>/photos/<photoId>/…", "id"),
    user: optionalString(
      "user",
      "Make it this user's profile photo, replacing the previous one: profiles/<userId>/photos/<photoId>/…",
      "userId"
    )
  },
  Effect.fn("image.upload")(function* (input) {
    if (Option.isSome(input.item) === Option.isSome(input.user)) {
      return yield* new UsageError({ reason: "say where the photo goes: --item <id> or --user <userId> (one of them)" })
    }
    const { ImagePipeline, Photos } = yield* imageProcessing
    const pipeline = yield* ImagePipeline
    const photos = yield* Photos
    const output = yield* Output
    yield* useStore
    const bytes = yield* readImageFile(input.file, pipeline.config.maxInputBytes)
    const declared = { filename: basename(input.file) }
    const manifest = Option.isSome(input.item)
      ? yield* photos.addItemPhoto(input.item.value, bytes, declared)
      : yield* photos.setProfilePhoto(Option.getOrThrow(input.user), bytes, declared)
    yield* output.print(photoManifest(manifest))
  })
).pipe(
  Command.withDescription(
    "Process a photo and store its variants and manifest, all of them or none; prints the manifest " +
      "(the same photo again gives the same photo)"
  ),
  Command.withExamples([
    { command: `${NAME} image upload ./IMG_0001.jpg --item item-123`, description: "Add a photo to an item" },
    { command: `${NAME} image upload ./me.png --user user-42`, description: "Set a user's profile photo" }
  ]),
  withImageWriteServices
)

const manifest = Command.make(
  "manifest",
  { ref: photoRef },
  Effect.fn("image.manifest")(function* (input) {
    const { ImagePipeline } = yield* imageProcessing
    const pipeline = yield* ImagePipeline
    const output = yield* Output
    yield* useStore
    yield* output.print(photoManifest(yield* pipeline.getManifest(input.ref)))
  })
).pipe(
  Command.withDescription("Show a stored photo's manifest: its source, and each variant's key, size and bytes"),
  Command.withExamples([
    { command: `${NAME} image manifest items/item-123/photos/3f2a…`, description: "One photo" },
    { command: `${NAME} object ls --prefix items/item-123/photos/`, description: "Find the item's photos" }
  ]),
  withImageServices
)

const deletePhoto = Command.make(
  "delete",
  {
    ref: photoRef,
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("Print what would be deleted, delete nothing"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("image.delete")(function* (input) {
    const { ImagePipeline, PhotoNotFound, parseRef } = yield* imageProcessing
    const pipeline = yield* ImagePipeline
    const output = yield* Output
    const store = yield* useStore
    if (!input.dryRun) return yield* output.print(photoDeleted(yield* pipeline.deletePhoto(input.ref)))
    const photo = yield* Effect.fromResult(parseRef(input.ref))
    const listed = yield* Stream.runCollect(store.list({ prefix: `${photo.prefix}/` }))
    const keys = listed.flatMap((entry) => (entry._tag === "Object" ? [entry.key] : []))
    if (keys.length === 0) return yield* new PhotoNotFound({ prefix: photo.prefix })
    // In the order a real run deletes them: the variants, then the manifest.
    const isManifest = (key: string) => key === photo.manifestKey
    yield* output.print(plan("delete", [...keys.filter((k) => !isManifest(k)), ...keys.filter(isManifest)]))
  })
).pipe(
  Command.withDescription("Delete a stored photo: every variant, then its manifest; --dry-run prints the keys"),
  Command.withExamples([
    { command: `${NAME} image delete --dry-run items/item-123/photos/3f2a…`, description: "What would go" },
    { command: `${NAME} image delete items/item-123/photos/3f2a…`, description: "Delete the photo" }
  ]),
  withImageServices
)

export const image = Command.make("image").pipe(
  Command.withDescription(summaries.image),
  Command.withSubcommands([processImage, upload, manifest, deletePhoto]),
  Command.withExamples([
    { command: `${NAME} image process ./IMG_0001.jpg`, description: "Variants as local files" },
    { command: `${NAME} image upload ./IMG_0001.jpg --item item-123`, description: "Store a photo" }
  ])
)
