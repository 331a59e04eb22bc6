// The web app as deployed at scale: two instances over MongoDB (wire) and Redis behind nginx
// with the project's deploy/nginx.conf, and two people in Chromium who only ever talk to nginx.
// They register with invite codes, chat live, see typing and presence, share an image, and one
// drops off the network and comes back (perhaps to the other instance) with nothing lost.
import t from 'tap'
import { ADMIN } from '../helpers/app.ts'
import { ensureWebBuilt, launchBrowser, newPerson, png16, waitForTrue } from '../helpers/browser.ts'
import { METRICS_TOKEN, startCluster } from '../helpers/cluster.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import { findNginx, NginxProcess } from '../helpers/nginx.ts'
import { freePort } from '../helpers/ports.ts'
import { removeDir, tempDir } from '../helpers/process.ts'
import { mongoUrl, needProgram, needServer, redisUrl } from '../helpers/servers.ts'
import { until } from '../helpers/wait.ts'
import { openRoom, register, say, shownTexts } from './people.ts'

const PASSWORD = 'correct-horse-1'

t.test('the web app through nginx in front of two instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const nginxBinary = findNginx()
  if (!needProgram(t, 'nginx', nginxBinary, '/usr/sbin/nginx or on PATH; Debian package nginx')) return
  ensureWebBuilt()
  const browser = await launchBrowser(t)
  if (!browser) return

  const { servers, outputs } = await startCluster(t, 'web', redisUrl!, { TRUST_PROXY: 'loopback' }, 2)
  const nginxDir = tempDir('web-nginx')
  t.teardown(() => removeDir(nginxDir))
  // deploy/nginx.upstream.conf names three servers: the third line points at the first instance.
  const ports = servers.map((s) => s.port)
  const lb = new NginxProcess(nginxBinary, nginxDir, await freePort(), [...ports, ports[0]!])
  t.teardown(() => lb.stop())
  lb.test()
  await lb.start()
  const via = lb.base
  await until(async () => (await http(via, 'GET', '/readyz')).status === 200, '/readyz through nginx', 10_000)

  try {
    const page = await fetch(`${via}/rooms`)
    t.equal(page.status, 200, 'nginx passes the app’s pages through')
    t.match(await page.text(), /<div id="app">/)

    const admin = await expectHttp(200, via, 'POST', '/api/auth/login', { body: ADMIN })
    const { codes } = await expectHttp(201, via, 'POST', '/api/admin/invite-codes', {
      token: admin.token,
      body: { count: 2 },
    })
    await expectHttp(201, via, 'POST', '/api/rooms', { token: admin.token, body: { name: 'Scaled lobby' } })

    const alice = await newPerson(browser, via)
    const bob = await newPerson(browser, via)
    await register(alice, 'alice', PASSWORD, codes[0].code)
    await register(bob, 'bob', PASSWORD, codes[1].code)
    await openRoom(alice, 'Scaled lobby')
    await openRoom(bob, 'Scaled lobby')
    await alice.locator('.presence').filter({ hasText: 'Bob' }).waitFor()
    await bob.locator('.presence').filter({ hasText: 'Alice' }).waitFor()
    t.ok(
      (await alice.locator('.presence').filter({ hasText: 'Bob' }).isVisible()) &&
        (await bob.locator('.presence').filter({ hasText: 'Alice' }).isVisible()),
      'each sees the other online',
    )

    // Read from each instance directly, with the token the cluster sets (nginx never passes /metrics).
    // least_conn may put both sockets on one instance (an instance busy with a page's requests at
    // the second upgrade counts as loaded), so the sockets are counted over both, and each
    // instance must have answered requests that came through nginx.
    const served = await Promise.all(
      servers.map(async (s) => {
        const res = await fetch(`${s.base}/metrics`, {
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        })
        t.equal(res.status, 200, `${s.name} serves its metrics`)
        const text = await res.text()
        // The API's own routes: the cluster's readiness polls (/readyz, /healthz) came directly.
        const requests = [...text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)/gm)]
          .filter(([, labels]) => /route="\/api\//.test(labels!))
          .reduce((sum, [, , n]) => sum + Number(n), 0)
        return { sockets: Number(/^ws_sockets_open (\d+)/m.exec(text)?.[1]), requests }
      }),
    )
    const counts = served.map((s) => `${s.sockets} sockets, ${s.requests} requests`).join('; ')
    t.equal(served[0]!.sockets + served[1]!.sockets, 2, `both people's sockets are open (${counts})`)
    t.ok(
      served.every((s) => s.requests > 0),
      `each instance answered API requests through nginx (${counts})`,
    )

    await bob.getByRole('textbox', { name: 'Message' }).pressSequentially('hi', { delay: 30 })
    await alice.getByText('Bob is typing…').waitFor()
    t.ok(await alice.getByText('Bob is typing…').isVisible(), 'alice sees bob typing')
    await say(bob, 'hello through nginx')
    await alice.locator('.messages').getByText('hello through nginx').waitFor()
    await say(alice, 'hello back')
    await bob.locator('.messages').getByText('hello back').waitFor()
    t.ok(
      (await alice.locator('.messages').getByText('hello through nginx').isVisible()) &&
        (await bob.locator('.messages').getByText('hello back').isVisible()),
      'live both ways',
    )

    await alice
      .locator('input[type=file]')
      .setInputFiles({ name: 'green.png', mimeType: 'image/png', buffer: png16([40, 160, 80]) })
    await bob.getByRole('img', { name: 'green.png' }).waitFor()
    await waitForTrue(bob, `document.querySelector('img[alt="green.png"]')?.naturalWidth === 16`)
    t.equal(
      await bob.evaluate(`document.querySelector('img[alt="green.png"]')?.naturalWidth`),
      16,
      'bob sees the image, served through nginx',
    )

    await bob.context().setOffline(true)
    await bob.locator('.status:not([data-state=open])').waitFor()
    const whileAway = Array.from({ length: 5 }, (_, i) => `scaled, while away ${i + 1}`)
    for (const text of whileAway) await say(alice, text)
    await say(bob, 'bob, offline')
    await bob.context().setOffline(false)
    await bob.locator('.messages').getByText(whileAway.at(-1)!).waitFor({ timeout: 30_000 })
    await alice.locator('.messages').getByText('bob, offline').waitFor({ timeout: 30_000 })
    await bob.locator('[data-pending]').waitFor({ state: 'detached' })
    const bobSees = await shownTexts(bob)
    t.same(bobSees, await shownTexts(alice), 'after the drop both show the same messages in the same order')
    t.equal(new Set(bobSees).size, bobSees.length, 'none twice')
    t.ok(
      whileAway.every((w) => bobSees.includes(w)),
      'nothing said while bob was away is lost',
    )
  } catch (err) {
    t.comment(outputs())
    throw err
  }
})
