// The notification metrics, on the instance's registry: what was sent, failed and removed, and
// the queue's depth and the age of its oldest due job (read by the worker now and then, not on
// every scrape).
import { Counter, Gauge, type Registry } from 'prom-client'

export function notifyMetrics(registry: Registry) {
  const registers = [registry]
  return {
    events: new Counter({
      name: 'notify_events_queued_total',
      help: 'messages for which a notification may be due, queued',
      registers,
    }),
    lost: new Counter({
      name: 'notify_events_lost_total',
      help: 'queued notifications lost because the store refused them',
      registers,
    }),
    sent: new Counter({
      name: 'notify_sent_total',
      help: 'notifications sent, by channel (push, push_folded, mail, digest)',
      labelNames: ['channel'] as const,
      registers,
    }),
    failed: new Counter({
      name: 'notify_failed_total',
      help: 'notifications given up on, by channel and reason',
      labelNames: ['channel', 'reason'] as const,
      registers,
    }),
    retried: new Counter({
      name: 'notify_retried_total',
      help: 'deliveries tried again later (429, 5xx, time-outs, mail server errors)',
      labelNames: ['channel'] as const,
      registers,
    }),
    removed: new Counter({
      name: 'notify_subscriptions_removed_total',
      help: 'push subscriptions removed because the push service answered 404 or 410',
      registers,
    }),
    queueDepth: new Gauge({ name: 'notify_queue_depth', help: 'jobs queued and not done', registers }),
    queueAge: new Gauge({
      name: 'notify_queue_oldest_age_seconds',
      help: 'how long the oldest queued job has been due (0 when none is due)',
      registers,
    }),
    delay: new Gauge({
      name: 'notify_last_push_delay_seconds',
      help: 'how long after its due time the latest push was accepted by the push service',
      registers,
    }),
  }
}

export type NotifyMetrics = ReturnType<typeof notifyMetrics>
