// Outgoing integrations on MongoDB. FerretDB 1.x runs a conditional update or findOneAndUpdate
// as a read and then a write, so two instances racing both "win" one: the lease is therefore
// claimed by an insert into `integration_leases` keyed by the integration's id (the unique _id
// lets exactly one insert in), and a lease that ran out is deleted by its exact expiry before
// the insert, so of two takers that both saw it expired only one insert lands.
import type { Db, IndexDescription } from 'mongodb'
import type { IntegrationCursor, IntegrationRecord } from '../integration-records.ts'
import type { IntegrationStore } from '../store.ts'
import { hex, isDuplicateKey } from './ids.ts'
import type { RoomDoc } from './rooms.ts'

interface IntegrationDoc extends Omit<IntegrationRecord, 'id'> {
  _id: string
}

/** `_id`: `${integration}:${room}`, one cursor per pair by construction. */
interface CursorDoc extends IntegrationCursor {
  _id: string
}

interface LeaseDoc {
  _id: string
  owner: string
  until: Date
}

/** A lease is renewed only while this much of it is left, so no taker can be deleting it meanwhile. */
const RENEW_MARGIN_MS = 1000

export const integrationIndexes: Record<string, IndexDescription[]> = {
  integration_cursors: [{ key: { integration: 1 }, name: 'integration' }],
}

const toRecord = ({ _id, ...rest }: IntegrationDoc): IntegrationRecord => ({ id: _id, ...rest })
const toCursor = ({ _id, ...rest }: CursorDoc): IntegrationCursor => rest
const cursorId = (integration: string, room: string) => `${integration}:${room}`

export function mongoIntegrations(db: Db): IntegrationStore {
  const integrations = db.collection<IntegrationDoc>('integrations')
  const cursors = db.collection<CursorDoc>('integration_cursors')
  const leases = db.collection<LeaseDoc>('integration_leases')
  const rooms = db.collection<RoomDoc>('rooms')

  const addCursors = async (integration: string, cs: { room: string; seq: number }[]) => {
    if (cs.length === 0) return
    try {
      await cursors.insertMany(
        cs.map((c) => ({
          _id: cursorId(integration, c.room),
          integration,
          room: c.room,
          seq: c.seq,
          lastError: null,
          lastAttemptAt: null,
        })),
        { ordered: false },
      )
    } catch (err) {
      // A cursor that exists already stays as it is.
      const writeErrors = (err as { writeErrors?: { code?: number }[] }).writeErrors
      if (!isDuplicateKey(err) && !writeErrors?.every((e) => e.code === 11000)) throw err
    }
  }

  const insertLease = async (integration: string, owner: string, until: Date) => {
    try {
      await leases.insertOne({ _id: integration, owner, until })
      return true
    } catch (err) {
      if (isDuplicateKey(err)) return false
      throw err
    }
  }

  return {
    async create(integration, cs) {
      const { id, ...rest } = integration
      // Cursors first: an integration is never seen without them (a crash between the two
      // leaves cursors of no integration, which nothing reads).
      await addCursors(id, cs)
      await integrations.insertOne({ _id: id, ...rest })
    },
    async get(id) {
      const d = await integrations.findOne({ _id: id })
      return d ? toRecord(d) : null
    },
    async list() {
      return (await integrations.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map(toRecord)
    },
    count: () => integrations.countDocuments({}),
    async delete(id) {
      const gone = (await integrations.deleteOne({ _id: id })).deletedCount > 0
      await cursors.deleteMany({ integration: id })
      await leases.deleteMany({ _id: id })
      return gone
    },
    async cursors(id) {
      return (await cursors.find({ integration: id }).toArray()).map(toCursor)
    },
    addCursors,
    async advance(id, cs, at) {
      if (cs.length === 0) return
      // One update command for every room (unordered: a missing cursor does not stop the rest).
      await cursors.bulkWrite(
        cs.map((c) => ({
          updateOne: {
            filter: { _id: cursorId(id, c.room) },
            update: { $max: { seq: c.seq }, $set: { lastError: null, lastAttemptAt: at } },
          },
        })),
        { ordered: false },
      )
    },
    async failed(id, room, error, at) {
      await cursors.updateOne({ _id: cursorId(id, room) }, { $set: { lastError: error, lastAttemptAt: at } })
    },
    async roomsWithout(id, limit) {
      const [all, have] = await Promise.all([
        rooms
          .find({ kind: { $ne: 'dm' } })
          .sort({ _id: 1 })
          .project<{ _id: RoomDoc['_id'] }>({ _id: 1 })
          .toArray(),
        cursors.find({ integration: id }).project<{ room: string }>({ room: 1 }).toArray(),
      ])
      const known = new Set(have.map((c) => c.room))
      return all
        .map((r) => hex(r._id))
        .filter((r) => !known.has(r))
        .slice(0, limit)
    },
    async claim(id, owner, ms, now) {
      const until = new Date(now.getTime() + ms)
      const held = await leases.findOne({ _id: id })
      if (!held) return insertLease(id, owner, until)
      if (held.owner === owner && held.until.getTime() - now.getTime() > Math.min(RENEW_MARGIN_MS, ms / 4)) {
        // Ours and well within its time: nobody else may delete it, so the update is safe.
        const r = await leases.updateOne({ _id: id, owner, until: held.until }, { $set: { until } })
        return r.matchedCount > 0
      }
      if (held.until.getTime() > now.getTime()) return false
      // Ran out (or ours nearly so, taken again like anyone's): deleted by its exact expiry, so a
      // lease someone else took meanwhile is not the one deleted; then the insert decides.
      await leases.deleteOne({ _id: id, owner: held.owner, until: held.until })
      return insertLease(id, owner, until)
    },
    async release(id, owner) {
      await leases.deleteOne({ _id: id, owner })
    },
  }
}
