// Mail addresses and the way back in, over HTTP on the run's backend, against a real SMTP
// server on loopback (test/helpers/smtp.ts): the verification mail and its link (once, and only
// for the address it was sent to), EMAIL_TAKEN, "forgot" answering alike whatever the account
// (and only a verified address getting a mail), the reset link working once and revoking every
// session, mention mails with their HTML escaped, and without SMTP_URL: the mail routes 404 and
// the admin's audited reset link as the way back in.
import t from 'tap'
import { type Caller, call, login, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { SmtpSink } from '../helpers/smtp.ts'
import { until } from '../helpers/wait.ts'

const tokenOf = (link: string | null) => new URL(link!).searchParams.get('token')!

t.test(`mail and password resets on ${backendName}`, async (t) => {
  const smtp = new SmtpSink()
  await smtp.start()
  t.teardown(() => smtp.stop())
  const app = await buildTestApp(
    t,
    sharedEnv(t, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Roomchat <chat@example.org>',
      PUBLIC_URL: 'https://chat.example.org',
      NOTIFY_DELAY_SECONDS: '0',
    }),
  )
  const mailFor = async (address: string, n = 1) => {
    await until(() => smtp.to(address).length >= n, `mail ${n} to ${address}`)
    return smtp.to(address)[n - 1]!
  }
  const verified = async (user: Caller, address: string) => {
    t.equal((await call(app, 'PUT', '/api/me/email', { as: user, body: { email: address } })).status, 202)
    const mail = await mailFor(address, smtp.to(address).length + 1)
    t.equal(
      (await call(app, 'POST', '/api/auth/email/verify', { body: { token: tokenOf(mail.link) } })).status,
      204,
    )
  }

  t.test('an address is verified by the link mailed to it, once', async (t) => {
    const ann = await newUser(app)
    const address = `ann.${ann.userId}@example.org`
    t.equal(
      (await call(app, 'PUT', '/api/me/email', { as: ann, body: { email: 'not an address' } })).status,
      400,
    )
    t.equal((await call(app, 'PUT', '/api/me/email', { as: ann, body: { email: address } })).status, 202)
    let me = (await call(app, 'GET', '/api/me', { as: ann })).body.user
    t.match(me, { email: address, emailVerified: false })
    const mail = await mailFor(address)
    t.match(mail.from, /Roomchat"? <chat@example.org>/)
    t.match(mail.subject, /confirm/i)
    t.match(mail.link, /^https:\/\/chat\.example\.org\/verify-email\?token=/)
    t.ok(mail.html.includes(ann.username), 'an HTML part too')
    const token = tokenOf(mail.link)
    t.equal((await call(app, 'POST', '/api/auth/email/verify', { body: { token } })).status, 204)
    me = (await call(app, 'GET', '/api/me', { as: ann })).body.user
    t.match(me, { email: address, emailVerified: true })
    const again = await call(app, 'POST', '/api/auth/email/verify', { body: { token } })
    t.match(again, { status: 400, body: { code: 'INVALID_TOKEN' } }, 'used once')
    t.match(await call(app, 'POST', '/api/auth/email/verify', { body: { token: 'x'.repeat(43) } }), {
      status: 400,
      body: { code: 'INVALID_TOKEN' },
    })
    // Another account cannot take it, whatever its case.
    const bob = await newUser(app)
    t.match(await call(app, 'PUT', '/api/me/email', { as: bob, body: { email: address.toUpperCase() } }), {
      status: 409,
      body: { code: 'EMAIL_TAKEN' },
    })
  })

  t.test('a link for an address changed since verifies nothing', async (t) => {
    const cat = await newUser(app)
    const first = `first.${cat.userId}@example.org`
    const second = `second.${cat.userId}@example.org`
    await call(app, 'PUT', '/api/me/email', { as: cat, body: { email: first } })
    const old = await mailFor(first)
    await call(app, 'PUT', '/api/me/email', { as: cat, body: { email: second } })
    await mailFor(second)
    t.match(await call(app, 'POST', '/api/auth/email/verify', { body: { token: tokenOf(old.link) } }), {
      status: 400,
      body: { code: 'INVALID_TOKEN' },
    })
    t.match((await call(app, 'GET', '/api/me', { as: cat })).body.user, {
      email: second,
      emailVerified: false,
    })
    // The first address is free again.
    const dan = await newUser(app)
    t.equal((await call(app, 'PUT', '/api/me/email', { as: dan, body: { email: first } })).status, 202)
  })

  t.test(
    'forgot: the same answer whatever the account; the reset link works once and ends every session',
    async (t) => {
      const eve = await newUser(app, undefined, 'old-password-1')
      const address = `eve.${eve.userId}@example.org`
      await verified(eve, address)
      const other = await login(app, eve.username, 'old-password-1')
      const unverified = await newUser(app)
      await call(app, 'PUT', '/api/me/email', {
        as: unverified,
        body: { email: `u.${unverified.userId}@example.org` },
      })
      await mailFor(`u.${unverified.userId}@example.org`)

      const asks = [
        { username: 'nobody-at-all' },
        { email: 'nobody@example.org' },
        { username: unverified.username },
        { username: eve.username },
      ]
      const times: number[] = []
      for (const body of asks) {
        const started = process.hrtime.bigint()
        const res = await call(app, 'POST', '/api/auth/password/forgot', { body })
        times.push(Number(process.hrtime.bigint() - started) / 1e6)
        t.same([res.status, res.body], [202, null], `202 and nothing else for ${JSON.stringify(body)}`)
      }
      t.comment(`forgot answered in ${times.map((ms) => ms.toFixed(1)).join(', ')} ms`)
      // No lookup, token or mail happens before the answer: none of them takes argon2-like time.
      t.ok(Math.max(...times) < 250, 'every answer is immediate')
      const reset = await mailFor(address, 2)
      t.match(reset.subject, /reset/i)
      t.match(reset.link, /^https:\/\/chat\.example\.org\/reset-password\?token=/)
      t.equal(
        smtp.to(`u.${unverified.userId}@example.org`).length,
        1,
        'an unverified address gets no reset mail',
      )
      // By address too, any case: a second link, which makes the first worthless.
      await call(app, 'POST', '/api/auth/password/forgot', { body: { email: address.toUpperCase() } })
      const second = await mailFor(address, 3)
      const stale = await call(app, 'POST', '/api/auth/password/reset', {
        body: { token: tokenOf(reset.link), password: 'new-password-1' },
      })
      t.match(stale, { status: 400, body: { code: 'INVALID_TOKEN' } }, 'the earlier link no longer works')
      const token = tokenOf(second.link)
      t.match(await call(app, 'POST', '/api/auth/password/reset', { body: { token, password: 'short' } }), {
        status: 400,
        body: { code: 'VALIDATION' },
      })
      t.equal(
        (await call(app, 'POST', '/api/auth/password/reset', { body: { token, password: 'new-password-1' } }))
          .status,
        204,
      )
      t.equal((await call(app, 'GET', '/api/me', { as: eve })).status, 401, 'the first session is revoked')
      t.equal((await call(app, 'GET', '/api/me', { as: other })).status, 401, 'and the second')
      await login(app, eve.username, 'new-password-1')
      t.match(
        await call(app, 'POST', '/api/auth/password/reset', {
          body: { token, password: 'third-password-1' },
        }),
        {
          status: 400,
          body: { code: 'INVALID_TOKEN' },
        },
      )
    },
  )

  t.test('mention mails: the text part as written, the HTML part escaped', async (t) => {
    const [fay, gus] = [await newUser(app), await newUser(app)]
    const address = `fay.${fay.userId}@example.org`
    await verified(fay, address)
    t.match(
      await call(app, 'PATCH', '/api/me/notifications', {
        as: fay,
        body: { email: 'mentions', push: false },
      }),
      {
        status: 200,
        body: { push: false, email: 'mentions', rooms: {} },
      },
    )
    const admin = await loginAdmin(app)
    const room = await roomWith({ create: app }, admin, [gus, fay], 'Tea <&> "biscuits"')
    const text = `@${fay.username} look: <script>alert("x")</script> & more`
    const sent = await call(app, 'POST', `/api/rooms/${room}/messages`, {
      as: gus,
      body: { text, clientMsgId: 'm1' },
    })
    t.equal(sent.status, 201)
    const mail = await mailFor(address, 2)
    t.ok(mail.text.includes(text), 'the text part has the message as written')
    t.notOk(mail.html.includes('<script>'), 'no markup from the message in the HTML part')
    t.ok(mail.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more'))
    t.ok(mail.html.includes('Tea &lt;&amp;&gt; &quot;biscuits&quot;'))
    t.ok(mail.text.includes(`https://chat.example.org/rooms/${room}?seq=${sent.body.message.seq}`))
  })
})

t.test(
  `without SMTP_URL on ${backendName}: the mail routes are off, the admin's reset link is the way back`,
  async (t) => {
    const app = await buildTestApp(t, sharedEnv(t, { PUBLIC_URL: 'https://chat.example.org' }))
    const admin = await loginAdmin(app)
    const hal = await newUser(app, undefined, 'hal-password-1')
    for (const [method, url, body] of [
      ['PUT', '/api/me/email', { email: 'hal@example.org' }],
      ['POST', '/api/auth/email/verify', { token: 'x'.repeat(43) }],
      ['POST', '/api/auth/password/forgot', { username: hal.username }],
    ] as const)
      t.match(
        await call(app, method, url, { as: hal, body }),
        { status: 404, body: { code: 'NOT_FOUND' } },
        url,
      )
    t.match(await call(app, 'POST', `/api/admin/users/${hal.userId}/reset-link`, { as: hal }), {
      status: 403,
    })
    t.match(await call(app, 'POST', `/api/admin/users/${'0'.repeat(24)}/reset-link`, { as: admin }), {
      status: 404,
    })
    const link = await call(app, 'POST', `/api/admin/users/${hal.userId}/reset-link`, { as: admin })
    t.equal(link.status, 201)
    t.match(link.body.url, /^https:\/\/chat\.example\.org\/reset-password\?token=[A-Za-z0-9_-]{43}$/)
    const minutes = (Date.parse(link.body.expiresAt) - Date.now()) / 60_000
    t.ok(minutes > 29 && minutes <= 30, 'RESET_TOKEN_MINUTES (30)')
    const [entry] = (await call(app, 'GET', '/api/admin/audit?action=user.reset-link', { as: admin })).body
      .items
    t.match(entry, {
      action: 'user.reset-link',
      actor: { id: admin.userId },
      target: { id: hal.userId, username: hal.username },
    })
    const token = tokenOf(link.body.url)
    t.equal(
      (await call(app, 'POST', '/api/auth/password/reset', { body: { token, password: 'hal-new-password' } }))
        .status,
      204,
    )
    t.equal((await call(app, 'GET', '/api/me', { as: hal })).status, 401, 'the old session is revoked')
    await login(app, hal.username, 'hal-new-password')
    t.match(
      await call(app, 'POST', '/api/auth/password/reset', { body: { token, password: 'again-password' } }),
      {
        status: 400,
        body: { code: 'INVALID_TOKEN' },
      },
    )
  },
)
