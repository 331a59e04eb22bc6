// Walls: the home wall and every user's wall. Posting, reading newest first with keyset
// pagination, deleting, text limits in code points, the posting rate limit, and a 10,000-post
// wall paged through end to end (with the page query's plan checked on each backend).
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MongoClient } from 'mongodb'
import t from 'tap'
import { newId } from '../../src/ids.ts'
import { encodeCursor } from '../../src/pagination.ts'
import { type PostDoc, wallPageQuery } from '../../src/store/mongo/posts.ts'
import type { PostRecord } from '../../src/store/records.ts'
import { wallPageSql } from '../../src/store/sqlite/posts.ts'
import { type Answer, type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, scaled, sharedEnv } from '../helpers/app.ts'

const ID = /^[0-9a-f]{24}$/
/** Tests other than the rate limit's must not trip over limits (test users are made by the admin). */
const unlimited = { RATE_POST_USER: '100000', RATE_LOGIN_USER: '100000', RATE_REGISTER_IP: '100000' }

t.test(`walls on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, unlimited))
  const admin = await loginAdmin(app)
  const alice = await newUser(app, 'wall_alice')
  const bob = await newUser(app, 'wall_bob')
  const carol = await newUser(app, 'wall_carol')

  const post = async (as: Caller, wallPath: string, text: string) => {
    const res = await call(app, 'POST', wallPath, { as, body: { text } })
    if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.post
  }
  const bobWall = `/api/users/${bob.userId}/posts`

  t.test('post on the home wall and on a user wall: 201 {post}; read back newest first', async (t) => {
    const res = await call(app, 'POST', '/api/posts', { as: alice, body: { text: 'hello home' } })
    t.equal(res.status, 201)
    t.same(Object.keys(res.body.post).sort(), ['author', 'createdAt', 'id', 'text', 'wall'])
    t.match(res.body.post, {
      id: ID,
      wall: 'home',
      author: { id: alice.userId, username: 'wall_alice', displayName: 'wall_alice' },
      text: 'hello home',
    })
    t.same(Object.keys(res.body.post.author).sort(), ['displayName', 'id', 'username'])
    t.ok(Math.abs(Date.parse(res.body.post.createdAt) - Date.now()) < 60_000, 'createdAt is now, ISO-8601')
    t.match(res.body.post.createdAt, /Z$/)

    const onBob = await call(app, 'POST', bobWall, { as: alice, body: { text: 'hi bob' } })
    t.equal(onBob.status, 201)
    t.equal(onBob.body.post.wall, bob.userId)
    const second = await post(carol, bobWall, 'me too')

    const home = await call(app, 'GET', '/api/posts', { as: bob })
    t.equal(home.status, 200)
    t.same(home.body.items, [res.body.post], 'the home wall has only its own post')
    t.equal(home.body.nextCursor, null)
    const wall = await call(app, 'GET', bobWall, { as: carol })
    t.same(
      wall.body.items.map((p: { id: string }) => p.id),
      [second.id, onBob.body.post.id],
      'newest first',
    )
    t.same((await call(app, 'GET', `/api/users/${carol.userId}/posts`, { as: carol })).body, {
      items: [],
      nextCursor: null,
    })
  })

  t.test('the author shown is the current display name (looked up at read time)', async (t) => {
    const dave = await newUser(app, 'wall_dave')
    const p = await post(dave, `/api/users/${dave.userId}/posts`, 'before the rename')
    const patch = await call(app, 'PATCH', '/api/me', { as: dave, body: { displayName: 'Dave 🎸' } })
    t.equal(patch.status, 200)
    const wall = await call(app, 'GET', `/api/users/${dave.userId}/posts`, { as: alice })
    t.same(wall.body.items[0], { ...p, author: { ...p.author, displayName: 'Dave 🎸' } })
  })

  t.test('emoji and other astral characters round-trip byte for byte', async (t) => {
    const text = '😀 👩🏽‍💻 🇯🇵 𝄞 𠜎 — naïve café, 中文, עברית, ﷽ \u200d zero-width joiner, tab\tand\nnewline'
    const created = await app.inject({
      method: 'POST',
      url: '/api/posts',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json; charset=utf-8' },
      payload: Buffer.from(JSON.stringify({ text }), 'utf8'),
    })
    t.equal(created.statusCode, 201)
    const id = created.json().post.id
    t.equal(created.json().post.text, text)
    const read = await app.inject({
      method: 'GET',
      url: '/api/posts?limit=1',
      headers: { authorization: `Bearer ${alice.token}` },
    })
    const got = read.json().items[0]
    t.equal(got.id, id)
    t.equal(got.text, text, 'the same string')
    t.same(Buffer.from(got.text, 'utf8'), Buffer.from(text, 'utf8'), 'the same UTF-8 bytes')
    t.ok(
      read.rawPayload.includes(Buffer.from(JSON.stringify(text).slice(1, -1), 'utf8')),
      'the answer carries the characters as UTF-8, not as replacement characters',
    )
    t.match(String(read.headers['content-type']), /application\/json/)
  })

  t.test('text limits count code points; empty and whitespace-only text is refused', async (t) => {
    const status = async (text: unknown) => {
      const res = await call(app, 'POST', '/api/posts', { as: alice, body: { text } })
      if (res.status === 400) t.equal(res.body.code, 'VALIDATION')
      return res.status
    }
    t.equal(await status(''), 400, '0 code points')
    t.equal(await status('   \n\t '), 400, 'whitespace only')
    t.equal(await status('\u3000\u00a0'), 400, 'Unicode whitespace only')
    t.equal(await status('a'.repeat(2001)), 400, '2001 code points')
    t.equal(await status('😀'.repeat(2001)), 400, '2001 astral code points')
    t.equal(await status({ text: 'x' }), 400, 'not a string')
    t.equal((await call(app, 'POST', '/api/posts', { as: alice, body: {} })).status, 400, 'no text')
    t.equal(await status('\ud83d lone surrogate'), 400, 'a lone surrogate is not Unicode text')

    const emoji = '🎉'.repeat(2000)
    t.equal(emoji.length, 4000, '4000 UTF-16 units')
    t.equal(Buffer.byteLength(emoji), 8000, '8000 bytes')
    const res = await call(app, 'POST', '/api/posts', { as: alice, body: { text: emoji } })
    t.equal(res.status, 201, 'exactly 2000 astral emoji are accepted')
    t.equal(res.body.post.text, emoji)
    t.equal(await status('a'.repeat(2000)), 201, 'exactly 2000 ASCII characters')
    t.equal(await status(' x '), 201, 'surrounding whitespace is fine')
    const kept = await call(app, 'GET', '/api/posts?limit=1', { as: alice })
    t.equal(kept.body.items[0].text, ' x ', 'and kept as sent')
  })

  t.test('unknown walls and posts: 404 NOT_FOUND; malformed ids: 400', async (t) => {
    const ghost = newId()
    const postTo = await call(app, 'POST', `/api/users/${ghost}/posts`, {
      as: alice,
      body: { text: 'anyone?' },
    })
    t.equal(postTo.status, 404)
    t.equal(postTo.body.code, 'NOT_FOUND')
    const read = await call(app, 'GET', `/api/users/${ghost}/posts`, { as: alice })
    t.equal(read.status, 404)
    t.equal(read.body.code, 'NOT_FOUND')
    const del = await call(app, 'DELETE', `/api/posts/${newId()}`, { as: admin })
    t.equal(del.status, 404)
    t.equal(del.body.code, 'NOT_FOUND')
    t.equal((await call(app, 'DELETE', '/api/posts/nope', { as: admin })).body.code, 'VALIDATION')
    t.equal((await call(app, 'GET', '/api/users/home/posts', { as: alice })).body.code, 'VALIDATION')
  })

  t.test('delete: the author, the wall owner or an admin (204); anyone else 403 FORBIDDEN', async (t) => {
    const byAlice = await post(alice, bobWall, 'alice on bob')
    const byCarol = await post(carol, bobWall, 'carol on bob')
    const byCarol2 = await post(carol, bobWall, 'carol on bob, again')
    const onHome = await post(bob, '/api/posts', 'bob at home')

    const bobsHomePostByCarol = await call(app, 'DELETE', `/api/posts/${onHome.id}`, { as: carol })
    t.equal(bobsHomePostByCarol.status, 403, 'not the author, and nobody owns the home wall')
    t.equal(bobsHomePostByCarol.body.code, 'FORBIDDEN')
    const byOther = await call(app, 'DELETE', `/api/posts/${byAlice.id}`, { as: carol })
    t.equal(byOther.status, 403, 'another poster on the same wall may not')
    t.equal(byOther.body.code, 'FORBIDDEN')

    t.equal((await call(app, 'DELETE', `/api/posts/${byAlice.id}`, { as: alice })).status, 204, 'author')
    t.equal((await call(app, 'DELETE', `/api/posts/${byCarol.id}`, { as: bob })).status, 204, 'wall owner')
    t.equal((await call(app, 'DELETE', `/api/posts/${byCarol2.id}`, { as: admin })).status, 204, 'admin')
    t.equal((await call(app, 'DELETE', `/api/posts/${onHome.id}`, { as: admin })).status, 204, 'admin, home')
    const again = await call(app, 'DELETE', `/api/posts/${byAlice.id}`, { as: alice })
    t.equal(again.status, 404, 'gone')
    const left = (await call(app, 'GET', `${bobWall}?limit=200`, { as: bob })).body.items.map(
      (p: { id: string }) => p.id,
    )
    for (const p of [byAlice, byCarol, byCarol2]) t.notOk(left.includes(p.id), 'deleted posts are not listed')
    t.equal((await call(app, 'DELETE', `/api/posts/${byAlice.id}`)).status, 401)
  })

  t.test('every wall route needs authentication', async (t) => {
    for (const [method, url] of [
      ['GET', '/api/posts'],
      ['POST', '/api/posts'],
      ['GET', bobWall],
      ['POST', bobWall],
      ['DELETE', `/api/posts/${newId()}`],
    ] as const) {
      const res = await call(app, method, url, method === 'POST' ? { body: { text: 'x' } } : {})
      t.equal(res.status, 401, `${method} ${url}`)
      t.equal(res.body.code, 'UNAUTHENTICATED')
    }
    const foreign = await call(app, 'POST', '/api/posts', {
      body: { text: 'csrf' },
      headers: { cookie: `token=${alice.token}`, origin: 'https://evil.example' },
    })
    t.equal(foreign.status, 403, 'a cookie-authenticated post from a foreign origin')
    t.equal(foreign.body.code, 'BAD_ORIGIN')
  })

  t.test('pagination is stable while posts arrive: no existing post skipped or repeated', async (t) => {
    const erin = await newUser(app, 'wall_erin')
    const wall = `/api/users/${erin.userId}/posts`
    const existing: string[] = []
    for (let i = 0; i < 23; i++) existing.push((await post(i % 2 ? alice : bob, wall, `old ${i}`)).id)
    existing.reverse() // newest first

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      // New posts land between the requests and while a page is being read.
      const [res]: [Answer, unknown, unknown] = await Promise.all([
        call(app, 'GET', `${wall}?limit=5${cursor ? `&cursor=${cursor}` : ''}`, { as: erin }),
        post(carol, wall, `new during page ${pages}`),
        post(erin, wall, `new during page ${pages}, again`),
      ])
      t.equal(res.status, 200)
      t.ok(res.body.items.length <= 5)
      seen.push(...res.body.items.map((p: { id: string }) => p.id))
      await post(alice, wall, `new after page ${pages}`)
      cursor = res.body.nextCursor
      pages++
    } while (cursor)

    const old = seen.filter((id) => existing.includes(id))
    t.same(old, existing, 'every post that existed is seen once, in order')
    t.equal(new Set(seen).size, seen.length, 'nothing repeated')
    t.same(seen, [...seen].sort().reverse(), 'newest first throughout')
    t.ok(pages >= 5)
  })

  t.test('malformed cursors and limits are 400 VALIDATION', async (t) => {
    for (const q of [
      'cursor=garbage!',
      `cursor=${encodeCursor([1])}`,
      `cursor=${encodeCursor(['a', 'b'])}`,
      `cursor=${encodeCursor(['not-an-id'])}`,
      `cursor=${Buffer.from('{"x":1}').toString('base64url')}`,
      'limit=201',
      'limit=0',
      'limit=-1',
      'limit=ten',
    ]) {
      for (const url of ['/api/posts', bobWall]) {
        const res = await call(app, 'GET', `${url}?${q}`, { as: alice })
        t.equal(res.status, 400, `${url}?${q}`)
        t.equal(res.body.code, 'VALIDATION')
      }
    }
    const max = await call(app, 'GET', '/api/posts?limit=200', { as: alice })
    t.equal(max.status, 200, 'limit=200 is the maximum')
  })
})

t.test(`the posting rate limit on ${backendName}`, async (t) => {
  const shared = sharedEnv(t, { ...unlimited, RATE_POST_USER: '3' })
  const one = await buildTestApp(t, shared)
  // In the scaled mode the limit is counted in Redis: a second instance shares it.
  const two = scaled ? await buildTestApp(t, shared) : one
  const user = await newUser(one, 'rate_poster')
  const other = await newUser(one, 'rate_other')
  const apps = [one, two, one]
  for (const [i, app] of apps.entries()) {
    const res = await call(app, 'POST', i === 1 ? `/api/users/${other.userId}/posts` : '/api/posts', {
      as: user,
      body: { text: `post ${i}` },
    })
    t.equal(res.status, 201, `post ${i + 1} of 3`)
  }
  for (const app of scaled ? [one, two] : [one]) {
    const limited = await call(app, 'POST', '/api/posts', { as: user, body: { text: 'one too many' } })
    t.equal(limited.status, 429, 'the fourth post in a minute, on any instance, on any wall')
    t.equal(limited.body.code, 'RATE_LIMITED')
    const retry = Number(limited.headers['retry-after'])
    t.ok(retry >= 1 && retry <= 60, `Retry-After: ${retry}`)
  }
  const home = await call(one, 'GET', '/api/posts', { as: user })
  t.equal(home.body.items.length, 2, 'the refused post was not stored')
  const fine = await call(two, 'POST', '/api/posts', { as: other, body: { text: 'my own budget' } })
  t.equal(fine.status, 201, 'the limit is per user')
})

t.test(`a wall of 10,000 posts paged through at limit 200 on ${backendName}`, async (t) => {
  const shared = sharedEnv(t, unlimited)
  const app = await buildTestApp(t, shared)
  const owner = await newUser(app, 'big_wall')
  const guests = [owner, await newUser(app, 'big_guest1'), await newUser(app, 'big_guest2')]
  const start = Date.now() - 10_000_000
  const all: PostRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
    id: newId(),
    wall: owner.userId,
    authorId: guests[i % 3]!.userId,
    text: `post ${i} ✨`,
    createdAt: new Date(start + i * 1000),
  }))
  for (let i = 0; i < all.length; i += 1000)
    await app.core.internals.store.posts.insertMany(all.slice(i, i + 1000))
  // Noise on other walls, interleaved in id order with the wall's own posts.
  await app.core.internals.store.posts.insertMany(
    Array.from({ length: 300 }, (_, i) => ({
      id: newId(),
      wall: i % 2 ? 'home' : guests[1]!.userId,
      authorId: owner.userId,
      text: 'elsewhere',
      createdAt: new Date(),
    })),
  )

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  const t0 = Date.now()
  do {
    const res: Answer = await call(
      app,
      'GET',
      `/api/users/${owner.userId}/posts?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      { as: guests[2]! },
    )
    t.equal(res.status, 200)
    if (res.status !== 200) break
    seen.push(...res.body.items.map((p: { id: string }) => p.id))
    for (const p of res.body.items) {
      if (p.wall !== owner.userId || !p.author.username.startsWith('big_')) {
        t.fail(`unexpected post ${JSON.stringify(p)}`)
        break
      }
    }
    cursor = res.body.nextCursor
    pages++
  } while (cursor && pages < 100)
  t.comment(`${pages} pages in ${Date.now() - t0} ms`)
  t.equal(pages, 50, '50 full pages, and the last says there is no more')
  t.equal(seen.length, 10_000)
  t.equal(new Set(seen).size, 10_000, 'no repeat')
  t.same(seen, all.map((p) => p.id).reverse(), 'no gap: every post once, newest first')

  const after = [all[5000]!.id] as [string]
  if (app.core.internals.store.kind === 'sqlite') {
    const db = new Database(join(shared.env.DATA_DIR!, 'chat.db'), { readonly: true })
    t.teardown(() => db.close())
    for (const sql of [wallPageSql.first, wallPageSql.after]) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all({ wall: owner.userId, after: after[0], limit: 201 }) as { detail: string }[]
      const details = plan.map((p) => p.detail).join(' | ')
      t.comment(`sqlite plan: ${details}`)
      t.match(details, /SEARCH posts USING INDEX posts_wall \(wall=\?/, 'the page is an index search')
      t.notMatch(details, /TEMP B-TREE/, 'and the index gives the order: no sort')
    }
  } else {
    const client = new MongoClient(shared.env.MONGODB_URL!)
    t.teardown(() => client.close())
    const posts = client.db().collection<PostDoc>('posts')
    const { filter, sort } = wallPageQuery({ wall: owner.userId, after })
    const explain = await posts.find(filter).sort(sort).limit(201).explain('queryPlanner')
    const ferret = (explain.serverInfo as { ferretdbVersion?: string } | undefined)?.ferretdbVersion
    if (ferret) {
      // FerretDB 1.x over PostgreSQL keeps each collection as a table of jsonb documents. Its
      // explain is PostgreSQL's plan for the SQL it runs, plus whether the filter, the sort and
      // the limit were pushed down into that SQL. For this query it pushes the wall filter down
      // as a jsonb containment (`_jsonb -> 'wall' @> …`), which the index it made for
      // wall_newest does not serve, and sorts and limits in FerretDB itself (sortPushdown and
      // limitPushdown false): so no plan stage can show the index used, as MongoDB's IXSCAN
      // does. What it supports is asserted: the index exists with its key, the filter on the
      // wall runs in PostgreSQL, the query is the one MongoDB serves from the index (checked
      // there), and its answers are right.
      t.comment(`FerretDB ${ferret} explain: ${JSON.stringify(explain)}`)
      const indexes = await posts.indexes()
      t.ok(
        indexes.some((i) => i.name === 'wall_newest' && JSON.stringify(i.key) === '{"wall":1,"_id":-1}'),
        'listIndexes: posts(wall, _id desc) exists as wall_newest',
      )
      t.match(explain.command, { filter: { wall: owner.userId }, sort: { _id: -1 }, limit: 201 })
      t.equal(explain.filterPushdown, true, 'explain: the filter is pushed down to PostgreSQL')
      const plan = JSON.stringify(explain.queryPlanner)
      t.match(plan, /_jsonb -> 'wall'/, "explain: PostgreSQL filters on the document's wall")
      t.match(plan, new RegExp(owner.userId), 'for this wall')
      t.comment(`sort pushed down: ${explain.sortPushdown}; limit pushed down: ${explain.limitPushdown}`)
      const page = await posts.find(filter).sort(sort).limit(201).toArray()
      t.same(
        page.map((d) => d._id.toHexString()),
        all
          .slice(4799, 5000)
          .map((p) => p.id)
          .reverse(),
        'the page query answers the 201 posts before the cursor, newest first',
      )
    } else {
      const stages = planStages(explain.queryPlanner.winningPlan)
      t.comment(`MongoDB winning plan stages: ${JSON.stringify(stages)}`)
      t.ok(
        stages.some((s) => s.stage === 'IXSCAN' && s.indexName === 'wall_newest'),
        'IXSCAN on wall_newest',
      )
      t.notOk(
        stages.some((s) => s.stage === 'SORT'),
        'no in-memory sort',
      )
    }
  }
})

interface Stage {
  stage?: string
  indexName?: string
  inputStage?: Stage
  inputStages?: Stage[]
  queryPlan?: Stage
}

/** Every stage of a MongoDB plan tree, flattened (classic and slot-based engine shapes). */
function planStages(plan: Stage | undefined): Stage[] {
  if (!plan) return []
  const children = [plan.inputStage, plan.queryPlan, ...(plan.inputStages ?? [])]
  return [{ stage: plan.stage, indexName: plan.indexName }, ...children.flatMap((c) => planStages(c))]
}
