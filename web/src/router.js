// One client, six terminals: enterprise (phone and PC), department workbench, service window, supervision, big
// screen and the public guide. Pages of the first four need a login of the right role; the screen and the guide do
// not.
import { createRouter, createWebHistory } from 'vue-router'
import { currentUser, onPasswordChangeRequired, onSessionExpired } from './api.js'
import { READERS, SUPERVISORS } from './views/supervision/nav.js'

const ENTERPRISE = ['enterprise', 'agent']
const HANDLERS = ['officer', 'dept_head', 'supervisor', 'admin']
const WINDOW = ['officer', 'dept_head']
const ALL_BUT_SCREEN = ['enterprise', 'agent', 'officer', 'dept_head', 'supervisor', 'admin', 'ops']

export function homeOf(user) {
  if (!user) return '/login'
  if (user.must_change_password) return '/password'
  if (ENTERPRISE.includes(user.role)) return '/enterprise'
  if (user.role === 'screen') return '/screen'
  if (WINDOW.includes(user.role) && user.department === 'window') return '/window'
  if (user.role === 'admin') return '/admin/users'
  if (user.role === 'supervisor') return '/supervision'
  if (HANDLERS.includes(user.role)) return '/dept'
  return '/guide'
}

const routes = [
  { path: '/', redirect: () => homeOf(currentUser()) },
  { path: '/login', component: () => import('./views/Login.vue'), meta: { title: '登录' } },
  { path: '/login/callback', component: () => import('./views/LoginCallback.vue'), meta: { title: '统一身份认证登录' } },
  { path: '/password', component: () => import('./views/Password.vue'), meta: { roles: ALL_BUT_SCREEN, title: '修改密码' } },
  // 系统管理
  { path: '/admin/users', component: () => import('./views/admin/Accounts.vue'), meta: { roles: ['admin'], title: '用户管理' } },
  // 企业端
  { path: '/enterprise', component: () => import('./views/enterprise/Projects.vue'), meta: { roles: ENTERPRISE, title: '我的项目' } },
  { path: '/enterprise/projects/:id([A-Za-z0-9_-]+)', component: () => import('./views/enterprise/Project.vue'), meta: { roles: ENTERPRISE, title: '项目详情' } },
  { path: '/enterprise/consultations', component: () => import('./views/enterprise/Consultations.vue'), meta: { roles: ENTERPRISE, title: '我的咨询' } },
  { path: '/enterprise/ratings', component: () => import('./views/enterprise/Ratings.vue'), meta: { roles: ['enterprise'], title: '评价' } },
  // 部门端
  { path: '/dept', component: () => import('./views/dept/Queue.vue'), meta: { roles: HANDLERS, title: '待办事项' } },
  { path: '/dept/items/:id([A-Za-z0-9_-]+)', component: () => import('./views/dept/Item.vue'), meta: { roles: HANDLERS, title: '事项办理' } },
  { path: '/dept/consultations', component: () => import('./views/dept/Questions.vue'), meta: { roles: HANDLERS, title: '留言答复' } },
  // 窗口端
  { path: '/window', component: () => import('./views/window/Window.vue'), meta: { roles: WINDOW, window: true, title: '综合窗口' } },
  { path: '/window/projects/:id([A-Za-z0-9_-]+)/:stage([A-Za-z0-9_-]+)', component: () => import('./views/window/Application.vue'), meta: { roles: WINDOW, window: true, title: '阶段申请' } },
  { path: '/window/accounts', component: () => import('./views/admin/Accounts.vue'), meta: { roles: WINDOW, window: true, title: '企业账号' } },
  { path: '/window/receipt/:id([A-Za-z0-9_-]+)/:stage([A-Za-z0-9_-]+)', component: () => import('./views/window/Receipt.vue'), meta: { roles: WINDOW, window: true, title: '受理回执' } },
  // 督查端
  { path: '/supervision', component: () => import('./views/supervision/Home.vue'), meta: { roles: READERS, title: '督查首页' } },
  { path: '/supervision/monthly', component: () => import('./views/supervision/Monthly.vue'), meta: { roles: READERS, title: '月度通报' } },
  { path: '/supervision/assessment', component: () => import('./views/supervision/Assessment.vue'), meta: { roles: READERS, title: '双月考核' } },
  { path: '/supervision/scheduling', component: () => import('./views/supervision/Scheduling.vue'), meta: { roles: READERS, title: '月调度' } },
  { path: '/supervision/flags', component: () => import('./views/supervision/Flags.vue'), meta: { roles: SUPERVISORS, title: '留言督办' } },
  { path: '/supervision/rectifications', component: () => import('./views/supervision/Rectifications.vue'), meta: { roles: SUPERVISORS, title: '整改审核' } },
  { path: '/supervision/cases', component: () => import('./views/supervision/Cases.vue'), meta: { roles: SUPERVISORS, title: '双线会商' } },
  { path: '/supervision/cases/:id([A-Za-z0-9_-]+)', component: () => import('./views/supervision/Case.vue'), meta: { roles: SUPERVISORS, title: '会商详情' } },
  { path: '/supervision/projects', component: () => import('./views/supervision/Projects.vue'), meta: { roles: ['supervisor', 'admin'], title: '重大项目' } },
  { path: '/supervision/projects/:id([A-Za-z0-9_-]+)', component: () => import('./views/supervision/Project.vue'), meta: { roles: ['supervisor', 'admin'], title: '项目督办' } },
  // 大屏端 and 办事指南: no login
  { path: '/screen', component: () => import('./views/Screen.vue'), meta: { title: '监督大屏' } },
  { path: '/guide', component: () => import('./views/GuideIndex.vue'), meta: { title: '办事指南' } },
  { path: '/guide/:type', component: () => import('./views/Guide.vue'), meta: { title: '办事指南' } },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { title: '页面不存在' } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach((to) => {
  const roles = to.meta.roles
  if (!roles) return true
  const user = currentUser()
  if (!user) return { path: '/login', query: { next: to.fullPath } }
  if (user.must_change_password && to.path !== '/password') return { path: '/password', query: { next: to.fullPath } }
  const allowed = roles.includes(user.role) && (!to.meta.window || user.department === 'window')
  return allowed ? true : { path: homeOf(user) }
})

router.afterEach((to) => {
  document.title = `${to.meta.title || '直通'} · 直通审批`
})

// A temporary password: choose one's own first, then come back to the same page.
onPasswordChangeRequired(() => {
  router.push({ path: '/password', query: { next: router.currentRoute.value.fullPath } })
})

// The login expired or was revoked: log in again, then come back to the same page.
onSessionExpired((error) => {
  router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath, reason: error.message } })
})
