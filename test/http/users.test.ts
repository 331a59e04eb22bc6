// The user directory: public views, ordered by username, prefix search on the username and
// the display name, cursor pagination.
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { newId } from '../../src/ids.ts'
import { encodeCursor } from '../../src/pagination.ts'
import { type Answer, type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'

t.test(`the user directory on ${backendName}`, async (t) => {
  // Test users are registered with admin-minted codes: no login or registration limit here.
  const app = await buildTestApp(t, sharedEnv(t, { RATE_LOGIN_USER: '100000', RATE_REGISTER_IP: '100000' }))
  const admin = await loginAdmin(app)

  const made: Record<string, Caller> = {}
  for (const [username, displayName] of [
    ['srch_one', 'Zoë Ünal'],
    ['SRCHxtwo', '100% Real'],
    ['srch.three', 'Mid dlesearch'],
    ['srch-four', '_under score'],
    ['plain_pete', 'Srch Lookalike'],
    ['quiet_quinn', '.* star'],
  ] as const) {
    const u = await newUser(app, username)
    const res = await call(app, 'PATCH', '/api/me', { as: u, body: { displayName } })
    if (res.status !== 200) throw new Error(`rename ${username}: ${res.status}`)
    made[username] = u
  }
  const me = made.srch_one!

  const search = async (q: string) => {
    const res = await call(app, 'GET', `/api/users?q=${encodeURIComponent(q)}&limit=200`, { as: me })
    if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.items.map((u: { username: string }) => u.username)
  }

  t.test('public views, ordered by username case-insensitively', async (t) => {
    const res = await call(app, 'GET', '/api/users', { as: me })
    t.equal(res.status, 200)
    t.equal(res.body.nextCursor, null)
    const names: string[] = res.body.items.map((u: { username: string }) => u.username)
    t.same(names, ['admin', 'plain_pete', 'quiet_quinn', 'srch-four', 'srch.three', 'srch_one', 'SRCHxtwo'])
    for (const u of res.body.items) {
      t.same(Object.keys(u).sort(), [
        'avatarUrl',
        'bio',
        'createdAt',
        'displayName',
        'id',
        'role',
        'username',
        'vip',
      ])
      t.same(Object.keys(u.vip), ['active'])
    }
    t.notMatch(JSON.stringify(res.body), /hash|secret|totp|banned|theme|rooms|argon/i, 'nothing private')
  })

  t.test('q matches a prefix of the username or the display name, in any case', async (t) => {
    t.same(await search('srch'), ['plain_pete', 'srch-four', 'srch.three', 'srch_one', 'SRCHxtwo'])
    t.same(await search('SrCh_'), ['srch_one'], 'username prefix, any case')
    t.same(await search('zoë'), ['srch_one'], 'display name prefix')
    t.same(await search('ZOË Ü'), ['srch_one'], 'non-ASCII letters fold case too')
    t.same(await search('srch lo'), ['plain_pete'])
    t.same(await search('100'), ['SRCHxtwo'])
  })

  t.test('no match in the middle of a word or of a name', async (t) => {
    t.same(await search('search'), [], '"Mid dlesearch"')
    t.same(await search('ünal'), [], 'the second word of a display name')
    t.same(await search('one'), [])
    t.same(await search('rch'), [])
  })

  t.test('LIKE and regex metacharacters in q are literal', async (t) => {
    t.same(await search('srch_'), ['srch_one'], '"_" is not "any character"')
    t.same(await search('_'), ['srch-four'], 'only the display name that starts with "_"')
    t.same(await search('srch.'), ['srch.three'], '"." is not "any character"')
    t.same(await search('.*'), ['quiet_quinn'], 'only the display name that starts with ".*"')
    t.same(await search('srch.*'), [])
    t.same(await search('%'), [], '"%" is not "anything"')
    t.same(await search('100%'), ['SRCHxtwo'])
    t.same(await search('10%'), [])
    for (const q of ['[', '(', '\\', '^srch', 'srch$', '*', '+', '?', '|', '{1}', "'", '"']) {
      t.same(await search(q), [], `q=${q}`)
    }
    const long = await call(app, 'GET', `/api/users?q=${'x'.repeat(65)}`, { as: me })
    t.equal(long.status, 400, 'q is at most 64 characters')
    const everyone = await call(app, 'GET', '/api/users?limit=200', { as: me })
    t.same(
      await search(''),
      everyone.body.items.map((u: { username: string }) => u.username),
      'an empty q matches everyone',
    )
    t.equal(everyone.body.items.length, 7)
  })

  t.test('pages: every user once, in order, while users are added', async (t) => {
    const all: string[] = await search('')
    const seen: string[] = []
    let cursor: string | null = null
    let page = 0
    do {
      const res: Answer = await call(app, 'GET', `/api/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        as: me,
      })
      t.equal(res.status, 200)
      t.ok(res.body.items.length <= 2)
      seen.push(...res.body.items.map((u: { username: string }) => u.username))
      await newUser(app, `late_${page++}`) // sorts among the users already listed or yet to come
      cursor = res.body.nextCursor
    } while (cursor)
    const old = seen.filter((n) => all.includes(n))
    t.same(old, all, 'no user that existed is skipped or repeated')
    t.equal(new Set(seen).size, seen.length)
    const lower = seen.map((n) => n.toLowerCase())
    t.same(lower, [...lower].sort(), 'in order throughout')
  })

  t.test('GET /api/users/:id: the public view; 404 NOT_FOUND; 400 for a malformed id', async (t) => {
    const res = await call(app, 'GET', `/api/users/${made.SRCHxtwo!.userId}`, { as: me })
    t.equal(res.status, 200)
    t.match(res.body.user, {
      id: made.SRCHxtwo!.userId,
      username: 'SRCHxtwo',
      displayName: '100% Real',
      bio: '',
      role: 'user',
      vip: { active: false },
    })
    t.same(Object.keys(res.body.user).sort(), [
      'avatarUrl',
      'bio',
      'createdAt',
      'displayName',
      'id',
      'role',
      'username',
      'vip',
    ])
    const adminView = await call(app, 'GET', `/api/users/${admin.userId}`, { as: me })
    t.equal(adminView.body.user.role, 'admin')
    t.notMatch(JSON.stringify(adminView.body), /hash|secret|totp|banned|theme|argon/i)
    const missing = await call(app, 'GET', `/api/users/${newId()}`, { as: me })
    t.equal(missing.status, 404)
    t.equal(missing.body.code, 'NOT_FOUND')
    const bad = await call(app, 'GET', '/api/users/not-an-id', { as: me })
    t.equal(bad.status, 400)
    t.equal(bad.body.code, 'VALIDATION')
  })

  t.test('authentication is required', async (t) => {
    for (const url of ['/api/users', `/api/users/${me.userId}`, '/api/users?q=srch']) {
      const res = await call(app, 'GET', url)
      t.equal(res.status, 401, url)
      t.equal(res.body.code, 'UNAUTHENTICATED')
    }
  })

  t.test('malformed cursors and limits are 400 VALIDATION', async (t) => {
    for (const q of [
      'cursor=%%%',
      'cursor=bm90IGpzb24',
      `cursor=${encodeCursor(['srch_one'])}`,
      `cursor=${encodeCursor(['srch_one', 5])}`,
      `cursor=${encodeCursor(['srch_one', 'not-an-id'])}`,
      'limit=201',
      'limit=0',
    ]) {
      const res = await call(app, 'GET', `/api/users?${q}`, { as: me })
      t.equal(res.status, 400, q)
      t.equal(res.body.code, 'VALIDATION')
    }
  })

  t.test('/openapi.json documents the directory and the walls, and stays valid', async (t) => {
    const res = await call(app, 'GET', '/openapi.json')
    await t.resolves(SwaggerParser.validate(structuredClone(res.body)))
    const paths = res.body.paths
    for (const [path, methods] of [
      ['/api/users', ['get']],
      ['/api/users/{id}', ['get']],
      ['/api/users/{id}/posts', ['get', 'post']],
      ['/api/posts', ['get', 'post']],
      ['/api/posts/{id}', ['delete']],
    ] as const) {
      for (const m of methods) {
        t.ok(paths[path]?.[m], `documents ${m.toUpperCase()} ${path}`)
        t.ok(
          Object.keys(paths[path]?.[m]?.responses ?? {}).some((s) => s.startsWith('2')),
          'with its answer',
        )
      }
    }
    t.ok(paths['/api/posts'].post.responses['429'], 'the rate limit is documented')
  })
})
