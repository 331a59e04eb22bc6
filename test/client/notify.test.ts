// ChatHttp's routes for reaching people who are away, against the real server with a real SMTP
// server on loopback: the push key, a subscription stored and removed, notification settings,
// the mail address verified by its link, forgot + reset by the mailed link, and the admin's
// reset link; each failure an ApiError with the server's code.
import { ChatHttp } from '@roomchat/client'
import t from 'tap'
import { SmtpSink } from '../helpers/smtp.ts'
import { admin, backendName, relaxed, sharedEnv, startServer, until, user } from './fixtures/setup.ts'

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!

t.test(`push, settings, mail and resets through ChatHttp on ${backendName}`, async (t) => {
  const smtp = new SmtpSink()
  await smtp.start()
  t.teardown(() => smtp.stop())
  const server = await startServer(
    t,
    sharedEnv(t, {
      ...relaxed,
      SMTP_URL: smtp.url,
      PUSH_ALLOW_HTTP: 'true',
      VAPID_PUBLIC_KEY:
        'BPOEEAAFr7eh2gOuIL7Oa-96nszo83ZBy1ARH7zbHF0m0gRbeWK-nv1NJgyWZukSSyDmGkM0Vy5Iug_cdlLJZ7c',
      VAPID_PRIVATE_KEY: 'tzgZvmVs_eFCvXDVdQEZaEHdF_IUv1CHufdNHwXiC6I',
    }),
  )
  const root = await admin(server)
  const ann = await user(server)

  t.test('push key and subscriptions', async (t) => {
    const { publicKey } = await ann.http.pushKey()
    t.match(publicKey, /^[A-Za-z0-9_-]{87}$/)
    const sub = {
      endpoint: 'http://127.0.0.1:9/push/one',
      expirationTime: null,
      keys: {
        p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
        auth: 'tBHItJI5svbpez7KI4CCXg',
      },
    }
    const { id } = await ann.http.subscribePush(sub)
    t.equal((await ann.http.subscribePush(sub)).id, id)
    await ann.http.unsubscribePush(id)
    t.match(await ann.http.unsubscribePush(id).catch((e: unknown) => e), { status: 404, code: 'NOT_FOUND' })
    t.match(await ann.http.subscribePush({ ...sub, endpoint: 'ftp://x/y' }).catch((e: unknown) => e), {
      status: 400,
      code: 'VALIDATION',
    })
  })

  t.test('settings', async (t) => {
    t.same(await ann.http.notificationSettings(), { push: true, email: 'off', rooms: {} })
    const room = '0123456789abcdef01234567'
    t.same(await ann.http.updateNotificationSettings({ email: 'digest', rooms: { [room]: 'all' } }), {
      push: true,
      email: 'digest',
      rooms: { [room]: 'all' },
    })
  })

  t.test('a verified address, forgot and reset by the mailed link', async (t) => {
    const address = `ann.${ann.id}@example.org`
    await ann.http.setEmail(address)
    await until(() => smtp.to(address).length === 1, 'the verification mail')
    await ann.http.verifyEmail(tokenOf(smtp.to(address)[0]!.link!))
    t.match(await ann.http.me(), { email: address, emailVerified: true })
    await new ChatHttp({ baseUrl: server.base }).forgotPassword({ email: address })
    await until(() => smtp.to(address).length === 2, 'the reset mail')
    await new ChatHttp({ baseUrl: server.base }).resetPassword({
      token: tokenOf(smtp.to(address)[1]!.link!),
      password: 'a-new-password',
    })
    t.match(await ann.http.me().catch((e: unknown) => e), { status: 401, code: 'UNAUTHENTICATED' })
  })

  t.test("the admin's reset link", async (t) => {
    const bob = await user(server)
    t.match(await bob.http.adminResetLink(root.id).catch((e: unknown) => e), {
      status: 403,
      code: 'FORBIDDEN',
    })
    const link = await root.http.adminResetLink(bob.id)
    t.ok(Date.parse(link.expiresAt) > Date.now())
    const anon = new ChatHttp({ baseUrl: server.base })
    await anon.resetPassword({ token: tokenOf(link.url), password: 'bobs-new-password' })
    t.match(
      await anon
        .resetPassword({ token: tokenOf(link.url), password: 'again-password' })
        .catch((e: unknown) => e),
      {
        status: 400,
        code: 'INVALID_TOKEN',
      },
    )
    t.match(await bob.http.me().catch((e: unknown) => e), { status: 401 }, 'the reset ended the session')
  })
})
