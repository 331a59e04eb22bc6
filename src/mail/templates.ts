// The mails, each as a plain-text and an HTML part. Everything that comes from people (names,
// message text, room names) is escaped in the HTML part; links are built from PUBLIC_URL and
// URL-encoded tokens, never from input.
import type { Mail } from './mailer.ts'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
/** One line of a header or a plain-text line: no line breaks from input. */
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ')

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
  `<body style="font-family:sans-serif;line-height:1.5">${body}</body></html>`
const button = (url: string, label: string) =>
  `<p><a href="${escapeHtml(url)}" style="padding:8px 14px;background:#2563eb;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(label)}</a></p><p style="color:#666;font-size:90%">${escapeHtml(url)}</p>`

export function verifyMail(to: string, username: string, url: string, hours: number): Mail {
  const subject = 'Confirm your mail address'
  return {
    to,
    subject,
    text: `Hello ${oneLine(username)},\n\nopen this link to confirm that this address is yours:\n\n${url}\n\nIt works for ${hours} hours. If you did not ask for it, ignore this mail.\n`,
    html: page(
      subject,
      `<p>Hello ${escapeHtml(username)},</p><p>open this link to confirm that this address is yours:</p>${button(url, 'Confirm the address')}<p>It works for ${hours} hours. If you did not ask for it, ignore this mail.</p>`,
    ),
  }
}

export function resetMail(to: string, username: string, url: string, minutes: number): Mail {
  const subject = 'Reset your password'
  return {
    to,
    subject,
    text: `Hello ${oneLine(username)},\n\nopen this link to choose a new password:\n\n${url}\n\nIt works once, for ${minutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is.\n`,
    html: page(
      subject,
      `<p>Hello ${escapeHtml(username)},</p><p>open this link to choose a new password:</p>${button(url, 'Choose a new password')}<p>It works once, for ${minutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is.</p>`,
    ),
  }
}

/** One notification as a mail or a digest line shows it. */
export interface NoticeLine {
  room: string
  from: string
  text: string
  url: string
}

export function mentionMail(to: string, n: NoticeLine): Mail {
  const subject = oneLine(`${n.from} in ${n.room}`)
  return {
    to,
    subject,
    text: `${oneLine(n.from)} in ${oneLine(n.room)}:\n\n${n.text}\n\n${n.url}\n`,
    html: page(
      subject,
      `<p><b>${escapeHtml(n.from)}</b> in <b>${escapeHtml(n.room)}</b>:</p><blockquote style="white-space:pre-wrap">${escapeHtml(n.text)}</blockquote>${button(n.url, 'Open the conversation')}`,
    ),
  }
}

export function digestMail(to: string, lines: NoticeLine[], more: number): Mail {
  const count = lines.length + more
  const subject = count === 1 ? '1 new message for you' : `${count} new messages for you`
  const tail = more > 0 ? `\n…and ${more} more.\n` : ''
  return {
    to,
    subject,
    text: `${lines.map((l) => `${oneLine(l.from)} in ${oneLine(l.room)}: ${oneLine(l.text)}\n${l.url}`).join('\n\n')}\n${tail}`,
    html: page(
      subject,
      `<ul>${lines
        .map(
          (l) =>
            `<li><p><b>${escapeHtml(l.from)}</b> in <a href="${escapeHtml(l.url)}">${escapeHtml(l.room)}</a>: ${escapeHtml(l.text)}</p></li>`,
        )
        .join('')}</ul>${more > 0 ? `<p>…and ${more} more.</p>` : ''}`,
    ),
  }
}
