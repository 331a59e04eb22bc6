// Users and a room made over real HTTP across a deployment's instances, as people would.
import { ADMIN } from './app.ts'
import { expectHttp } from './http-caller.ts'

export interface SeededUser {
  name: string
  token: string
  id: string
  /** The instance the user registered on, and whose socket it opens first. */
  home: number
}

/**
 * Users registered over HTTP across the instances (user i on instance i % n), a room created by
 * the admin on `roomOn`, and every user joined to it from its own instance.
 */
export async function seedRoom(
  bases: string[],
  names: string[],
  roomName: string,
  roomOn = 0,
): Promise<{ admin: { token: string }; users: SeededUser[]; room: { id: string } }> {
  const admin = await expectHttp(200, bases[0]!, 'POST', '/api/auth/login', { body: ADMIN })
  const { codes } = await expectHttp(201, bases[1 % bases.length]!, 'POST', '/api/admin/invite-codes', {
    token: admin.token,
    body: { count: names.length },
  })
  const users = await Promise.all(
    names.map(async (name, i) => {
      const res = await expectHttp(201, bases[i % bases.length]!, 'POST', '/api/auth/register', {
        body: { username: `${name}${process.pid}`, password: 'password-123', inviteCode: codes[i].code },
      })
      return { name, token: res.token as string, id: res.user.id as string, home: i % bases.length }
    }),
  )
  const { room } = await expectHttp(201, bases[roomOn]!, 'POST', '/api/rooms', {
    token: admin.token,
    body: { name: roomName },
  })
  for (const u of users) await expectHttp(200, bases[u.home]!, 'POST', `/api/rooms/${room.id}/join`, u)
  return { admin, users, room }
}
