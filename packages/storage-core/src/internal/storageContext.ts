import { Context } from "effect"
import { BucketAdmin } from "../BucketAdmin.js"
import { ObjectStore } from "../ObjectStore.js"

/** The two services every driver provides together. */
export interface StorageServices {
  readonly store: ObjectStore["Service"]
  readonly admin: BucketAdmin["Service"]
}

export const storageContext = ({ store, admin }: StorageServices) =>
  Context.make(ObjectStore, store).pipe(Context.add(BucketAdmin, admin))
