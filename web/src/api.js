// The gateway's API under /api/v1. Every error becomes an ApiError whose message is the Chinese title and detail
// of the gateway's application/problem+json answer, so a page can show it as it is.
import { reactive } from 'vue'

const BASE = '/api/v1'
const SESSION_KEY = 'zhitong.session'
const SCREEN_KEY = 'zhitong.screen-token'

export class ApiError extends Error {
  constructor(status, problem) {
    const title = problem.title || '请求失败'
    const detail = problem.detail || ''
    super(detail && detail !== title ? `${title}：${detail}` : title)
    this.status = status
    this.problem = problem
  }
}

function readSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY)) || null
  } catch {
    return null
  }
}

// The logged-in user and token, shared by every page.
export const session = reactive({ current: readSession() })

export function saveSession(token) {
  session.current = { token: token.access_token, user: token.user, expires: Date.now() + token.expires_in * 1000 }
  localStorage.setItem(SESSION_KEY, JSON.stringify(session.current))
}

// Called when the gateway refuses the session's token (expired or revoked); the router sends the user to log in.
let expiredHandler = null
export function onSessionExpired(handler) {
  expiredHandler = handler
}

export function logout() {
  session.current = null
  localStorage.removeItem(SESSION_KEY)
}

export function currentUser() {
  const s = session.current
  if (!s || s.expires < Date.now()) return null
  return s.user
}

// The big screen keeps its own token (see README: the screen token), apart from any logged-in user.
export function screenToken() {
  return localStorage.getItem(SCREEN_KEY)
}

export function saveScreenToken(token) {
  localStorage.setItem(SCREEN_KEY, token)
}

async function problemOf(response) {
  const type = response.headers.get('content-type') || ''
  if (type.includes('json')) {
    try {
      return await response.json()
    } catch {
      /* an unreadable body: described below */
    }
  }
  const titles = { 502: '后台服务出错', 503: '服务暂不可用', 504: '服务响应超时' }
  return { title: titles[response.status] || '请求失败', detail: `服务器返回状态 ${response.status}` }
}

// The file name a download was given (Content-Disposition's filename*, else its plain filename).
function filenameOf(response) {
  const disposition = response.headers.get('content-disposition') || ''
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1])
    } catch {
      /* fall back to the plain name */
    }
  }
  return /filename="([^"]+)"/i.exec(disposition)?.[1] || ''
}

// `token` overrides the session's token (the big screen); `form` sends multipart/form-data; `html` asks for a page
// (a printable one) and gives its text; `binary` gives a file as { blob, name }.
export async function request(method, path, { body, form, token, params, html, binary } = {}) {
  const accept = html ? 'text/html' : binary ? '*/*' : 'application/json'
  const headers = { Accept: `${accept}, application/problem+json` }
  const bearer = token || session.current?.token
  if (bearer) headers.Authorization = `Bearer ${bearer}`
  let payload
  if (form) payload = form
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  let url = BASE + path
  if (params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''))
    if ([...query].length) url += '?' + query
  }
  let response
  try {
    response = await fetch(url, { method, headers, body: payload })
  } catch {
    throw new ApiError(0, { title: '无法连接服务器', detail: '请检查网络后重试' })
  }
  if (!response.ok) {
    const problem = await problemOf(response)
    const error = new ApiError(response.status, problem)
    if (response.status === 401 && !token && session.current) {
      logout()
      expiredHandler?.(error)
    }
    throw error
  }
  if (response.status === 204) return null
  if (binary) return { blob: await response.blob(), name: filenameOf(response) }
  return html ? response.text() : response.json()
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  page: (path, opts = {}) => request('GET', path, { ...opts, html: true }),
  file: (path, opts = {}) => request('GET', path, { ...opts, binary: true }),
  upload: (path, form) => request('POST', path, { form }),
}
