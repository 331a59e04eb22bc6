// ChatHttp's routes for reaching people who are away: push subscriptions, notification settings,
// the mail address and its verification, "forgot my password", the reset, and the admin's reset
// link for a community without mail.

import { AdminRoutes } from './http-admin.ts'
import { enc } from './http-base.ts'
import type {
  ForgotBody,
  NotifySettings,
  NotifySettingsPatch,
  PushKey,
  PushSubscriptionBody,
  ResetBody,
  ResetLink,
} from './wire.ts'

export class NotifyRoutes extends AdminRoutes {
  /** The VAPID public key to subscribe with (`applicationServerKey`); 404 NOT_FOUND when push is off. */
  pushKey(): Promise<PushKey> {
    return this.request<PushKey>('GET', '/api/push/key')
  }

  /**
   * Stores this browser's subscription: pass `PushSubscription.toJSON()`. The same endpoint again
   * updates it and answers the same id. 400 VALIDATION for an endpoint that is not `https:`.
   */
  subscribePush(subscription: PushSubscriptionBody): Promise<{ id: string }> {
    return this.request<{ id: string }>('POST', '/api/push/subscriptions', subscription)
  }

  /** Removes one of the user's subscriptions (404 NOT_FOUND for another's or an unknown one). */
  async unsubscribePush(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/push/subscriptions/${enc(id)}`)
  }

  notificationSettings(): Promise<NotifySettings> {
    return this.request<NotifySettings>('GET', '/api/me/notifications')
  }

  /** `rooms` is merged in; a room set to `mentions` is back at the default. */
  updateNotificationSettings(patch: NotifySettingsPatch): Promise<NotifySettings> {
    return this.request<NotifySettings>('PATCH', '/api/me/notifications', patch)
  }

  /**
   * Sets the mail address; a verification link is mailed to it (`user.emailVerified` turns true
   * once it is followed). 409 EMAIL_TAKEN; 404 NOT_FOUND when the server has no mail.
   */
  async setEmail(email: string): Promise<void> {
    await this.request<null>('PUT', '/api/me/email', { email })
  }

  /** The token of a verification link (`/verify-email?token=`). 400 INVALID_TOKEN. */
  async verifyEmail(token: string): Promise<void> {
    await this.request<null>('POST', '/api/auth/email/verify', { token })
  }

  /** Always resolves alike (202) whether or not the account exists; 404 NOT_FOUND when the server has no mail. */
  async forgotPassword(body: ForgotBody): Promise<void> {
    await this.request<null>('POST', '/api/auth/password/forgot', body)
  }

  /** The token of a reset link (`/reset-password?token=`) and the new password; every session of the user ends. 400 INVALID_TOKEN. */
  async resetPassword(body: ResetBody): Promise<void> {
    await this.request<null>('POST', '/api/auth/password/reset', body)
  }

  /** Admins: a reset link to hand to the user by other means (audited). */
  adminResetLink(userId: string): Promise<ResetLink> {
    return this.request<ResetLink>('POST', `/api/admin/users/${enc(userId)}/reset-link`)
  }
}
