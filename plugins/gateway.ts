// The WebSocket gateway at /ws: authenticates the upgrade, then hands frames to a ClientSocket
// (src/realtime/client-socket.ts). Heartbeats drop dead peers; a drain closes sockets with 1012
// after the sends in flight were acked.
import type { ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { WebSocket } from 'ws'
import { AppError, unauthenticated } from '../src/errors.ts'
import { ClientSocket } from '../src/realtime/client-socket.ts'
import { errors } from '../src/schemas/common.ts'
import { CloseCodes } from '../src/schemas/frames.ts'
import type { Auth } from './auth.ts'
import { WsTransport } from './ws-transport.ts'

const DRAIN_WAIT_MS = 10_000
/** How long a drain waits for the peers to answer the 1012 close before dropping the rest. */
const CLOSE_WAIT_MS = 3_000
/** How long a refused upgrade may keep its connection once its answer is written. */
const UPGRADE_LINGER_MS = 1_000

declare module 'fastify' {
  interface FastifyRequest {
    socketAuth: Auth
  }
}

export default fp(
  async (app) => {
    const { hub, rooms, chat, sessions, config } = app.core
    const inflight = new Set<Promise<unknown>>()
    const alive = new WeakMap<WebSocket, boolean>()
    const sockets = new Set<WebSocket>()
    /** Open sockets per user on this instance, for WS_MAX_SOCKETS_PER_USER. */
    const perUser = new Map<string, number>()
    const tooMany = (userId: string) => (perUser.get(userId) ?? 0) >= config.WS_MAX_SOCKETS_PER_USER
    const limits = {
      maxFrameBytes: config.WS_MAX_FRAME_BYTES,
      framesPerSecond: config.WS_FRAMES_PER_SECOND,
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
      maxBadFrames: config.WS_MAX_BAD_FRAMES,
      badFrameWindowMs: config.WS_BAD_FRAME_WINDOW_SECONDS * 1000,
      maxRooms: config.WS_MAX_ROOMS_PER_SOCKET,
      maxReplayEvents: config.WS_REPLAY_MAX_EVENTS,
      replayEventsPerMinute: config.WS_REPLAY_EVENTS_PER_MINUTE,
    }

    const heartbeat = setInterval(() => {
      for (const ws of sockets) {
        if (!alive.get(ws)) {
          ws.terminate()
          continue
        }
        alive.set(ws, false)
        ws.ping()
      }
    }, config.WS_HEARTBEAT_SECONDS * 1000)
    heartbeat.unref()

    // Every upgrade's socket until it closes. One refused while Fastify closes gets Fastify's own
    // 503, which skips the hook that ends an upgrade's socket: left half-open, it would hold
    // server.close() until the grace timeout. The drain ends what is left of them.
    const upgrades = new Set<Duplex>()
    app.server.on('upgrade', (_request, socket: Duplex) => {
      upgrades.add(socket)
      socket.once('close', () => upgrades.delete(socket))
      // One that arrives once the drain has begun (a client redialling in a loop) is answered 503
      // by the listeners after this one; its connection is then ended here, whichever of them
      // answered, so that no upgrade arriving after the drain's last sweep holds the close.
      if (app.lifecycle.draining) endSoon(socket)
    })

    /** Ends a refused upgrade's connection once its answer is written; destroys it if it lingers. */
    function endSoon(socket: Duplex) {
      setImmediate(() => {
        if (socket.destroyed) return
        socket.end()
        setTimeout(() => socket.destroy(), UPGRADE_LINGER_MS).unref()
      })
    }

    // On close, instead of the plugin's own preClose (which closes sockets with no code): let
    // the sends in flight be stored and acked, then ask everyone to reconnect elsewhere (1012).
    // The drain has begun by then (plugins/lifecycle.ts): new upgrades are refused with 503.
    async function drain(this: FastifyInstance) {
      clearInterval(heartbeat)
      const deadline = Date.now() + DRAIN_WAIT_MS
      while (inflight.size > 0 && Date.now() < deadline) await Promise.race([...inflight, sleep(100)])
      hub.closeAll(CloseCodes.RESTART, 'server restarting: reconnect and join with since')
      // The server's close waits for every close handshake, and a peer that stopped reading (a
      // phone gone dark) never answers: ws would wait 30 s for it, past the grace period of
      // server.ts, whose timeout then exits with 1 before the store and the bus are closed.
      const closed = new Promise((resolve) => this.websocketServer.close(resolve))
      await Promise.race([closed, sleep(CLOSE_WAIT_MS)])
      for (const ws of this.websocketServer.clients) ws.terminate()
      await closed
      for (const socket of upgrades) socket.destroy()
    }

    // Frames larger than our own limit still reach us, so that we close with 1008 (ws would use 1009).
    // No compression: per-message deflate costs CPU and memory per socket, and a room's message
    // is written as one frame made once for every socket (ws-transport.ts), which needs ws to
    // write each of its own frames whole when sent.
    await app.register(websocket, {
      options: { maxPayload: config.WS_MAX_FRAME_BYTES * 4, perMessageDeflate: false },
      preClose: drain,
    })
    app.decorateRequest('socketAuth', null as unknown as Auth)

    sessions.onRevoked((r) => hub.closeSessions(new Set(r.sessions), CloseCodes.REVOKED, 'session revoked'))
    // A revocation may have been missed (a lost notice, a bus outage): the sockets' sessions are
    // asked of the store again, and the revoked ones closed as above.
    sessions.onUnsure(() => {
      void hub.recheckSessions((sid, uid) => sessions.isLive(sid, uid), CloseCodes.REVOKED, 'session revoked')
    })

    async function authenticateUpgrade(request: FastifyRequest) {
      if (app.lifecycle.draining)
        throw new AppError(503, 'UNAVAILABLE', 'Draining: connect to another instance')
      if (!app.isAllowedOrigin(request)) throw new AppError(403, 'BAD_ORIGIN', 'Cross-site WebSocket refused')
      const ticket = (request.query as { ticket?: unknown }).ticket
      let auth: Auth | null = null
      if (typeof ticket === 'string') {
        const holder = await app.core.tickets.redeem(ticket)
        if (holder && (await sessions.isLive(holder.sessionId, holder.userId)))
          auth = { ...holder, viaCookie: false }
      } else {
        const found = app.tokenFrom(request)
        auth = found ? await app.resolveToken(found.token) : null
      }
      if (!auth) throw unauthenticated()
      if (tooMany(auth.userId))
        throw new AppError(
          429,
          'RATE_LIMITED',
          `At most ${config.WS_MAX_SOCKETS_PER_USER} sockets per user: close one first`,
          5,
        )
      request.socketAuth = auth
    }

    app.get(
      '/ws',
      {
        websocket: true,
        preValidation: authenticateUpgrade,
        schema: {
          operationId: 'openSocket',
          tags: ['realtime'],
          summary: 'The WebSocket (upgrade): its frames are described by /asyncapi.json',
          description:
            'Authenticated by the cookie, `Authorization: Bearer` or `?ticket=` (POST /api/auth/ws-ticket). Refused before the upgrade with 401, 403 when the Origin is not allowed, 503 while the instance drains.',
          response: errors('UNAUTHENTICATED', 'BAD_ORIGIN', 'UNAVAILABLE'),
        },
      },
      (socket, request) => {
        const { userId, sessionId } = request.socketAuth
        // Upgrades that passed the check at the same moment: the last ones are closed.
        if (tooMany(userId)) return socket.close(CloseCodes.POLICY, 'too many sockets for this user')
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1)
        // The socket's closures keep what they name for as long as it is open: the logger, not
        // the request (its headers and the upgrade's IncomingMessage). The upgrade's objects
        // would otherwise stay reachable from the socket for its whole life: the plugin's own
        // error listener names the request and reply (ours below logs instead, and ws closes a
        // socket after an error by itself), and the upgrade's ServerResponse stays attached.
        const log = request.log
        socket.removeAllListeners('error')
        const upgraded = request.raw.socket as
          | (typeof request.raw.socket & { _httpMessage?: ServerResponse })
          | null
        upgraded?._httpMessage?.detachSocket(upgraded)
        sockets.add(socket)
        alive.set(socket, true)
        const connection = new ClientSocket(userId, sessionId, new WsTransport(socket, request.raw.socket), {
          hub,
          rooms,
          chat,
          log,
          limits,
          inflight,
          metrics: app.core.metrics,
        })
        socket.on('pong', () => alive.set(socket, true))
        socket.on('message', (data, isBinary) => connection.receive(data as Buffer, isBinary))
        socket.on('close', () => {
          const left = (perUser.get(userId) ?? 1) - 1
          if (left > 0) perUser.set(userId, left)
          else perUser.delete(userId)
          sockets.delete(socket)
          connection.gone()
        })
        socket.on('error', (err) => log.debug({ err }, 'socket error'))
      },
    )
  },
  { name: 'gateway', dependencies: ['core', 'auth', 'lifecycle'] },
)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
