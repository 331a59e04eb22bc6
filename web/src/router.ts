// Pages load on demand (the first page ships only what it shows). Every page but sign-in needs
// a user; the admin pages need an admin (moderation asks the server: admins and rooms' creators).
import { createRouter, createWebHistory } from 'vue-router'
import HomePage from './pages/HomePage.vue'
import { state, whenSignedOut } from './session.ts'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: HomePage, meta: { title: 'Home' } },
    {
      path: '/login',
      component: () => import('./pages/LoginPage.vue'),
      meta: { public: true, title: 'Sign in' },
    },
    {
      path: '/forgot-password',
      component: () => import('./pages/ForgotPage.vue'),
      meta: { public: true, title: 'Forgot your password' },
    },
    {
      path: '/reset-password',
      component: () => import('./pages/ResetPage.vue'),
      meta: { public: true, title: 'New password' },
    },
    {
      path: '/verify-email',
      component: () => import('./pages/VerifyEmailPage.vue'),
      meta: { public: true, title: 'Verify your mail address' },
    },
    { path: '/me', component: () => import('./pages/MePage.vue'), meta: { title: 'Personal centre' } },
    { path: '/users', component: () => import('./pages/UsersPage.vue'), meta: { title: 'People' } },
    {
      path: '/users/:id',
      component: () => import('./pages/UserPage.vue'),
      props: true,
      meta: { title: 'User' },
    },
    {
      path: '/search',
      component: () => import('./pages/SearchPage.vue'),
      meta: { title: 'Search' },
    },
    { path: '/rooms', component: () => import('./pages/RoomsPage.vue'), meta: { title: 'Rooms' } },
    {
      path: '/rooms/:id',
      component: () => import('./pages/RoomPage.vue'),
      // `?at=SEQ` opens the room at that message (a search hit, a pin).
      // `?at=` (a search hit, a pin) or `?seq=` (a notification's link): open at that message.
      props: (to) => ({ id: String(to.params.id), at: Number(to.query.at ?? to.query.seq) || undefined }),
      // Fills the middle of the layout: the page scrolls its own message list.
      meta: { title: 'Room', fills: true },
    },
    {
      path: '/moderation',
      component: () => import('./pages/ModerationPage.vue'),
      meta: { title: 'Moderation' },
    },
    {
      path: '/admin',
      component: () => import('./pages/AdminPage.vue'),
      meta: { admin: true, title: 'Admin' },
    },
    {
      path: '/admin/users/:id/lineage',
      component: () => import('./pages/LineagePage.vue'),
      props: true,
      meta: { admin: true, title: 'Invitation tree' },
    },
    {
      path: '/admin/audit',
      component: () => import('./pages/AuditPage.vue'),
      meta: { admin: true, title: 'Audit log' },
    },
    {
      path: '/admin/integrations',
      component: () => import('./pages/IntegrationsPage.vue'),
      meta: { admin: true, title: 'Integrations' },
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !state.user)
    return { path: '/login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  if (to.path === '/login' && state.user) return '/'
  if (to.meta.admin && state.user?.role !== 'admin') return '/'
  return true
})
router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? '')} · Roomchat`
})

whenSignedOut((why) => {
  void router.replace({ path: '/login', query: why === 'deleted' ? { deleted: '1' } : { ended: '1' } })
})
