import type { Collection, Document, Filter, ObjectId } from 'mongodb'

/**
 * Sets `field` of the document `_id` to the number of documents matching `filter` in `source`.
 * FerretDB 1.x applies updates as read-then-write, so a concurrent `$inc` can be lost; instead
 * every writer stores the true count it read, and writes again if the count moved meanwhile:
 * the last write always saw the final count.
 */
export async function syncCount<T extends Document>(
  target: Collection<T>,
  _id: ObjectId,
  field: string,
  source: Collection<Document>,
  filter: Filter<Document>,
): Promise<number> {
  for (;;) {
    const n = await source.countDocuments(filter)
    await target.updateOne({ _id } as Filter<T>, { $set: { [field]: n } as Partial<T> })
    if ((await source.countDocuments(filter)) === n) return n
  }
}
