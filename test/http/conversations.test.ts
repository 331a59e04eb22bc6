// Conversations over HTTP on the run's backend: edits, deletions, reactions, replies, mentions,
// read markers and unread counts, direct rooms, kicks and mutes, with the races the rules name.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'

t.test(`conversations over HTTP on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  let n = 0
  const room = async (...members: Caller[]) => {
    const id = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: `r${n++}` } })).body.room
      .id as string
    for (const m of members)
      t.equal((await call(app, 'POST', `/api/rooms/${id}/join`, { as: m })).status, 200)
    return id
  }
  const send = async (roomId: string, as: Caller, text: string, extra: object = {}) => {
    const res = await call(app, 'POST', `/api/rooms/${roomId}/messages`, {
      as,
      body: { text, clientMsgId: `c${n++}`, ...extra },
    })
    return res
  }
  const history = async (roomId: string, as: Caller) =>
    (await call(app, 'GET', `/api/rooms/${roomId}/messages`, { as })).body.items as any[]
  const emojiUrl = (roomId: string, seq: number, emoji: string) =>
    `/api/rooms/${roomId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`

  t.test('edit: the author only, a new seq in the stream, history shows the current text', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann, bob)
    const m = (await send(id, ann, 'helo')).body.message
    t.match(m, { seq: 1, editedAt: null, deleted: false, replyTo: null, mentions: [], reactions: [] })
    const edited = await call(app, 'PATCH', `/api/rooms/${id}/messages/1`, {
      as: ann,
      body: { text: 'hello' },
    })
    t.equal(edited.status, 200)
    t.match(edited.body.message, { seq: 1, text: 'hello', deleted: false })
    t.ok(edited.body.message.editedAt)
    const notMine = await call(app, 'PATCH', `/api/rooms/${id}/messages/1`, { as: bob, body: { text: 'x' } })
    t.equal(notMine.status, 403)
    t.equal(notMine.body.code, 'FORBIDDEN')
    t.equal(
      (await call(app, 'PATCH', `/api/rooms/${id}/messages/99`, { as: ann, body: { text: 'x' } })).status,
      404,
    )
    for (const body of [{}, { text: '' }, { text: 'x'.repeat(4001) }, { text: '   ' }])
      t.equal((await call(app, 'PATCH', `/api/rooms/${id}/messages/1`, { as: ann, body })).status, 400)
    t.equal(
      (await call(app, 'PATCH', `/api/rooms/${id}/messages/0`, { as: ann, body: { text: 'x' } })).status,
      400,
    )
    const items = await history(id, bob)
    t.equal(items.length, 1, 'history has messages only')
    t.match(items[0], { seq: 1, text: 'hello' })
    t.equal(
      (await call(app, 'GET', `/api/rooms/${id}`, { as: bob })).body.room.lastSeq,
      2,
      'the edit took seq 2',
    )
    t.equal((await send(id, bob, 'next')).body.message.seq, 3)
  })

  t.test('delete: text gone, tombstone kept, idempotent; who may', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann, bob)
    await send(id, ann, 'secret words')
    await send(id, bob, 'reply')
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/1`, { as: bob })).status, 403)
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/1`, { as: ann })).status, 204)
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/1`, { as: ann })).status, 204, 'again: 204')
    t.equal(
      (await call(app, 'DELETE', `/api/rooms/${id}/messages/2`, { as: admin })).status,
      204,
      'an admin may',
    )
    const items = await history(id, ann)
    t.match(items, [
      { seq: 1, deleted: true, text: '', from: { id: ann.userId } },
      { seq: 2, deleted: true, text: '' },
    ])
    const stored = await app.core.internals.store.messages.range(id, { after: 0, limit: 10 })
    t.notOk(JSON.stringify(stored).includes('secret words'), 'the text is gone from the store')
    const edit = await call(app, 'PATCH', `/api/rooms/${id}/messages/1`, { as: ann, body: { text: 'back' } })
    t.equal(edit.status, 409)
    t.equal(edit.body.code, 'DELETED')
    const react = await call(app, 'PUT', emojiUrl(id, 1, '👍'), { as: bob })
    t.equal(react.body.code, 'DELETED')
    t.equal(
      (await call(app, 'GET', `/api/rooms/${id}`, { as: ann })).body.room.lastSeq,
      4,
      'two deletions, two seqs',
    )
  })

  t.test('an edit racing a delete ends deleted', async (t) => {
    const ann = await newUser(app)
    const id = await room(ann)
    for (let i = 0; i < 5; i++) {
      const seq = (await send(id, ann, `draft ${i}`)).body.message.seq
      const [edit, del] = await Promise.all([
        call(app, 'PATCH', `/api/rooms/${id}/messages/${seq}`, { as: ann, body: { text: `edited ${i}` } }),
        call(app, 'DELETE', `/api/rooms/${id}/messages/${seq}`, { as: ann }),
      ])
      t.equal(del.status, 204)
      t.ok([200, 409].includes(edit.status), `edit ${edit.status}`)
      const m = (await app.core.internals.store.messages.get(id, seq))!
      t.ok(m.deleted && m.text === '', `message ${seq} ends deleted`)
    }
  })

  t.test('reactions: one emoji grapheme, idempotent, counted once per user, at most 20', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann, bob)
    await send(id, ann, 'react to me')
    // The same user, the same emoji, at once: counted once.
    const puts = await Promise.all(
      Array.from({ length: 6 }, () => call(app, 'PUT', emojiUrl(id, 1, '👍'), { as: bob })),
    )
    t.same(
      puts.map((p) => p.status),
      Array(6).fill(204),
    )
    await call(app, 'PUT', emojiUrl(id, 1, '👍'), { as: ann })
    await call(app, 'PUT', emojiUrl(id, 1, '👨‍👩‍👧'), { as: ann })
    t.match((await history(id, bob))[0].reactions, [
      { emoji: '👍', count: 2, mine: true },
      { emoji: '👨‍👩‍👧', count: 1, mine: false },
    ])
    for (const bad of ['a', '👍👍', ':)', 'x'.repeat(70)]) {
      const res = await call(app, 'PUT', emojiUrl(id, 1, bad), { as: bob })
      t.equal(res.status, 400, bad.slice(0, 10))
      t.equal(res.body.code, 'VALIDATION')
    }
    t.equal((await call(app, 'DELETE', emojiUrl(id, 1, '👍'), { as: bob })).status, 204)
    t.equal((await call(app, 'DELETE', emojiUrl(id, 1, '👍'), { as: bob })).status, 204, 'idempotent')
    t.match((await history(id, bob))[0].reactions, [{ emoji: '👍', count: 1, mine: false }])
    const emojis = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗🤩']
    for (const e of emojis.slice(0, 18))
      t.equal((await call(app, 'PUT', emojiUrl(id, 1, e), { as: ann })).status, 204)
    const full = await call(app, 'PUT', emojiUrl(id, 1, emojis[18]!), { as: ann })
    t.equal(full.status, 409)
    t.equal(full.body.code, 'TOO_MANY_REACTIONS')
    t.equal(
      (await call(app, 'PUT', emojiUrl(id, 1, '👍'), { as: bob })).status,
      204,
      'an emoji already there still may',
    )
    const outsider = await newUser(app)
    t.equal((await call(app, 'PUT', emojiUrl(id, 1, '👍'), { as: outsider })).body.code, 'NOT_MEMBER')
  })

  t.test('replies and mentions', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann, bob)
    const other = await room(ann)
    await send(id, ann, `${'é'.repeat(150)}${'x'.repeat(100)}`)
    const reply = await send(id, bob, `yes @${ann.username.toUpperCase()}, and @nobody_here`, { replyTo: 1 })
    t.equal(reply.status, 201)
    t.match(reply.body.message, { replyTo: { seq: 1, from: { id: ann.userId } }, mentions: [ann.userId] })
    t.equal([...reply.body.message.replyTo.text].length, 200, 'the quote is 200 code points')
    for (const replyTo of [99, 0]) t.equal((await send(id, bob, 'to nothing', { replyTo })).status, 400)
    await send(other, ann, 'elsewhere')
    await call(app, 'PATCH', `/api/rooms/${id}/messages/2`, { as: bob, body: { text: 'edited' } })
    t.equal(
      (await send(id, ann, 'to an edit', { replyTo: 3 })).status,
      400,
      'the seq of an edit is no message',
    )
    t.equal(
      (await send(other, ann, 'cross-room', { replyTo: 5 })).status,
      400,
      'a seq the room does not have',
    )
    t.equal((await send(id, bob, 'mail me at x@example.com')).body.message.mentions.length, 0)
  })

  t.test('read markers and unread counts', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const a = await room(ann, bob)
    const b = await room(ann, bob)
    const quiet = await room(ann, bob)
    await send(quiet, ann, 'mine only')
    for (let i = 0; i < 3; i++) await send(a, bob, `hi ${i}`)
    await send(a, ann, 'my own')
    await send(b, bob, `hey @${ann.username}`)
    await send(b, bob, 'to be deleted')
    await call(app, 'DELETE', `/api/rooms/${b}/messages/2`, { as: bob })
    const unread = async (as: Caller) =>
      (await call(app, 'GET', '/api/me/unread', { as })).body.items as any[]
    const items = await unread(ann)
    t.same(
      items.sort((x, y) => (x.room === a ? -1 : y.room === a ? 1 : 0)),
      [
        { room: a, lastSeq: 4, readSeq: 0, unread: 3, mentions: 0 },
        { room: b, lastSeq: 3, readSeq: 0, unread: 1, mentions: 1 },
      ],
    )
    t.equal((await call(app, 'POST', `/api/rooms/${a}/read`, { as: ann, body: { seq: 2 } })).status, 204)
    t.equal((await call(app, 'POST', `/api/rooms/${a}/read`, { as: ann, body: { seq: 1 } })).status, 204)
    t.match(
      (await unread(ann)).find((i) => i.room === a),
      { readSeq: 2, unread: 1 },
      'never moves back',
    )
    t.match((await call(app, 'GET', `/api/rooms/${a}`, { as: ann })).body.room, { readSeq: 2, unread: 1 })
    const mine = (await call(app, 'GET', '/api/rooms?mine=true', { as: ann })).body.items
    t.match(
      mine.find((r: any) => r.id === a),
      { readSeq: 2, unread: 1, kind: 'room' },
    )
    await call(app, 'POST', `/api/rooms/${a}/read`, { as: ann, body: { seq: 1000 } })
    await call(app, 'POST', `/api/rooms/${b}/read`, { as: ann, body: { seq: 3 } })
    t.same(await unread(ann), [], 'all read (a marker past the end stops at the end)')
    // Two tabs marking at once: the marker ends at the highest.
    for (let i = 0; i < 4; i++) await send(a, bob, `more ${i}`)
    await Promise.all(
      [5, 8, 6, 7].map((seq) => call(app, 'POST', `/api/rooms/${a}/read`, { as: ann, body: { seq } })),
    )
    t.equal(await app.core.internals.store.messages.readSeq(a, ann.userId), 8)
    const outsider = await newUser(app)
    t.equal((await call(app, 'POST', `/api/rooms/${a}/read`, { as: outsider, body: { seq: 1 } })).status, 403)
    t.equal((await call(app, 'POST', `/api/rooms/${a}/read`, { as: ann, body: { seq: -1 } })).status, 400)
  })

  t.test('mentions count for those who were members when the message was written', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann)
    const early = await send(id, ann, `hi @${bob.username}, come and see`)
    t.same(early.body.message.mentions, [], 'bob is not in the room yet: no mention of him')
    t.equal((await call(app, 'POST', `/api/rooms/${id}/join`, { as: bob })).status, 200)
    const unread = async () =>
      ((await call(app, 'GET', '/api/me/unread', { as: bob })).body.items as any[]).find((i) => i.room === id)
    t.match(await unread(), { unread: 1, mentions: 0 }, 'the message before he joined is unread, no mention')
    t.same((await send(id, ann, `welcome @${bob.username}`)).body.message.mentions, [bob.userId])
    t.match(await unread(), { unread: 2, mentions: 1 }, 'a mention once he is a member counts')
    // Away and back: what was written while he was away mentions no one.
    t.equal((await call(app, 'POST', `/api/rooms/${id}/leave`, { as: bob })).status, 204)
    await send(id, ann, `@${bob.username} left?`)
    t.equal((await call(app, 'POST', `/api/rooms/${id}/join`, { as: bob })).status, 200)
    t.match(await unread(), { unread: 3, mentions: 1 })
    // An edit mentions the members of when it is made.
    t.same(
      (
        await call(app, 'PATCH', `/api/rooms/${id}/messages/1`, {
          as: ann,
          body: { text: `hi @${bob.username}` },
        })
      ).body.message.mentions,
      [bob.userId],
    )
    t.match(await unread(), { mentions: 2 })
  })

  t.test('direct rooms: one per pair, even opened from both sides at once', async (t) => {
    const [ann, bob, eve] = [await newUser(app), await newUser(app), await newUser(app)]
    const opened = await Promise.all([
      call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } }),
      call(app, 'POST', '/api/dms', { as: bob, body: { userId: ann.userId } }),
      call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } }),
    ])
    t.same(
      opened.map((o) => o.status),
      [200, 200, 200],
    )
    const ids = new Set(opened.map((o) => o.body.room.id))
    t.equal(ids.size, 1, 'the same room for everyone')
    const dm = opened[0]!.body.room
    t.match(dm, { kind: 'dm', memberCount: 2, peer: { id: bob.userId } })
    t.match(opened[1]!.body.room, { peer: { id: ann.userId } })
    t.equal((await send(dm.id, bob, 'psst')).status, 201, 'no VIP needed')
    t.ok((await call(app, 'GET', '/api/me', { as: bob })).body.user.rooms.includes(dm.id), '/api/me lists it')
    t.equal(
      (await call(app, 'DELETE', `/api/rooms/${dm.id}/messages/1`, { as: ann })).status,
      403,
      "opening a direct room first gives no power over the other's messages",
    )
    t.equal(
      (await call(app, 'POST', `/api/rooms/${dm.id}/members/${bob.userId}/kick`, { as: ann })).status,
      403,
    )
    t.notOk(
      (await call(app, 'GET', '/api/rooms', { as: eve })).body.items.some((r: any) => r.id === dm.id),
      'not listed to others',
    )
    t.ok(
      (await call(app, 'GET', '/api/rooms?mine=true', { as: ann })).body.items.some(
        (r: any) => r.id === dm.id,
      ),
    )
    t.equal((await call(app, 'GET', `/api/rooms/${dm.id}`, { as: eve })).status, 404)
    t.equal((await call(app, 'POST', `/api/rooms/${dm.id}/join`, { as: eve })).status, 404)
    t.equal((await call(app, 'POST', '/api/dms', { as: ann, body: { userId: '0'.repeat(24) } })).status, 404)
    t.equal((await call(app, 'POST', '/api/dms', { as: ann, body: { userId: ann.userId } })).status, 400)
    t.equal((await call(app, 'POST', '/api/dms', { as: ann, body: { userId: 'nope' } })).status, 400)
  })

  t.test('kick and mute: the creator or an admin', async (t) => {
    const [owner, ann, bob] = [await newUser(app), await newUser(app), await newUser(app)]
    const id = await room(owner, ann, bob)
    const kick = (as: Caller, who: string) =>
      call(app, 'POST', `/api/rooms/${id}/members/${who}/kick`, { as })
    const mute = (as: Caller, who: string, minutes: unknown) =>
      call(app, 'POST', `/api/rooms/${id}/members/${who}/mute`, { as, body: { minutes } })
    t.equal((await kick(ann, bob.userId)).status, 403, 'a member may not')
    t.equal((await kick(admin, bob.userId)).status, 204)
    t.equal((await send(id, bob, 'still here?')).body.code, 'NOT_MEMBER')
    t.equal((await kick(admin, bob.userId)).status, 204, 'idempotent')
    for (const minutes of [-1, 10_081, 1.5, 'x'])
      t.equal((await mute(admin, ann.userId, minutes)).status, 400)
    t.equal((await mute(ann, admin.userId, 5)).status, 403)
    t.equal((await send(id, ann, 'before')).status, 201)
    t.equal((await mute(admin, ann.userId, 5)).status, 204)
    const refused = await send(id, ann, 'muted')
    t.equal(refused.status, 403)
    t.equal(refused.body.code, 'MUTED')
    t.equal((await mute(admin, ann.userId, 0)).status, 204)
    t.equal((await send(id, ann, 'free again')).status, 201)
    t.equal((await mute(admin, bob.userId, 5)).status, 404, 'not a member')
  })

  t.test('a deleted file message: the bytes are gone', async (t) => {
    const ann = await newUser(app)
    const id = await room(ann)
    const boundary = 'xyz'
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nsome bytes\r\n--${boundary}--\r\n`
    const up = await app.inject({
      method: 'POST',
      url: `/api/rooms/${id}/files`,
      headers: {
        authorization: `Bearer ${ann.token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload,
    })
    t.equal(up.statusCode, 201, up.body)
    const { file, message } = up.json()
    t.equal((await call(app, 'GET', `/api/files/${file.id}`, { as: ann })).status, 200)
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/${message.seq}`, { as: ann })).status, 204)
    t.equal((await call(app, 'GET', `/api/files/${file.id}`, { as: ann })).status, 404)
    const bytes = await app.core.files
      .read({ ...file, roomId: id, uploaderId: ann.userId, createdAt: new Date() })
      .then(() => 'still there')
      .catch((err: { statusCode?: number }) => err.statusCode)
    t.equal(bytes, 404, 'no bytes left on disk or in GridFS')
    t.match((await history(id, ann))[0], { deleted: true, text: '' })
    t.notOk((await history(id, ann))[0].file)
  })
})
